"""`SandboxStore`: the data of one AmeriCommerce site, its export window and its shipnotify handling.

All reads and writes go through one lock, so HTTP threads, the control endpoint and Python callers
can share a store. The export index is a sorted list of (LastModified, OrderID); a page is a bisect
plus a slice, and nothing is snapshotted between pages, exactly like a real store.
"""

from __future__ import annotations

import bisect
import math
import random
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from .catalog import STATUSES, STOREFRONTS, Product, Storefront, User, make_products, make_users
from .clock import Clock
from .faults import FaultPlan, check_kind, parse_actions
from .orders import (
    Order,
    append_note,
    apply_mutation,
    generate_order,
    index_for_id,
    index_for_number,
    order_head,
    order_id_for,
)
from .render import iso, order_truth, order_xml, orders_document
from .rest.api import RestState
from .rest.render import order_json, status_json
from .rest.webhook_delivery import WebhookFaults, WebhookLog, events_for
from .rest.webhooks import Subscriptions

GENERATED_CACHE_MAX = 50_000  # generated orders kept (the REST face reads each several times per page)
FRAGMENT_CACHE_MAX = 250_000  # rendered orders kept (about 3.5 KB each); past it, orders render each time
STATUS_BY_NAME = {s.name: s for s in STATUSES}
WALKS_KEPT = 256  # windows whose page walk the store remembers (for `change_during_paging`)

# Store behaviours: how real Custom Store v1 implementations differ (docs/custom-store-v1.md#dates, #paging-hazard).
# The first value of each is the default.
BEHAVIOURS: dict[str, tuple[str, ...]] = {
    # minute: LastModified compared at minute precision, so end_date 22:40 includes 22:40:21.
    # exact: full-precision LastModified against the minute bounds (both inclusive): end_date 22:40 is
    # 22:40:00, and an order modified at 22:40:21 is outside it.
    "window_precision": ("minute", "exact"),
    # asc or desc by (LastModified, OrderID).
    "sort": ("asc", "desc"),
    # An order changed (or placed) while a window is being paged, i.e. after its page 1 was served:
    # to_end: it stays in that window, at its newest end (a store whose end_date lies past the change);
    # out: it leaves that window (a store whose end_date the change is past, the hazard in
    # docs/custom-store-v1.md#paging-hazard).
    "change_during_paging": ("to_end", "out"),
}


class ShipNotifyError(ValueError):
    """A shipnotify the store rejects with 400."""


def _text(root: Any, path: str) -> str:
    node = root.find(path)
    return (node.text or "").strip() if node is not None else ""


def _bool(value: str) -> bool | None:
    low = value.strip().lower()
    if low in ("true", "yes", "1"):
        return True
    if low in ("false", "no", "0"):
        return False
    return None


class SandboxStore:
    """One AmeriCommerce site with the ShipStation add-on switched on.

    orders      number of orders generated at start (ids 100001.., numbers AC-10001..)
    seed        everything (catalogue, users, passwords, orders, mutations, random faults) follows it
    page_size   orders per export page (default 100)
    now         the clock's start (datetime, ISO string or epoch); default real UTC now
    frozen_clock  when True the clock only moves with `advance()` (handy for exact tests)
    username / password  the Administrator the add-on authenticates (password defaults to a seeded one)
    """

    def __init__(
        self,
        orders: int = 500,
        seed: int = 1,
        page_size: int = 100,
        now: datetime | str | float | None = None,
        *,
        frozen_clock: bool = False,
        username: str = "shipstation-admin",
        password: str | None = None,
        window_precision: str = "minute",
        sort: str = "asc",
        change_during_paging: str = "to_end",
    ) -> None:
        if orders < 0:
            raise ValueError("orders must be >= 0")
        self.seed = seed
        self.clock = Clock(now, frozen=frozen_clock)
        self.started = int(self.clock.start)
        self.storefronts: dict[int, Storefront] = {s.id: s for s in STOREFRONTS}
        self.users: tuple[User, ...] = make_users(seed, username, password)
        self.products: tuple[Product, ...] = make_products(seed)
        self.requests: Counter[str] = Counter()
        self._lock = threading.RLock()
        self._page_size = 0
        self.set_page_size(page_size)
        self.behaviour = {name: values[0] for name, values in BEHAVIOURS.items()}
        self.set_behaviour(window_precision=window_precision, sort=sort, change_during_paging=change_during_paging)
        self._customer_pool = max(40, orders // 3)
        self._count = orders
        self._base_lm: list[int] = []
        self._orders: dict[int, Order] = {}  # materialised (changed or added) orders by index
        self._generated: dict[int, Order] = {}  # orders generated and not changed since, by index
        # Each order's <Order> element as sent, by index, until the order changes (`_touch`): a store
        # serves the same unchanged order many times (every page walk, every overlap), and generating
        # it again from the seed each time made the sandbox, not the client, the slow end of the wire.
        self._fragments: dict[int, bytes] = {}
        # The same for the REST face: each order's JSON as sent, by index and then by its `expand`.
        self.rest_fragments: dict[int, dict[frozenset[str], bytes]] = {}
        self._mutations = 0
        self._shipments = 0
        # Every change or new order, in order (OrderIDs): a walk remembers how many there were when its
        # page 1 was served, so the orders changed since are `_changes[walk:]`.
        self._changes: list[int] = []
        self._walks: OrderedDict[tuple[int, int], int] = OrderedDict()
        self.shipnotify_log = {"received": 0, "recorded": 0, "duplicates_ignored": 0, "rejected": 0}
        self.faults = FaultPlan(rng=random.Random(f"{seed}:faults"))
        # The REST face (sandbox.rest): tokens, call limit; customers met on it (id -> an order of theirs).
        self.rest = RestState(seed)
        self.rest_customers: dict[int, int] = {}
        self.webhooks = Subscriptions()  # /api/v1/webhooks (sandbox.rest.webhooks)
        self.webhook_log = WebhookLog(seed)  # their faults and deliveries (sandbox.rest.webhook_delivery)
        # Each changed order's status before its latest change (for OrderStatusChanged), by OrderID.
        self._statuses: dict[int, str] = {}
        self._hidden: dict[str, int] = {}  # order id -> export requests it is still hidden from (hide_orders)
        for index in range(orders):
            _, _, last_modified = order_head(random.Random(f"{seed}:order:{index}"), index, self.started)
            self._base_lm.append(last_modified)
        self._index: list[tuple[int, int]] = sorted((lm, order_id_for(i)) for i, lm in enumerate(self._base_lm))

    # --- users ----------------------------------------------------------------------------------

    @property
    def admin(self) -> User:
        return self.users[0]

    @property
    def nonadmin(self) -> User:
        return next(u for u in self.users if not u.is_admin)

    def authenticate(self, username: str, password: str) -> User | None:
        for user in self.users:
            # AmeriCommerce user names are not case-sensitive; passwords are.
            if user.username.lower() == username.lower() and user.password == password:
                return user
        return None

    # --- orders ---------------------------------------------------------------------------------

    @property
    def order_count(self) -> int:
        return self._count

    def _order(self, index: int) -> Order:
        order = self._orders.get(index)
        if order is None:
            order = self._generated.get(index)
        if order is None:
            order = generate_order(self.seed, index, self.started, self.products, self._customer_pool)
            # The REST face reads an order several times per page (the order, its addresses, its customer):
            # keep what was generated, like the XML face keeps what it rendered.
            if len(self._generated) < GENERATED_CACHE_MAX:
                self._generated[index] = order
        return order

    def _materialise(self, index: int) -> Order:
        order = self._orders.get(index)
        if order is None:
            order = self._orders[index] = self._order(index)
            self._generated.pop(index, None)
            self._statuses[order.order_id] = order.status
        return order

    def _fragment(self, index: int) -> bytes:
        cached = self._fragments.get(index)
        if cached is not None:
            return cached
        order = self._order(index)
        fragment = order_xml(order, self.storefronts[order.storefront_id]).encode()
        if len(self._fragments) < FRAGMENT_CACHE_MAX:
            self._fragments[index] = fragment
        return fragment

    def _touch(self, order: Order, now: int) -> None:
        self._fragments.pop(order.order_id - order_id_for(0), None)
        self.rest_fragments.pop(order.order_id - order_id_for(0), None)
        key = (order.last_modified, order.order_id)
        pos = bisect.bisect_left(self._index, key)
        assert self._index[pos] == key
        del self._index[pos]
        order.last_modified = now
        bisect.insort(self._index, (now, order.order_id))
        self._changes.append(order.order_id)
        self._send_webhooks(order, created=False)

    def _send_webhooks(self, order: Order, *, created: bool) -> None:
        """Plan the vendor's webhooks for this change or creation of `order` (sandbox/rest/webhook_delivery.py);
        the caller holds the lock and has finished changing the order."""
        old = self._statuses.get(order.order_id)
        self._statuses[order.order_id] = order.status
        if not self.webhooks:
            return
        events = events_for(
            created=created, old_status=STATUS_BY_NAME.get(old), new_status=STATUS_BY_NAME[order.status]
        )
        targets = [(e, s) for e in events for s in self.webhooks.matching(e, order.storefront_id)]
        if not targets:
            return
        payload: dict[str, Any] = {"order": order_json(order)}
        for event, subscription in targets:
            body = payload
            if event == "OrderStatusChanged":
                old_status, new_status = STATUS_BY_NAME[old], STATUS_BY_NAME[order.status]  # type: ignore[index]
                body = {**payload, "old_status": status_json(old_status), "new_status": status_json(new_status)}
            self.webhook_log.plan(event, order.order_id, subscription, body)

    def set_webhook_faults(self, **faults: Any) -> dict[str, Any]:
        """Change only the webhook faults given: loss, delay, duplicate, reorder (sandbox/rest/webhook_delivery.py)."""
        with self._lock:
            return self.webhook_log.set(**faults)

    def get_order(self, order_id: int | str) -> Order | None:
        """A copy-free view of one order (do not edit it; use `mutate`)."""
        with self._lock:
            index = index_for_id(str(order_id))
            return self._order(index) if index is not None and index < self._count else None

    def now(self) -> int:
        return int(self.clock.now())

    def advance(self, seconds: float) -> str:
        return iso(self.clock.advance(seconds))

    def set_page_size(self, page_size: int) -> None:
        if not 1 <= page_size <= 32767:
            raise ValueError("page_size must be between 1 and 32767")
        with self._lock:
            self._page_size = page_size

    @property
    def page_size(self) -> int:
        return self._page_size

    def set_behaviour(
        self, window_precision: str | None = None, sort: str | None = None, change_during_paging: str | None = None
    ) -> dict[str, str]:
        """Change only the behaviours given (see BEHAVIOURS); returns them all."""
        given = {"window_precision": window_precision, "sort": sort, "change_during_paging": change_during_paging}
        for name, value in given.items():
            if value is not None and value not in BEHAVIOURS[name]:
                raise ValueError(f"{name} must be one of {', '.join(BEHAVIOURS[name])}, not {value!r}")
        with self._lock:
            self.behaviour.update({name: value for name, value in given.items() if value is not None})
            return dict(self.behaviour)

    # --- export ---------------------------------------------------------------------------------

    def export_page(self, start: int, end: int, page: int) -> tuple[bytes, int, int]:
        """Orders modified in [start, end] (minute bounds, both inclusive; see `window_precision`), sorted
        by (LastModified, OrderID) ascending or descending (`sort`), one page of them.

        Returns (document, total matching orders, pages). Each call reads the live index; nothing is
        snapshotted between pages, exactly like a real store. Page 1 starts a walk of its window: orders
        changed after it are moved by `change_during_paging` on that window's later pages.
        """
        with self._lock:
            exact = self.behaviour["window_precision"] == "exact"
            lo = bisect.bisect_left(self._index, (start,))
            hi = bisect.bisect_left(self._index, (end + 1,) if exact else (end + 60,))
            key = (start, end)
            if page == 1:
                self._walks[key] = len(self._changes)
                self._walks.move_to_end(key)
                while len(self._walks) > WALKS_KEPT:
                    self._walks.popitem(last=False)
            walk = self._walks.get(key)
            changed = set(self._changes[walk:]) if walk is not None else set()
            if changed:
                keys = self._window_during_walk(lo, hi, start, changed)
                lo, hi = 0, len(keys)
            else:
                keys = self._index
            if self._hidden:
                keys = [key for key in keys[lo:hi] if str(key[1]) not in self._hidden]
                lo, hi = 0, len(keys)
                self._spend_hidden()
            total = max(0, hi - lo)
            pages = math.ceil(total / self._page_size)
            if page < 1:
                chosen: list[tuple[int, int]] = []
            elif self.behaviour["sort"] == "desc":
                last = hi - (page - 1) * self._page_size
                chosen = keys[max(lo, last - self._page_size) : max(lo, last)][::-1]
            else:
                first = lo + (page - 1) * self._page_size
                chosen = keys[first : min(hi, first + self._page_size)]
            fragments = [self._fragment(order_id - order_id_for(0)) for _, order_id in chosen]
        return orders_document(pages, fragments), total, pages

    def _window_during_walk(self, lo: int, hi: int, start: int, changed: set[int]) -> list[tuple[int, int]]:
        """The window's (LastModified, OrderID) keys while orders in `changed` changed during its walk."""
        keys = [k for k in self._index[lo:hi] if k[1] not in changed]
        if self.behaviour["change_during_paging"] == "to_end":
            # Changed orders stay in (whatever end_date says), at the newest end: their LastModified is now.
            moved = (self._orders[oid - order_id_for(0)] for oid in changed)  # changed orders are materialised
            keys += [(o.last_modified, o.order_id) for o in moved if o.last_modified >= start]
            keys.sort()
        return keys

    def hide_orders(self, order_ids: Iterable[int | str], requests: int = 1) -> dict[str, int]:
        """Leave these orders out of the next `requests` export requests (pages and counts alike), as a
        store that loses them from a walk would (0 shows them again); returns {order id: requests left}
        of every hidden order."""
        if requests < 0:
            raise ValueError("requests must be >= 0")
        with self._lock:
            for order_id in order_ids:
                self._hidden[str(order_id)] = int(requests)
                if not requests:
                    del self._hidden[str(order_id)]
            return dict(self._hidden)

    def _spend_hidden(self) -> None:
        for order_id in list(self._hidden):
            self._hidden[order_id] -= 1
            if self._hidden[order_id] <= 0:
                del self._hidden[order_id]

    # --- shipnotify -----------------------------------------------------------------------------

    def _find(self, *, order_number: str, body_number: str, body_id: str) -> Order | None:
        for candidate in (index_for_number(order_number), index_for_number(body_number), index_for_id(body_id)):
            if candidate is not None and candidate < self._count:
                return self._materialise(candidate)
        return None

    def shipnotify(self, params: dict[str, str], body: bytes) -> tuple[bool, Order]:
        """Record a ShipNotice. Returns (recorded, order); raises ShipNotifyError for a 400."""
        with self._lock:
            self.shipnotify_log["received"] += 1
            try:
                if not body.strip():
                    raise ShipNotifyError("Empty ShipNotice body")
                try:
                    root = SafeET.fromstring(body)
                except (SafeET.ParseError, DefusedXmlException) as exc:
                    raise ShipNotifyError(f"Unreadable ShipNotice XML: {exc}") from exc
                if root.tag != "ShipNotice":
                    raise ShipNotifyError(f"Expected a ShipNotice document, got <{root.tag}>")
                order = self._find(
                    order_number=params.get("order_number", "").strip(),
                    body_number=_text(root, "OrderNumber"),
                    body_id=_text(root, "OrderID"),
                )
                if order is None:
                    raise ShipNotifyError(
                        f"Order not found: {params.get('order_number') or _text(root, 'OrderNumber')}"
                    )
            except ShipNotifyError:
                self.shipnotify_log["rejected"] += 1
                raise
            carrier = params.get("carrier") or _text(root, "Carrier")
            service = params.get("service") or _text(root, "Service")
            tracking = params.get("tracking_number") or _text(root, "TrackingNumber")
            # ShipStation has no notification id and sometimes sends the same notice twice.
            key = (tracking.lower(), carrier.lower())
            if any((s["TrackingNumber"].lower(), s["Carrier"].lower()) == key for s in order.shipments):
                self.shipnotify_log["duplicates_ignored"] += 1
                return False, order
            now = self.now()
            items = []
            for node in root.findall("Items/Item"):
                qty = _text(node, "Quantity")
                items.append(
                    {
                        "LineItemID": _text(node, "LineItemID"),
                        "SKU": _text(node, "SKU"),
                        "Name": _text(node, "Name"),
                        "Quantity": int(qty) if qty.lstrip("-").isdigit() else None,
                    }
                )
            self._shipments += 1
            order.shipments.append(
                {
                    "ShipmentID": self._shipments,
                    "Carrier": carrier,
                    "Service": service,
                    "TrackingNumber": tracking,
                    "ShippingCost": _text(root, "ShippingCost"),
                    "NotesToCustomer": _text(root, "NotesToCustomer"),
                    "InternalNotes": _text(root, "InternalNotes"),
                    "NotifyCustomer": _bool(_text(root, "NotifyCustomer")),
                    "LabelCreateDate": _text(root, "LabelCreateDate"),
                    "ShipDate": _text(root, "ShipDate"),
                    "Items": items,
                    "ReceivedAt": iso(now),
                }
            )
            storefront = self.storefronts[order.storefront_id]
            old = order.status
            order.status = storefront.shipped_status
            append_note(
                order,
                now,
                f"ShipStation: shipped via {carrier} {service} {tracking}".rstrip()
                + "."
                + (f" Status changed from {old} to {order.status}." if old != order.status else ""),
            )
            self._touch(order, now)
            self.shipnotify_log["recorded"] += 1
            return True, order

    # --- mutations ------------------------------------------------------------------------------

    def mutate(self, change: int = 0, add: int = 0, order_ids: Iterable[int | str] | None = None) -> dict[str, Any]:
        """Edit `change` random orders (or exactly `order_ids`) and place `add` new orders, now.

        Deterministic given the seed and how many times `mutate` was called before.
        """
        if change < 0 or add < 0:
            raise ValueError("change and add must be >= 0")
        with self._lock:
            self._mutations += 1
            rng = random.Random(f"{self.seed}:mutation:{self._mutations}")
            now = self.now()
            if order_ids is not None:
                indices = []
                for oid in order_ids:
                    index = index_for_id(str(oid))
                    if index is None or index >= self._count:
                        raise ValueError(f"unknown order id {oid}")
                    indices.append(index)
            else:
                indices = rng.sample(range(self._count), min(change, self._count))
            changed = []
            for index in indices:
                order = self._materialise(index)
                kind = apply_mutation(order, rng, now)
                self._touch(order, now)
                changed.append({"OrderID": str(order.order_id), "change": kind})
            added = []
            for _ in range(add):
                index = self._count
                order = generate_order(
                    self.seed, index, self.started, self.products, self._customer_pool, placed_at=now
                )
                self._orders[index] = order
                bisect.insort(self._index, (now, order.order_id))
                self._changes.append(order.order_id)
                self._count += 1
                self._send_webhooks(order, created=True)
                added.append(str(order.order_id))
            return {"changed": changed, "added": added, "now": iso(now)}

    # --- faults ---------------------------------------------------------------------------------

    def set_faults(
        self,
        sequence: list[str] | None = None,
        rate: float | None = None,
        kinds: list[str] | tuple[str, ...] | None = None,
        actions: str | list[str] | tuple[str, ...] | None = None,
        retry_after: int | None = None,
        down: bool | None = None,
    ) -> dict[str, object]:
        """Change only the switches given. `actions`: "export", "shipnotify" or "both"."""
        with self._lock:
            plan = self.faults
            if sequence is not None:
                plan.sequence = [check_kind(str(k)) for k in sequence]
            if rate is not None:
                if not 0.0 <= rate <= 1.0:
                    raise ValueError("rate must be between 0 and 1")
                plan.rate = float(rate)
            if kinds is not None:
                plan.kinds = tuple(check_kind(str(k)) for k in kinds if k != "ok") or plan.kinds
            if actions is not None:
                plan.actions = parse_actions(actions)
            if retry_after is not None:
                plan.retry_after = int(retry_after)
            if down is not None:
                plan.down = bool(down)
            return plan.describe()

    def reset_faults(self) -> None:
        """No fault left: the endpoints' (`set_faults`) and the webhooks' (`set_webhook_faults`)."""
        with self._lock:
            self.faults = FaultPlan(rng=random.Random(f"{self.seed}:faults"))
            self.webhook_log.faults = WebhookFaults()

    def pick_fault(self, action: str) -> tuple[str | None, int]:
        with self._lock:
            return self.faults.pick(action), self.faults.retry_after

    CONTROL_KEYS = (
        "reset_faults",
        "faults",
        "webhooks",
        "page_size",
        "behaviour",
        "advance",
        "mutate",
        "hide",
        "rest",
    )

    def control(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The JSON control operations, applied in the order of CONTROL_KEYS."""
        unknown = set(payload) - set(self.CONTROL_KEYS)
        if unknown:
            raise ValueError(f"unknown control keys: {sorted(unknown)}")
        result: dict[str, Any] = {}
        if payload.get("reset_faults"):
            self.reset_faults()
            result["reset_faults"] = True
        if "faults" in payload:
            result["faults"] = self.set_faults(**payload["faults"])
        if "webhooks" in payload:  # the webhook faults: {"loss": 0.2, "delay": [0, 1], "duplicate": .., "reorder": ..}
            result["webhooks"] = self.set_webhook_faults(**payload["webhooks"])
        if "page_size" in payload:
            self.set_page_size(int(payload["page_size"]))
            result["page_size"] = self.page_size
        if "behaviour" in payload:
            result["behaviour"] = self.set_behaviour(**payload["behaviour"])
        if "advance" in payload:
            result["now"] = self.advance(float(payload["advance"]))
        if "mutate" in payload:
            result["mutate"] = self.mutate(**payload["mutate"])
        if "hide" in payload:
            result["hide"] = self.hide_orders(**payload["hide"])
        if "rest" in payload:
            result["rest"] = self.rest.set(**payload["rest"])
        return result

    def count(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self.requests[key] += 1

    def request_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self.requests)

    # --- truth ----------------------------------------------------------------------------------

    def truth(self, include_orders: bool = True) -> dict[str, Any]:
        """Everything the store holds, in export field names (see the package docstring)."""
        with self._lock:
            result: dict[str, Any] = {
                "seed": self.seed,
                "clock": {"start": iso(self.started), "now": iso(self.clock.now())},
                "page_size": self._page_size,
                "behaviour": dict(self.behaviour),
                "order_count": self._count,
                "storefronts": [
                    {
                        "id": s.id,
                        "name": s.name,
                        "domain": s.domain,
                        "shipped_status": s.shipped_status,
                        "currency": s.currency,
                    }
                    for s in STOREFRONTS
                ],
                "statuses": [s.as_dict() for s in STATUSES],
                "users": [{"username": u.username, "role": u.role, "email": u.email} for u in self.users],
                "products": [p.as_dict() for p in self.products],
                "shipnotify_log": dict(self.shipnotify_log),
                "faults": self.faults.describe(),
                "requests": self.request_counts(),
                "hidden": dict(self._hidden),
                "rest": self.rest.describe(),
                "webhooks": {"subscriptions": self.webhooks.all(), **self.webhook_log.describe()},
            }
            if include_orders:
                orders = []
                for index in range(self._count):
                    order = self._order(index)
                    orders.append(order_truth(order, self.storefronts[order.storefront_id]))
                result["orders"] = orders
            return result
