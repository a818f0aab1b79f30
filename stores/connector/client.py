"""The AmeriCommerce store as Outbound sees it: pages of orders in, ship notices out.

    StoreClient.export_pages(start, end)
        GET ?action=export&start_date=MM/dd/yyyy HH:mm&end_date=…&page=1   (UTC, §1.2)
        -> parse_export -> ExportPage ... page=2 ... until `pages` (re-read on every page)
    StoreClient.ship_notify(notice)
        POST ?action=shipnotify&order_number=…&carrier=…&service=…&tracking_number=…  + <ShipNotice>
    StoreClient.test_connection()
        one export of the last five minutes, like ShipStation's own "Test Connection" (§5.6), with
        few retries and short timeouts, answered as one ConnectionOutcome.

The client holds no state between calls except its transport (connection pool, request counter).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import (
    NotAnEndpoint,
    NotAShipStationExport,
    StoreAuthError,
    StoreDocumentError,
    StoreError,
    StorePermissionError,
    StoreRejected,
    StoreUnreachable,
    StoreURLRefused,
    _,
)
from .transport import StoreTransport
from .types import ExportPage, ShipNotice
from .xmlparse import DEFAULT_MAX_BYTES, build_ship_notice, format_store_datetime, parse_export, parse_xml_fault

TEST_WINDOW = dt.timedelta(minutes=5)
# Test connection runs while a person waits on a form: a couple of quick tries, not a minute of back-off.
TEST_TRANSPORT_OPTIONS: dict[str, Any] = {
    "max_attempts": 2,
    "connect_timeout": 5.0,
    "read_timeout": 15.0,
    "base_delay": 0.5,
    "max_delay": 1.0,
    "max_retry_after": 2.0,
}


_PAGES_ATTRIBUTE = re.compile(rb"<Orders\b[^>]*?\bpages\s*=\s*[\"'](\d+)[\"']", re.IGNORECASE)


def _pages_hint(body: bytes) -> int | None:
    """The `pages` attribute read off the raw bytes, to decide on a prefetch before parsing (a hint only:
    the parsed page decides whether the walk goes on)."""
    match = _PAGES_ATTRIBUTE.search(body[:4096])
    return int(match.group(1)) if match else None


class ConnectionOutcome(enum.Enum):
    OK = "ok"
    UNREACHABLE = "unreachable"
    NOT_AN_ENDPOINT = "not_an_endpoint"
    BAD_CREDENTIALS = "bad_credentials"
    NOT_ADMIN = "not_admin"


@dataclass(frozen=True, slots=True)
class ConnectionResult:
    outcome: ConnectionOutcome
    message: str
    orders_found: int | None = None  # OK only: orders changed in the test window

    @property
    def ok(self) -> bool:
        return self.outcome is ConnectionOutcome.OK


@dataclass(frozen=True, slots=True)
class ShipNotifyResult:
    status_code: int
    body_excerpt: str


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
                "end_date": format_store_datetime(end),
                "page": str(page),
            },
        )
        return response.content

    def export_page(self, start: dt.datetime, end: dt.datetime, page: int = 1, *, skip=None) -> ExportPage:
        body = self._export_body(start, end, page)
        return parse_export(body, max_bytes=self.max_page_bytes, page=page, skip=skip)

    def export_pages(
        self, start: dt.datetime, end: dt.datetime, *, first_page: int = 1, skip=None, prefetch: bool = True
    ) -> Iterator[ExportPage]:
        """Yield the window's pages one at a time; at most two pages are ever held in memory.

        `skip` is passed to parse_export: orders it recognises are not converted (see ExportPage.unchanged).
        With `prefetch`, the next page is requested while the caller works on this one, so the store's
        time to answer overlaps with our time to write (one request in flight at a time, as before).
        """
        page = first_page
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-prefetch") if prefetch else None

        def fetch(number: int) -> tuple[ExportPage, int | None]:
            body = self._export_body(start, end, number)
            return parse_export(body, max_bytes=self.max_page_bytes, page=number, skip=skip), _pages_hint(body)

        pending: Future[tuple[ExportPage, int | None]] | None = None
        try:
            while True:
                current, _hint = pending.result() if pending is not None else fetch(page)
                pending = None
                if pool is not None and page < current.pages and current.size:
                    # Fetched and parsed in the background while the caller writes this page; `skip`
                    # must therefore be safe to call from another thread (no database access).
                    pending = pool.submit(fetch, page + 1)
                yield current
                # `pages` is re-read on every page: orders modified while we page drop out of the window
                # and the count shrinks (§5.5). An empty page means the set ran out before the count did.
                if page >= current.pages or not current.size:
                    return
                page += 1
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    # --- ship notify -----------------------------------------------------------------------------

    def ship_notify(self, notice: ShipNotice) -> ShipNotifyResult:
        """Send one shipment to the store. Raises a StoreError unless the store answered 2xx.

        The transport retries a dropped or 5xx POST, so the store may see a notice twice. That is
        safe by the protocol's own rules: ShipStation sends duplicates too, and stores dedupe (§3.4).
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
        # Magento answers errors as 200 + <fault> (§1.4): a 200 is not proof the store took it.
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


def client_for_store(store: _HasStoreCredentials, **options: Any):
    """The connector for a `stores.models.Store` (anything with endpoint_url, username, get_password()),
    chosen by its connection type in the registry (`registry.connector_for_store`)."""
    from .registry import connector_for_store

    return connector_for_store(store, **options)
