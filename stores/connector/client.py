"""The AmeriCommerce store as Outbound sees it: pages of orders in, ship notices out.

    StoreClient.export_pages(start, end)
        GET ?action=export&start_date=MM/dd/yyyy HH:mm&end_date=…&page=1   (UTC, docs/custom-store-v1.md#dates; the end
        rounded up to a whole minute, so that a store comparing with seconds reaches it too)
        -> parse_export -> ExportPage ... page=2 ... until `pages` (re-read on every page)
        a 200 that is not well-formed XML is fetched again (like a cut-off answer), a few times;
        a walk whose pages keep bringing only orders it has already seen ends with an error
    StoreClient.ship_notify(notice)
        POST ?action=shipnotify&order_number=…&carrier=…&service=…&tracking_number=…  + <ShipNotice>
    StoreClient.test_connection()
        one export of the last five minutes, like ShipStation's own "Test Connection"
        (docs/custom-store-v1.md#test-connection), with
        few retries and short timeouts, answered as one ConnectionOutcome.

The client holds no state between calls except its transport (connection pool, request counter).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, Protocol

from .errors import (
    NotAnEndpoint,
    NotAShipStationExport,
    StoreAuthError,
    StoreDocumentError,
    StoreError,
    StoreMalformedXML,
    StorePermissionError,
    StoreRejected,
    StoreUnreachable,
    StoreURLRefused,
    _,
)
from .transport import StoreTransport
from .types import ConnectionOutcome, ConnectionResult, ExportLimits, ExportPage, ShipNotice, ShipNotifyResult
from .walk import walk_pages
from .xmlparse import DEFAULT_MAX_BYTES, build_ship_notice, format_store_datetime, parse_export, parse_xml_fault

TEST_WINDOW = dt.timedelta(minutes=5)
# A store that claims many pages but serves the same orders on each (32767 of them, say) must not be
# walked to the end: this many pages bringing no order the walk has not seen end it with an error, once
# they outnumber the pages that did bring new orders. (A store honestly re-serves orders changed during
# the walk at its end, a few pages of them at most: those never outnumber the pages before them.)
# A 200 whose body is not well-formed XML is most often an answer garbled or cut on the way: asked again
# this many times in all before the page fails.
MALFORMED_PAGE_ATTEMPTS = 3
# Test connection runs while a person waits on a form: a couple of quick tries, not a minute of back-off.
TEST_TRANSPORT_OPTIONS: dict[str, Any] = {
    "max_attempts": 2,
    "connect_timeout": 5.0,
    "read_timeout": 15.0,
    "base_delay": 0.5,
    "max_delay": 1.0,
    "max_retry_after": 2.0,
    "deadline": 30.0,  # a store dripping its answer must not hold the form (and a web worker) for long
}


def window_end_sent(end: dt.datetime) -> dt.datetime:
    """The `end_date` sent for a window meant to reach `end`: `end` rounded up to a whole minute.

    The protocol carries minutes (`MM/dd/yyyy HH:mm`, docs/custom-store-v1.md#dates). A store that compares
    LastModified by the minute reads `22:40` as the whole of 22:40, but one that compares with seconds reads it
    as 22:40:00 and never serves an order modified at 22:40:21: truncating `end` would silently end every window up
    to 59 seconds before the time the caller believes it covers. Rounded up (22:40:21 is sent as 22:41),
    the window reaches `end` on either store; asking about a few seconds more is harmless, and the
    caller still records only `end` as covered.
    """
    floor = end.replace(second=0, microsecond=0)
    return floor if floor == end else floor + dt.timedelta(minutes=1)


class _HasStoreCredentials(Protocol):
    endpoint_url: str
    username: str

    def get_password(self) -> str: ...


class StoreClient:
    def __init__(
        self,
        endpoint_url: str,
        username: str,
        password: str,
        *,
        transport: StoreTransport | None = None,
        max_page_bytes: int = DEFAULT_MAX_BYTES,
        **transport_options: Any,
    ) -> None:
        self.endpoint_url = endpoint_url
        self._username = username
        self._password = password
        self._transport_options = {"max_bytes": max_page_bytes, **transport_options}
        self.max_page_bytes = max_page_bytes
        # Set by the importer from its columns (orders.limits): orders beyond them come back rejected.
        self.limits: ExportLimits | None = None
        self.transport = transport or StoreTransport(username, password, **self._transport_options)

    def __repr__(self) -> str:
        return f"<StoreClient {self.endpoint_url!r} user={self._username!r}>"

    @property
    def requests_made(self) -> int:
        return self.transport.requests_made

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> StoreClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- export ----------------------------------------------------------------------------------

    def _export_body(self, start: dt.datetime, end: dt.datetime, page: int) -> bytes:
        response = self.transport.get(
            self.endpoint_url,
            {
                "action": "export",
                "start_date": format_store_datetime(start),
                "end_date": format_store_datetime(window_end_sent(end)),
                "page": str(page),
            },
        )
        return response.content

    def _fetch_page(self, start: dt.datetime, end: dt.datetime, page: int, skip) -> tuple[ExportPage, bytes]:
        for attempt in range(1, MALFORMED_PAGE_ATTEMPTS + 1):
            body = self._export_body(start, end, page)
            try:
                return parse_export(body, max_bytes=self.max_page_bytes, page=page, skip=skip, limits=self.limits), body
            except StoreMalformedXML:
                if attempt == MALFORMED_PAGE_ATTEMPTS:
                    raise
                self.transport.sleep(self.transport._delay(attempt, None))
        raise AssertionError("unreachable")  # pragma: no cover

    def export_page(self, start: dt.datetime, end: dt.datetime, page: int = 1, *, skip=None) -> ExportPage:
        return self._fetch_page(start, end, page, skip)[0]

    def export_pages(
        self, start: dt.datetime, end: dt.datetime, *, first_page: int = 1, skip=None, prefetch: bool = True
    ) -> Iterator[ExportPage]:
        """Yield the window's pages one at a time; at most two pages are ever held in memory.

        `skip` is passed to parse_export: orders it recognises are not converted (see ExportPage.unchanged).
        With `prefetch`, the next page is requested while the caller works on this one, so the store's
        time to answer overlaps with our time to write (one request in flight at a time, as before).
        """
        return walk_pages(
            lambda number: self._fetch_page(start, end, number, skip)[0],
            first_page,
            prefetch=prefetch,
            stuck=lambda repeated, page, pages: (
                f"The store served only orders it had already sent on {repeated} pages of this "
                f"walk (page {page} of the {pages} it claims): it does not page its export correctly, so "
                "Outbound stopped reading it. Ask the store to check its ShipStation export's paging."
            ),
        )

    # --- ship notify -----------------------------------------------------------------------------

    def ship_notify(self, notice: ShipNotice) -> ShipNotifyResult:
        """Send one shipment to the store. Raises a StoreError unless the store answered 2xx.

        The transport retries a dropped or 5xx POST, so the store may see a notice twice. That is
        safe by the protocol's own rules: ShipStation sends duplicates too, and stores dedupe
        (docs/custom-store-v1.md#shipnotify-repeats).
        """
        response = self.transport.post(
            self.endpoint_url,
            {
                "action": "shipnotify",
                "order_number": notice.order_number,
                "carrier": notice.carrier,
                "service": notice.service,
                "tracking_number": notice.tracking_number,
            },
            data=build_ship_notice(notice),
            content_type="application/xml; charset=utf-8",
        )
        # Magento answers errors as 200 + <fault> (docs/custom-store-v1.md#faults): a 200 is not proof
        # the store took it.
        parse_xml_fault(response.content)
        return ShipNotifyResult(response.status_code, self.transport.scrub(response.excerpt()))

    # --- test connection -------------------------------------------------------------------------

    def test_connection(self, *, now: dt.datetime | None = None) -> ConnectionResult:
        end = now or dt.datetime.now(dt.UTC)
        options = {**self._transport_options, **TEST_TRANSPORT_OPTIONS}
        with StoreTransport(self._username, self._password, **options) as transport:
            probe = StoreClient(self.endpoint_url, self._username, self._password, transport=transport)
            probe.max_page_bytes = self.max_page_bytes
            try:
                page = probe.export_page(end - TEST_WINDOW, end, 1)
            except StoreError as exc:
                return _classify(exc)
            finally:
                self.transport.requests_made += transport.requests_made
        found = len(page.orders)
        return ConnectionResult(
            ConnectionOutcome.OK,
            f"Connected. The store answered with a ShipStation export ({found} order"
            f"{'' if found == 1 else 's'} changed in the last five minutes).",
            orders_found=found,
        )


def _classify(exc: StoreError) -> ConnectionResult:
    message = exc.message
    if isinstance(exc, StoreAuthError):
        return ConnectionResult(ConnectionOutcome.BAD_CREDENTIALS, message)
    if isinstance(exc, StorePermissionError):
        return ConnectionResult(ConnectionOutcome.NOT_ADMIN, message)
    if isinstance(exc, (StoreUnreachable, StoreURLRefused)):
        return ConnectionResult(ConnectionOutcome.UNREACHABLE, message)
    if isinstance(exc, NotAShipStationExport):
        return ConnectionResult(
            ConnectionOutcome.NOT_AN_ENDPOINT,
            _("The store answered, but this is not its ShipStation address: %(detail)s") % {"detail": message},
        )
    if isinstance(exc, (NotAnEndpoint, StoreRejected)):
        return ConnectionResult(ConnectionOutcome.NOT_AN_ENDPOINT, message)
    if isinstance(exc, StoreDocumentError):
        # The address is right and answers <Orders>, but its content cannot be read: the merchant
        # must hear about it now, not at the first import.
        return ConnectionResult(
            ConnectionOutcome.NOT_AN_ENDPOINT,
            _("The store's ShipStation export cannot be read: %(detail)s") % {"detail": message},
        )
    return ConnectionResult(ConnectionOutcome.UNREACHABLE, message)
