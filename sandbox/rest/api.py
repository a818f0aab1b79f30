"""The REST face's request handling (see the package docstring)."""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from ..catalog import STATUSES, STOREFRONTS
from ..faults import REJECTING
from ..orders import FIRST_ORDER_ID, append_note, index_for_id
from . import webhooks
from .render import (
    EXPANSIONS,
    STATUS_IDS,
    STATUS_NAMES_BY_ID,
    customer_id_for,
    customer_json,
    iso,
    order_addresses,
    order_json,
    product_json,
    shipment_json,
    status_json,
    store_json,
)

if TYPE_CHECKING:
    from ..store import SandboxStore

API_PREFIX = "/api/v1"
WINDOW_SECONDS = 10.0
DEFAULT_CALL_LIMIT = 50
DEFAULT_COUNT = 100
MAX_COUNT = 500
# Orders whose JSON the store keeps as sent (about 4 KB each; like the XML face's FRAGMENT_CACHE_MAX).
FRAGMENT_CACHE_MAX = 100_000
# Every scope a token made for Outbound needs (docs/americommerce-rest.md#authentication).
FULL_SCOPES = frozenset({"orders", "read_orders", "read_people", "read_catalog", "system"})

Observer = Callable[[dict[str, Any]], None]
OBSERVERS: list[Observer] = []

# resource -> (read scopes, write scopes)
SCOPES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "orders": (frozenset({"read_orders", "orders"}), frozenset({"orders"})),
    "order_statuses": (frozenset({"read_orders", "orders"}), frozenset({"orders"})),
    "order_addresses": (frozenset({"read_orders", "orders"}), frozenset({"orders"})),
    "order_shipments": (frozenset({"read_orders", "orders"}), frozenset({"orders"})),
    "customers": (frozenset({"read_people", "people"}), frozenset({"people"})),
    "products": (frozenset({"read_catalog", "catalog"}), frozenset({"catalog"})),
    "stores": (frozenset({"system"}), frozenset({"system"})),
    # The vendor's webhooks.md (docs/americommerce-rest.md#webhooks) asks for "View and change order data" and
    # "Perform system tasks" to subscribe; the subscriptions themselves are the store's settings (scopes.md,
    # "system"), so both read and write need "system" here.
    "webhooks": (frozenset({"system"}), frozenset({"system"})),
}


class RestState:
    """Tokens, the call limit and its window, and the REST face's own counters."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"{seed}:rest")
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        self.token = "".join(rng.choice(alphabet) for _ in range(32))
        self.limited_token = "".join(rng.choice(alphabet) for _ in range(32))
        self.tokens: dict[str, frozenset[str]] = {
            self.token: FULL_SCOPES,
            self.limited_token: frozenset({"read_orders"}),
        }
        self.call_limit = DEFAULT_CALL_LIMIT
        self._lock = threading.Lock()
        self._window_start = time.monotonic()
        self._window_calls = 0
        self.calls: list[float] = []  # monotonic time of every call counted against the limit
        self.rejected = 0  # 429s for the call limit
        self.shipment_seq = 0

    def set(self, call_limit: int | None = None, tokens: dict[str, list[str]] | None = None) -> dict[str, Any]:
        with self._lock:
            if call_limit is not None:
                if call_limit < 1:
                    raise ValueError("call_limit must be >= 1")
                self.call_limit = int(call_limit)
            if tokens is not None:
                self.tokens.update({t: frozenset(s) for t, s in tokens.items()})
            return self.describe()

    def describe(self) -> dict[str, Any]:
        return {
            "call_limit": self.call_limit,
            "window_seconds": WINDOW_SECONDS,
            "calls": len(self.calls),
            "rejected": self.rejected,
        }

    def take(self) -> tuple[bool, str, int]:
        """Count one call: (allowed, X-AC-Call-Limit value, seconds until the window resets)."""
        with self._lock:
            now = time.monotonic()
            if now - self._window_start >= WINDOW_SECONDS:
                self._window_start += WINDOW_SECONDS * ((now - self._window_start) // WINDOW_SECONDS)
                self._window_calls = 0
            reset = max(1, math.ceil(self._window_start + WINDOW_SECONDS - now))
            if self._window_calls >= self.call_limit:
                self.rejected += 1
                return False, f"{self._window_calls}/{self.call_limit}", reset
            self._window_calls += 1
            self.calls.append(now)
            return True, f"{self._window_calls}/{self.call_limit}", reset

    def max_calls_per_window(self, window: float = WINDOW_SECONDS) -> int:
        """The most calls counted in any sliding `window` seconds (for tests)."""
        with self._lock:
            calls = list(self.calls)
        best, lo = 0, 0
        for hi, t in enumerate(calls):
            while t - calls[lo] >= window:
                lo += 1
            best = max(best, hi - lo + 1)
        return best


class ApiError(Exception):
    def __init__(self, status: int, message: str, details: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.details = status, message, details


# --- the query syntax ----------------------------------------------------------------------------

OPS = ("eq", "not", "like", "startwith", "gt", "gte", "lt", "lte")
_CONJ = re.compile(r"\s+(AND|OR)\s+")
RESERVED = {"page", "count", "expand", "sort", "fields"}


def parse_condition(value: str) -> tuple[str, list[tuple[str, str]]]:
    """`gte:a AND lte:b` / `OR eq:1 OR eq:2` / `test` -> (conjunction, [(op, value)])."""
    text = value.strip()
    conj = "AND"
    if text.startswith("OR "):
        conj, text = "OR", text[3:]
    parts = _CONJ.split(text)
    terms = parts[0::2]
    if any(c == "OR" for c in parts[1::2]):
        conj = "OR"
    out = []
    for term in terms:
        op, sep, rest = term.partition(":")
        out.append((op, rest) if sep and op in OPS else ("eq", term))
    return conj, out


def _parse_dt(text: str) -> float | None:
    try:
        return dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _compare(actual: Any, op: str, wanted: str) -> bool:
    if isinstance(actual, bool):
        a: Any = actual
        w: Any = wanted.strip().lower() in ("true", "1")
    elif isinstance(actual, int | float):
        try:
            a, w = float(actual), float(wanted)
        except ValueError:
            return False
    elif isinstance(actual, str) and _parse_dt(actual) is not None and _parse_dt(wanted) is not None:
        a, w = _parse_dt(actual), _parse_dt(wanted)
    elif actual is None:
        return op == "eq" and wanted.lower() in ("", "null") or op == "not" and wanted.lower() not in ("", "null")
    else:
        a, w = str(actual).lower(), wanted.lower()
    if op == "eq":
        return a == w
    if op == "not":
        return a != w
    if op == "like":
        return str(w) in str(a)
    if op == "startwith":
        return str(a).startswith(str(w))
    return {"gt": a > w, "gte": a >= w, "lt": a < w, "lte": a <= w}[op]


def matches(row: dict[str, Any], filters: dict[str, tuple[str, list[tuple[str, str]]]]) -> bool:
    for name, (conj, terms) in filters.items():
        if name not in row:
            raise ApiError(400, "Bad Request", f"Unknown field {name!r}.")
        results = (_compare(row[name], op, value) for op, value in terms)
        if not (any(results) if conj == "OR" else all(results)):
            return False
    return True


def _ids_wanted(filters: dict[str, tuple[str, list[tuple[str, str]]]]) -> list[int] | None:
    """The ids of an `id=1` / `id=eq:1+OR+eq:2` filter, or None when there is no such simple filter."""
    if "id" not in filters:
        return None
    conj, terms = filters["id"]
    if any(op != "eq" for op, _ in terms) or (len(terms) > 1 and conj != "OR"):
        return None
    try:
        return [int(value) for _, value in terms]
    except ValueError:
        return []


def _besides_ids(filters: dict[str, Any], ids: list[int] | None) -> dict[str, Any]:
    """The filters left to test on each row once the rows were looked up by `ids` (_ids_wanted): testing a
    100-term OR id filter on every row again made the sandbox, not the client, the slow end of the wire."""
    return filters if ids is None else {k: v for k, v in filters.items() if k != "id"}


class _Encoded(list):
    """Rows already encoded as JSON (bytes each), spliced into the answer as they are."""


def _encode(payload: Any) -> bytes:
    """The answer's JSON; a list answer's rows may be `_Encoded` (the orders, from their cache)."""
    if not isinstance(payload, dict) or not any(isinstance(v, _Encoded) for v in payload.values()):
        return json.dumps(payload, ensure_ascii=False).encode()
    parts = []
    for key, value in payload.items():
        encoded = b"[" + b", ".join(value) + b"]" if isinstance(value, _Encoded) else _dumps(value)
        parts.append(_dumps(key) + b": " + encoded)
    return b"{" + b", ".join(parts) + b"}"


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


# --- the handler ---------------------------------------------------------------------------------


def handle(handler: Any, method: str, body: bytes) -> None:
    """Answer one request under /api/v1 (the sandbox server's handler calls this)."""
    store: SandboxStore = handler.store
    rest: RestState = store.rest
    url = urlsplit(handler.path)
    path = url.path[len(API_PREFIX) :].strip("/")
    pairs = parse_qsl(url.query, keep_blank_values=True)
    exchange: dict[str, Any] = {
        "method": method,
        "url": f"http://{handler.headers.get('Host', '')}{handler.path}",
        "headers": dict(handler.headers.items()),
        "body": body,
    }
    store.count("rest", f"rest:{method} {path.split('/')[0] if path else ''}")
    action = "export" if method == "GET" else "shipnotify"
    fault, retry_after = store.pick_fault(action)
    if fault is not None:
        store.count("faults", f"fault:{fault}")
    if fault in REJECTING:
        status = 503 if fault == "down" else int(fault)
        extra = {"Retry-After": str(retry_after)} if fault == "429" else {}
        _reply(handler, exchange, status, _error_body(status, "The store cannot answer now."), extra, observe=False)
        return
    if fault is not None and fault.startswith("slow:"):
        time.sleep(float(fault[5:]))
        fault = None
    headers: dict[str, str] = {}
    try:
        token = handler.headers.get("X-AC-Auth-Token", "")
        scopes = rest.tokens.get(token)
        if scopes is None:
            store.count("rest_auth_failed")
            raise ApiError(401, "Unauthorized", "A valid X-AC-Auth-Token header is required.")
        allowed, used, reset = rest.take()
        headers["X-AC-Call-Limit"] = used
        if not allowed:
            headers["Retry-After"] = str(reset)
            raise ApiError(429, "Too Many Requests", "The call limit of this store was reached.")
        status, payload = _route(store, method, path, pairs, body, scopes, handler)
    except ApiError as exc:
        _reply(handler, exchange, exc.status, _error_body(exc.status, exc.message, exc.details), headers, corrupt=fault)
        return
    _reply(handler, exchange, status, _encode(payload), headers, corrupt=fault)


def _error_body(status: int, message: str, details: str = "") -> bytes:
    return json.dumps({"status_code": status, "message": message, "details": details}).encode()


def _reply(
    handler: Any,
    exchange: dict[str, Any],
    status: int,
    body: bytes,
    headers: dict[str, str],
    *,
    corrupt: str | None = None,
    observe: bool = True,
) -> None:
    if observe and corrupt is None:
        for observer in list(OBSERVERS):
            observer(
                {
                    **exchange,
                    "status": status,
                    "response_headers": {"Content-Type": "application/json", **headers},
                    "response_body": body,
                }
            )
    if corrupt in ("malformed", "bomb"):
        body = body[: max(len(body) // 2, 1)] + b'{"'
    handler._send(
        status,
        body,
        "application/json; charset=utf-8",
        headers,
        corrupt=corrupt if corrupt in ("drop", "truncate") else None,
    )


def _need(scopes: frozenset[str], resource: str, write: bool) -> None:
    read, wr = SCOPES[resource]
    wanted = wr if write else read
    if not scopes & wanted:
        raise ApiError(
            403, "Forbidden", f"This access token lacks the scope {sorted(wanted)[-1]!r} needed for {resource}."
        )


def _paging(pairs: list[tuple[str, str]]) -> tuple[int, int]:
    query = dict(pairs)
    try:
        page = int(query.get("page", "1") or "1")
        count = int(query.get("count", str(DEFAULT_COUNT)) or DEFAULT_COUNT)
    except ValueError:
        raise ApiError(400, "Bad Request", "page and count must be whole numbers.") from None
    if page < 1 or count < 1:
        raise ApiError(400, "Bad Request", "page and count start at 1.")
    return page, min(count, MAX_COUNT)


def _filters(pairs: list[tuple[str, str]]) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    return {k: parse_condition(v) for k, v in pairs if k not in RESERVED}


def _expand(pairs: list[tuple[str, str]]) -> frozenset[str]:
    return frozenset(x.strip() for x in dict(pairs).get("expand", "").split(",") if x.strip())


def _list(
    resource: str,
    rows: list[dict[str, Any]],
    total: int,
    page: int,
    count: int,
    pairs: list[tuple[str, str]],
    handler: Any,
) -> dict[str, Any]:
    pages = max(1, math.ceil(total / count))
    if page > 1 and page > pages:
        raise ApiError(404, "Not Found", "No resource found")
    result: dict[str, Any] = {"total_count": total}
    base = f"http://{handler.headers.get('Host', 'localhost')}{API_PREFIX}/{resource}"
    others = [(k, v) for k, v in pairs if k != "page"]
    if page < pages:
        result["next_page"] = f"{base}?{urlencode([*others, ('page', str(page + 1))])}"
    if page > 1:
        result["previous_page"] = f"{base}?{urlencode([*others, ('page', str(page - 1))])}"
    result[resource] = rows
    return result


def _page_of(rows: list[Any], page: int, count: int) -> list[Any]:
    return rows[(page - 1) * count : page * count]


def _route(
    store: SandboxStore,
    method: str,
    path: str,
    pairs: list[tuple[str, str]],
    body: bytes,
    scopes: frozenset[str],
    handler: Any,
) -> tuple[int, Any]:
    parts = path.split("/") if path else []
    resource = parts[0] if parts else ""
    if resource not in SCOPES:
        raise ApiError(404, "Not Found", "No resource found")
    write = method != "GET"
    _need(scopes, resource, write)
    if resource == "webhooks":  # sandbox/rest/webhooks.py
        return webhooks.route(store, method, parts, pairs, body, handler)
    if method == "GET" and len(parts) == 1:
        return 200, _get_list(store, resource, pairs, handler)
    if method == "POST" and parts == ["order_shipments"]:
        return 200, _post_shipment(store, _json_body(body))
    if method == "PUT" and resource == "orders" and len(parts) == 3 and parts[2] == "status":
        return 200, _put_status(store, parts[1], _json_body(body))
    raise ApiError(404, "Not Found", "No resource found")


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        raise ApiError(400, "Bad Request", "The request body is not JSON.") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "Bad Request", "The request body must be a JSON object.")
    return payload


def _get_list(store: SandboxStore, resource: str, pairs: list[tuple[str, str]], handler: Any) -> dict[str, Any]:
    page, count = _paging(pairs)
    filters = _filters(pairs)
    expand = _expand(pairs)
    if resource == "orders":
        # The store's page_size is the most orders one page holds (the API's own maximum), so that a small
        # store still pages like the XML face does.
        count = min(count, store.page_size)
        return _orders(store, filters, expand, dict(pairs).get("sort", ""), page, count, pairs, handler)
    if resource == "order_statuses":
        rows = [r for r in (status_json(s) for s in STATUSES) if matches(r, filters)]
    elif resource == "stores":
        rows = [r for r in (store_json(s) for s in STOREFRONTS) if matches(r, filters)]
    elif resource == "products":
        ids = _ids_wanted(filters)
        wanted = None if ids is None else set(ids)
        chosen = [p for p in store.products if wanted is None or p.id in wanted]
        others = _besides_ids(filters, ids)
        rows = [r for r in (product_json(p, expand) for p in chosen) if matches(r, others)]
    elif resource == "order_addresses":
        rows = _addresses(store, filters)
    elif resource == "customers":
        rows = _customers(store, filters)
    else:  # order_shipments
        rows = _shipments(store, filters)
    return _list(resource, _page_of(rows, page, count), len(rows), page, count, pairs, handler)


def _orders(
    store: SandboxStore,
    filters: dict[str, Any],
    expand: frozenset[str],
    sort: str,
    page: int,
    count: int,
    pairs: list[tuple[str, str]],
    handler: Any,
) -> dict[str, Any]:
    unknown = expand - set(EXPANSIONS)
    if unknown:
        raise ApiError(400, "Bad Request", f"Unknown nested resource(s): {', '.join(sorted(unknown))}.")
    ids = _ids_wanted(filters)
    with store._lock:
        if ids is not None:
            indices = [i for i in (index_for_id(str(x)) for x in ids) if i is not None and i < store._count]
            keys = sorted((store._order(i).last_modified, store._order(i).order_id) for i in indices)
        else:
            keys = _updated_window(store, filters.get("updated_at"))
        if store._hidden:
            keys = [k for k in keys if str(k[1]) not in store._hidden]
            store._spend_hidden()
        rest_filters = {k: v for k, v in filters.items() if k not in ("updated_at", "id")}
        descending = sort.strip().startswith("-")
        if not sort.strip().lstrip("-").startswith("updated_at"):
            keys = sorted(keys, key=lambda k: k[1])
        if descending:
            keys = keys[::-1]
        if rest_filters:
            keys = [k for k in keys if matches(order_json(store._order(k[1] - FIRST_ORDER_ID)), rest_filters)]
        total = len(keys)
        rows = _Encoded()
        for _, order_id in _page_of(keys, page, count):
            index = order_id - FIRST_ORDER_ID
            order = store._order(index)
            store.rest_customers[customer_id_for(order.customer_code)] = order_id
            rows.append(_order_fragment(store, index, order, expand))
    return _list("orders", rows, total, page, count, pairs, handler)


def _order_fragment(store: SandboxStore, index: int, order: Any, expand: frozenset[str]) -> bytes:
    """An order's JSON as served, from the store's cache until the order changes (`SandboxStore._touch`)."""
    cached = store.rest_fragments.get(index)
    fragment = cached.get(expand) if cached is not None else None
    if fragment is None:
        fragment = _dumps(order_json(order, expand))
        if cached is not None:
            cached[expand] = fragment
        elif len(store.rest_fragments) < FRAGMENT_CACHE_MAX:
            store.rest_fragments[index] = {expand: fragment}
    return fragment


def _updated_window(store: SandboxStore, condition: tuple[str, list[tuple[str, str]]] | None) -> list[tuple[int, int]]:
    """The index keys whose updated_at satisfies the condition (AND of bounds; exact to the second)."""
    import bisect

    lo, hi = 0, len(store._index)
    if condition is None:
        return list(store._index)
    conj, terms = condition
    if conj == "OR":
        raise ApiError(400, "Bad Request", "The sandbox filters updated_at with AND only.")
    for op, value in terms:
        ts = _parse_dt(value)
        if ts is None:
            raise ApiError(400, "Bad Request", f"Not a datetime: {value!r}.")
        # LastModified is whole seconds: a bound with a fraction compares as the next/previous second.
        if op in ("gte", "gt"):
            bound = math.ceil(ts) if op == "gte" else math.floor(ts) + 1
            lo = max(lo, bisect.bisect_left(store._index, (bound,)))
        elif op in ("lte", "lt"):
            bound = math.floor(ts) + 1 if op == "lte" else math.ceil(ts)
            hi = min(hi, bisect.bisect_left(store._index, (bound,)))
        elif op == "eq":
            lo = max(lo, bisect.bisect_left(store._index, (ts,)))
            hi = min(hi, bisect.bisect_left(store._index, (ts + 1,)))
        else:
            raise ApiError(400, "Bad Request", f"The sandbox cannot filter updated_at with {op!r}.")
    return list(store._index[lo:hi]) if lo < hi else []


def _order_by_id(store: SandboxStore, order_id: Any):
    index = index_for_id(str(order_id))
    if index is None or index >= store._count:
        return None
    return store._order(index)


def _addresses(store: SandboxStore, filters: dict[str, Any]) -> list[dict[str, Any]]:
    ids = _ids_wanted(filters)
    others = _besides_ids(filters, ids)
    rows = []
    with store._lock:
        if ids is None:  # every order's addresses, in order id order (slow on a big store; nobody needs it)
            ids = [
                a for i in range(store._count) for a in (store._order(i).order_id * 2, store._order(i).order_id * 2 + 1)
            ]
        for address_id in ids:
            order = _order_by_id(store, address_id // 2)
            if order is None:
                continue
            for row in order_addresses(order):
                if row["id"] == address_id and matches(row, others):
                    rows.append(row)
    return rows


def _customers(store: SandboxStore, filters: dict[str, Any]) -> list[dict[str, Any]]:
    ids = _ids_wanted(filters)
    others = _besides_ids(filters, ids)
    rows = []
    with store._lock:
        for customer_id in sorted(store.rest_customers) if ids is None else ids:
            order = _order_by_id(store, store.rest_customers.get(customer_id, 0))
            if order is not None:
                row = customer_json(order)
                if matches(row, others):
                    rows.append(row)
    return rows


def _shipments(store: SandboxStore, filters: dict[str, Any]) -> list[dict[str, Any]]:
    """The shipments of the orders an `order_id` filter names, else every shipment of the store by id (a list
    endpoint like the others: docs/order_shipments.md). Only changed orders hold shipments (generated ones
    have none), so the whole list costs no generation."""
    rows = []
    with store._lock:
        if "order_id" in filters:
            _, terms = filters["order_id"]
            orders = [o for o in (_order_by_id(store, value) for _, value in terms) if o is not None]
        else:
            orders = list(store._orders.values())
        pairs = [(s["ShipmentID"], order, s) for order in orders for s in order.shipments]
        if "order_id" not in filters:
            pairs.sort(key=lambda p: p[0])
        rows = [r for r in (shipment_json(order, s) for _, order, s in pairs) if matches(r, filters)]
    return rows


def _post_shipment(store: SandboxStore, payload: dict[str, Any]) -> dict[str, Any]:
    """Create a shipment, or update the order's shipment with the same id or shipment_name (the vendor's rule)."""
    with store._lock:
        store.shipnotify_log["received"] += 1
        order_id = payload.get("order_id")
        index = index_for_id(str(order_id)) if order_id is not None else None
        if index is None or index >= store._count:
            store.shipnotify_log["rejected"] += 1
            raise ApiError(400, "Bad Request", f"Order {order_id!r} was not found.")
        order = store._materialise(index)
        now = store.now()
        name = str(payload.get("shipment_name") or "")
        existing = next(
            (
                s
                for s in order.shipments
                if (payload.get("id") and s["ShipmentID"] == payload.get("id"))
                or (name and s.get("ShipmentName") == name)
            ),
            None,
        )
        cost = payload.get("provider_total_shipping_cost")
        record = {
            "Carrier": str(payload.get("shipping_provider_name") or ""),
            "Service": str(payload.get("shipping_method") or ""),
            "TrackingNumber": str(payload.get("tracking_numbers") or ""),
            "TrackingUrl": str(payload.get("tracking_url") or ""),
            "ShippingCost": f"{cost:.2f}" if isinstance(cost, int | float) else "",
            "NotesToCustomer": str(payload.get("shipping_comment") or ""),
            "InternalNotes": str(payload.get("private_comment") or ""),
            "NotifyCustomer": None,
            "LabelCreateDate": "",
            "ShipDate": str(payload.get("shipped_at") or ""),
            "Packages": payload.get("number_of_packages"),
            "ShipmentName": name,
            "Items": [
                {"LineItemID": str(i.get("id", "")), "SKU": "", "Name": "", "Quantity": i.get("quantity_shipped")}
                for i in payload.get("items") or []
            ],
        }
        if existing is not None:
            existing.update(record)
            store.shipnotify_log["duplicates_ignored"] += 1
            shipment = existing
        else:
            store._shipments += 1
            shipment = {"ShipmentID": store._shipments, **record, "ReceivedAt": iso(now)}
            order.shipments.append(shipment)
            store.shipnotify_log["recorded"] += 1
            append_note(
                order,
                now,
                f"Shipment added via API: {record['Carrier']} {record['Service']} {record['TrackingNumber']}".rstrip()
                + ".",
            )
        store._touch(order, now)
        return shipment_json(order, shipment)


def _put_status(store: SandboxStore, raw_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    status_id = payload.get("order_status_id")
    if status_id not in STATUS_NAMES_BY_ID:
        raise ApiError(400, "Bad Request", f"Unknown order_status_id {status_id!r}.")
    with store._lock:
        index = index_for_id(raw_id)
        if index is None or index >= store._count:
            raise ApiError(404, "Not Found", "No resource found")
        order = store._materialise(index)
        now = store.now()
        old, new = order.status, STATUS_NAMES_BY_ID[status_id]
        if old != new:
            order.status = new
            append_note(order, now, f"Status changed from {old} to {new} via API.")
            store._touch(order, now)
        store.count("rest_status_set")
        return order_json(order)


__all__ = ["API_PREFIX", "OBSERVERS", "STATUS_IDS", "RestState", "handle"]
