"""`RestConnector`: the `StoreConnector` of AmeriCommerce's REST API (`<store URL>/api/v1`).

    export_pages(start, end)
        GET /orders?updated_at=gte:<start> AND lte:<end>&sort=updated_at,id&count=N&page=P
                   &expand=items,payments,shipments,custom_fields
        then, for the orders the caller does not already hold unchanged (`skip`), requests of 100 ids each
        for their addresses (/order_addresses?id=...), and for the customers (/customers?id=...) and
        products (/products?id=...&expand=custom_fields,pictures) not met yet in this walk; statuses and
        storefronts once per connector. The next page is fetched while the caller works on this one.
        Pages continue while the answer has a `next_page` (the next page is asked for at our own base
        URL: a `next_page` naming another host is never followed with the token). A page
        past the end is a 404: the window shrank while it was paged (an order changed and left it), and
        the walk ends there; the importer's tail check finds what moved (docs/custom-store-v1.md#paging-hazard
        applies on this road too: offsets over a live query).
    fetch_order(id)      GET /orders?id=<id>&expand=... (the file has no GET /orders/{id})
    ship_notify(notice)  a first try (writeback.py): POST /order_shipments and PUT /orders/{id}/status, the
                         statuses from a cache shared by the store's workers; a later try:
                         GET the order with its shipments; POST /order_shipments unless one with the same
                         tracking number is there (shipment_name = the tracking number, so a repeat racing
                         the check updates instead of adding); then PUT /orders/{id}/status to the
                         storefront's shipped status unless the order has it already
    describe()           /order_statuses and /stores
    test_connection()    one request per scope Outbound needs, classified (see _SCOPE_PROBES)

Authentication: `X-AC-Auth-Token` from a TokenSource; a 401 asks it once for a fresh token (OAuth refresh).
Pacing: every request goes through a `Pacer` on the store's call budget, shared by every process that talks
to the store (pacing.py, docs/store-budget.md); a 429 holds the store's workers until Retry-After, is
retried by the transport while it has attempts, then raised as StoreRateLimited (with `retry_after`).
The answers are JSON, read with decimals for numbers, size-capped like the XML road's pages; a 200 that
is not JSON is asked again a few times (a cut-off answer), then "not an AmeriCommerce API".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from stores.connector.errors import (
    NotAnEndpoint,
    StoreAuthError,
    StoreDocumentError,
    StoreError,
    StorePermissionError,
    StoreRejected,
    StoreUnreachable,
    StoreURLRefused,
    _,
    gettext_noop,
)
from stores.connector.protocol import SkipTest
from stores.connector.transport import StoreTransport
from stores.connector.types import (
    ConnectionOutcome,
    ConnectionResult,
    ExportLimits,
    ExportOrder,
    ExportPage,
    StoreDescription,
    StoreStatus,
    StoreStorefront,
)
from stores.connector.walk import walk_pages
from stores.connector.xmlparse import DEFAULT_MAX_BYTES

from . import mapping
from .auth import StaticToken, TokenSource
from .http import RestNotFound, _RestTransport, _TokenAuth
from .pacing import CallBudget, Pacer
from .writeback import ShipNotifyMixin

USER_AGENT = "Outbound/1.0 (+AmeriCommerce REST API client)"
EXPAND = "items,payments,shipments,custom_fields"
PAGE_SIZE = 100
IDS_PER_REQUEST = 100
MALFORMED_ATTEMPTS = 3
TEST_WINDOW = dt.timedelta(minutes=5)
# (resource, scope it needs, what Outbound uses it for): test_connection asks each once.
_SCOPE_PROBES = (
    ("orders", "read_orders", gettext_noop("orders, their addresses and shipments, and the order statuses")),
    ("stores", "system", gettext_noop("the storefronts")),
    ("products", "read_catalog", gettext_noop("the products' warehouse locations and kinds")),
    ("customers", "read_people", gettext_noop("the buyers' e-mail addresses")),
)
# What a write needs (not probed: a probe would write).
WRITE_SCOPE = "orders"
_TEST_TRANSPORT = {
    "max_attempts": 2,
    "connect_timeout": 5.0,
    "read_timeout": 15.0,
    "base_delay": 0.5,
    "max_delay": 1.0,
    "max_retry_after": 2.0,
    "deadline": 30.0,
}


def _digest(row: dict[str, Any]) -> str:
    # In the order the store sent the keys: the same order served again digests the same.
    raw = json.dumps(row, separators=(",", ":"), default=str).encode()
    return hashlib.sha1(raw, usedforsecurity=False).hexdigest()


def _ids_filter(ids: list[int]) -> str:
    return " OR ".join(f"eq:{i}" for i in ids)


class _WalkCache:
    """The customers and products met in one walk (export_pages), by id: a buyer or a product seen on
    page 1 is not asked for again on page 7. A new walk starts with none."""

    def __init__(self) -> None:
        self.customers: dict[int, dict[str, Any]] = {}
        self.products: dict[int, dict[str, Any]] = {}


class RestConnector(ShipNotifyMixin):
    supports_fetch_order = True

    def __init__(
        self,
        base_url: str,
        tokens: TokenSource | str,
        *,
        pace_key: str | None = None,
        page_size: int = PAGE_SIZE,
        shipped_statuses: Any = None,
        budget: CallBudget | None = None,
        max_page_bytes: int = DEFAULT_MAX_BYTES,
        **transport_options: Any,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = StaticToken(tokens) if isinstance(tokens, str) else tokens
        self.page_size = page_size
        # The store's call budget: the deployment's (connector_for_rest_store injects it), else this process's.
        self.pacer = Pacer(pace_key or self.base_url, budget=budget)
        # {storefront name: shipped status name} as the merchant recorded them (a callable, read when needed).
        self._shipped_statuses = shipped_statuses
        self._transport_options = {"max_bytes": max_page_bytes, **transport_options}
        self.limits: ExportLimits | None = None
        self.transport = self._transport(self._transport_options)
        self._statuses: list[dict[str, Any]] | None = None
        self._stores: list[dict[str, Any]] | None = None
        self._background = threading.local()  # set in the prefetch thread, which must not refresh tokens

    def _transport(self, options: dict[str, Any]) -> _RestTransport:
        token = self.tokens.token()
        return _RestTransport("", token, auth=_TokenAuth(token), pacer=self.pacer, user_agent=USER_AGENT, **options)

    def __repr__(self) -> str:
        return f"<RestConnector {self.base_url!r}>"

    @property
    def requests_made(self) -> int:
        return self.transport.requests_made

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> RestConnector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- requests --------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None = None,
        body: Any = None,
        transport: StoreTransport | None = None,
    ) -> Any:
        transport = transport or self.transport
        url = f"{self.base_url}/{path}"
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else None
        for attempt in range(1, MALFORMED_ATTEMPTS + 1):
            try:
                response = transport.request(method, url, params=params, data=data, headers=headers)
            except StoreAuthError:
                if getattr(self._background, "active", False):
                    raise  # refreshing may write the store's new tokens: the walk's own thread does it
                fresh = self.tokens.refresh()
                if fresh is None or attempt > 1:
                    raise
                transport.auth = _TokenAuth(fresh)
                transport._password = fresh
                continue
            if method == "DELETE" and not response.content.strip():
                return None  # a removal may answer with no body
            try:
                return json.loads(response.content, parse_float=Decimal)
            except ValueError:
                if b"<html" in response.content[:2048].lower():
                    raise NotAnEndpoint(
                        _("The address answered with a web page, not with AmeriCommerce's REST API.")
                    ) from None
                if attempt == MALFORMED_ATTEMPTS:
                    raise StoreDocumentError(
                        f"The store's API answered {MALFORMED_ATTEMPTS} times with something that is not well-formed "
                        "JSON (an answer cut off or garbled on the way, or not AmeriCommerce's API at all). "
                        "Outbound will try again later.",
                        permanent=False,
                    ) from None
                transport.sleep(transport._delay(attempt, None))
        raise AssertionError("unreachable")  # pragma: no cover

    def _list(self, resource: str, params: dict[str, str], transport: StoreTransport | None = None) -> dict:
        payload = self._call("GET", resource, params, transport=transport)
        if not isinstance(payload, dict) or not isinstance(payload.get(resource, []), list):
            raise NotAnEndpoint(
                f"The store's API answered /{resource} with something that is not a list of "
                f"{resource}. Check the store URL."
            )
        return payload

    def _all(self, resource: str, **params: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            payload = self._list(resource, {**params, "count": "250", "page": str(page)})
            rows += [r for r in payload.get(resource, []) if isinstance(r, dict)]
            if not payload.get("next_page") or page >= 100:
                return rows
            page += 1

    def _by_ids(self, resource: str, ids: set[int], **params: str) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        wanted = sorted(i for i in ids if isinstance(i, int) and i > 0)
        for at in range(0, len(wanted), IDS_PER_REQUEST):
            chunk = wanted[at : at + IDS_PER_REQUEST]
            payload = self._list(resource, {"id": _ids_filter(chunk), "count": str(len(chunk)), **params})
            for row in payload.get(resource, []):
                if isinstance(row, dict) and isinstance(row.get("id"), int):
                    found[row["id"]] = row
        return found

    # --- what the store is -------------------------------------------------------------------------

    def statuses(self) -> list[dict[str, Any]]:
        if self._statuses is None:
            self._statuses = self._all("order_statuses")
        return self._statuses

    def storefronts(self) -> list[dict[str, Any]]:
        if self._stores is None:
            self._stores = self._all("stores")
        return self._stores

    def describe(self) -> StoreDescription:
        shipped = self._shipped_by_storefront()
        return StoreDescription(
            statuses=[
                StoreStatus(
                    name=str(s.get("name", "")),
                    id=str(s.get("id", "")),
                    is_shipped=s.get("is_shipped"),
                    is_cancelled=s.get("is_cancelled"),
                    is_open=s.get("is_open"),
                )
                for s in self.statuses()
            ],
            storefronts=[
                StoreStorefront(
                    name=str(s.get("name", "")),
                    id=str(s.get("id", "")),
                    domain=str(s.get("domain_name") or ""),
                    shipped_status=shipped.get(str(s.get("name", "")), ""),
                )
                for s in self.storefronts()
            ],
            listed=True,
        )

    def _shipped_by_storefront(self) -> dict[str, str]:
        return dict(self._shipped_statuses() if callable(self._shipped_statuses) else self._shipped_statuses or {})

    # --- export ------------------------------------------------------------------------------------

    def _window_params(self, start: dt.datetime, end: dt.datetime, page: int) -> dict[str, str]:
        return {
            "updated_at": f"gte:{mapping.format_datetime(start)} AND lte:{mapping.format_datetime(end)}",
            "sort": "updated_at,id",
            "count": str(self.page_size),
            "page": str(page),
            "expand": EXPAND,
        }

    def _lookups(self, rows: list[dict[str, Any]], known: _WalkCache) -> mapping.Lookups:
        address_ids = {r.get("order_billing_address_id") for r in rows} | {
            r.get("order_shipping_address_id") for r in rows
        }
        addresses = self._by_ids("order_addresses", {i for i in address_ids if i}) if rows else {}
        customer_ids = {r.get("customer_id") for r in rows}
        missing = {c for c in customer_ids if isinstance(c, int) and c not in known.customers}
        if missing:
            known.customers.update(self._by_ids("customers", missing))
            known.customers.update({c: {} for c in missing if c not in known.customers})  # none: asked once
        product_ids = {i.get("product_id") for r in rows for i in r.get("items") or [] if isinstance(i, dict)}
        missing = {p for p in product_ids if isinstance(p, int) and p not in known.products}
        if missing:
            known.products.update(self._by_ids("products", missing, expand="custom_fields,pictures"))
        return mapping.Lookups(
            statuses={s["id"]: str(s.get("name", "")) for s in self.statuses() if isinstance(s.get("id"), int)},
            storefronts={s["id"]: str(s.get("name", "")) for s in self.storefronts() if isinstance(s.get("id"), int)},
            addresses=addresses,
            customers=known.customers,
            products=known.products,
        )

    def _convert(
        self, rows: list[dict[str, Any]], digests: dict[str, str], skip: SkipTest | None, known: _WalkCache
    ) -> tuple[list[ExportOrder], list[str]]:
        unchanged: set[str] = set(skip(digests)) if skip is not None and digests else set()
        todo = [r for r in rows if str(r.get("id")) not in unchanged]
        lookups = self._lookups(todo, known)
        orders = [mapping.order(r, lookups, digests.get(str(r.get("id")), ""), self.limits) for r in todo]
        return orders, [str(r.get("id")) for r in rows if str(r.get("id")) in unchanged]

    def export_page(
        self,
        start: dt.datetime,
        end: dt.datetime,
        page: int = 1,
        *,
        skip: SkipTest | None = None,
        known: _WalkCache | None = None,
    ) -> ExportPage:
        """One page of the window; `known`: the customers and products its walk met already."""
        try:
            payload = self._list("orders", self._window_params(start, end, page))
        except RestNotFound:
            if page == 1:
                raise
            return ExportPage(orders=[], pages=page - 1, page=page)
        rows = [r for r in payload.get("orders", []) if isinstance(r, dict)]
        digests = {str(r.get("id")): _digest(r) for r in rows}
        orders, unchanged = self._convert(rows, digests, skip, known or _WalkCache())
        total = payload.get("total_count")
        if payload.get("next_page") and rows:
            pages = max(page + 1, math.ceil(total / len(rows)) if isinstance(total, int) else page + 1)
        else:
            pages = page if rows else page - 1
        return ExportPage(orders=orders, pages=pages, page=page, unchanged=unchanged)

    def export_pages(
        self,
        start: dt.datetime,
        end: dt.datetime,
        *,
        first_page: int = 1,
        skip: SkipTest | None = None,
        prefetch: bool = True,
    ) -> Iterator[ExportPage]:
        """Yield the window's pages; with `prefetch`, the next page (and what it refers to) is fetched while
        the caller works on this one, one request in flight at a time, as on the XML road (client.py)."""
        known = _WalkCache()

        def background(number: int) -> ExportPage:
            self._background.active = True
            try:
                return self.export_page(start, end, number, skip=skip, known=known)
            finally:
                self._background.active = False

        return walk_pages(
            lambda number: self.export_page(start, end, number, skip=skip, known=known),
            first_page,
            prefetch=prefetch,
            stuck=lambda repeated, _page, _pages: (
                f"The store's API served only orders it had already sent on {repeated} pages of this walk: "
                "it does not page its orders correctly, so Outbound stopped reading them."
            ),
            background=background,
            # Refreshing an OAuth token writes the store's new tokens: the walk's own thread does it.
            ask_again=(StoreAuthError,),
        )

    def fetch_order(self, order_id: str) -> ExportOrder | None:
        if not str(order_id).isdigit():
            return None
        payload = self._list("orders", {"id": str(order_id), "expand": EXPAND})
        rows = [r for r in payload.get("orders", []) if isinstance(r, dict) and str(r.get("id")) == str(order_id)]
        if not rows:
            return None
        # A webhook's fetch reads one order: the statuses and storefronts its workers share will do.
        self._statuses = self._statuses if self._statuses is not None else self._shared("order_statuses")
        self._stores = self._stores if self._stores is not None else self._shared("stores")
        orders, _ = self._convert(rows, {str(order_id): _digest(rows[0])}, None, _WalkCache())
        return orders[0]

    # --- connection test ---------------------------------------------------------------------------

    def test_connection(self, *, now: dt.datetime | None = None) -> ConnectionResult:
        end = now or dt.datetime.now(dt.UTC)
        transport = self._transport({**self._transport_options, **_TEST_TRANSPORT})
        found = 0
        try:
            for resource, scope, purpose in _SCOPE_PROBES:
                params = {"count": "1"}
                if resource == "orders":
                    params["updated_at"] = (
                        f"gte:{mapping.format_datetime(end - TEST_WINDOW)} AND lte:{mapping.format_datetime(end)}"
                    )
                try:
                    payload = self._list(resource, params, transport=transport)
                except StorePermissionError:
                    # One sentence: the page's advice says which token to make.
                    return ConnectionResult(
                        ConnectionOutcome.MISSING_SCOPE,
                        _("The API token works but lacks the scope “%(scope)s”, which Outbound needs to read %(what)s.")
                        % {"scope": scope, "what": _(purpose)},
                        missing_scope=scope,
                    )
                if resource == "orders":
                    found = payload.get("total_count") if isinstance(payload.get("total_count"), int) else 0
        except StoreAuthError as exc:
            return ConnectionResult(ConnectionOutcome.BAD_CREDENTIALS, exc.message)
        except (StoreUnreachable, StoreURLRefused) as exc:
            return ConnectionResult(ConnectionOutcome.UNREACHABLE, exc.message)
        except (NotAnEndpoint, StoreRejected, StoreDocumentError) as exc:
            # The error says in one sentence what answered instead (the page's title says the rest).
            return ConnectionResult(ConnectionOutcome.NOT_AN_ENDPOINT, exc.message)
        except StoreError as exc:
            return ConnectionResult(ConnectionOutcome.UNREACHABLE, exc.message)
        finally:
            self.transport.requests_made += transport.requests_made
            transport.close()
        return ConnectionResult(
            ConnectionOutcome.OK,
            f"Connected. The store's REST API answered ({found} order{'' if found == 1 else 's'} changed in the "
            "last five minutes).",
            orders_found=found,
        )
