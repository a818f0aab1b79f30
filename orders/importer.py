"""The order import engine.

    import_tick (every minute)          import_request (portal, API, admin)
          │  stores due, no active run         │
          ▼                                    ▼
    ImportRun(queued) ──► django-q2 task import_run_task(run_id)
          │
          ▼
    import_run_execute: claim the run (queued → running, conditional UPDATE)
          │            claim the store (lease on Store.import_running_since, conditional UPDATE)
          ▼
    window = [watermark − overlap, now]     (first import: [since, now])
          │
          ▼
    walk export pages 1..N ──► import_page(): map statuses, skip no ship-to / unmapped,
          │                    bulk upsert orders, lines, products, events — constant queries per page
          ▼
    tail check: export [end, now']; orders seen in the walk that moved again may have shifted later
          │     pages (reference §5.5) → re-walk the part of the window they could have hidden
          ▼
    watermark advances only when every page succeeded; the store claim is released.

The durable truth lives in our tables (ImportRun, Store.import_watermark), not in the queue: a task
that is lost, run twice or killed mid-way is harmless, because the claim makes a second copy a no-op,
writes are idempotent upserts, and a failed or killed run leaves the watermark where it was so the next
run covers the same window again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import os
import socket
import time
from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, F, Q, When
from django.utils import timezone

from core import bulk
from stores import statuses
from stores.connector.errors import StoreError
from stores.connector.types import ExportItem, ExportOrder
from stores.models import StatusMapping, Store, Storefront, StoreSettings

from .events import event
from .limits import export_limits
from .models import (
    UNMAPPED,
    ImportRun,
    ImportState,
    ImportTrigger,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    ProductKind,
    Situation,
    SkippedOrder,
    SkipReason,
    StatusDecision,
    UnmappedStatus,
    shipment_situation,
    status_event_data,
    status_event_params,
    status_history_line,
    status_transition,
)

log = logging.getLogger(__name__)

SKIP_NO_SHIP_TO = SkipReason.NO_SHIP_TO.value
SKIP_UNMAPPED = SkipReason.UNMAPPED_STATUS.value
SKIP_INVALID = SkipReason.INVALID_VALUE.value
SKIP_REASONS = dict(SkipReason.choices)


def overlap() -> dt.timedelta:
    return dt.timedelta(seconds=settings.IMPORT_OVERLAP_SECONDS)


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.IMPORT_LEASE_SECONDS)


def first_import_default() -> dt.timedelta:
    return dt.timedelta(days=settings.IMPORT_FIRST_DAYS)


IMPORT_FORMAT = 2  # bump when import_page writes orders differently, so every order is rewritten once
ATTENTION_AFTER = 3  # consecutive failures before a store is flagged "needs attention"
UNMAPPED_IDS_KEPT = 50
CLAIM_RENEW_EVERY = 10.0  # seconds between claim renewals while pages bring nothing to write
PROGRESS_EVERY = 0.5  # seconds between saves of a running import's progress (its pages and counts)
WEBHOOK_EVENTS_TTL = 5.0  # seconds a run trusts its reading of the tenant's webhook subscriptions
ORDER_IMPORT_FIELDS = (
    "tenant", "storefront", "number", "store_status", "status", "order_date", "modified_at", "customer_code",
    "email", "phone", "bill_to", "ship_to", "ship_to_name", "shipping_method", "payment_method", "currency",
    "order_total", "tax_amount", "shipping_amount", "discount_total", "is_gift", "gift_message", "customer_notes",
    "internal_notes", "custom_field_1", "custom_field_2", "custom_field_3", "requested_warehouse", "source",
    "total_weight", "weight_unit", "total_weight_from_lines", "content_hash", "visible_hash", "updated_at",
)
LINE_FIELDS = (
    "position", "line_item_id", "sku", "name", "image_url", "unit_weight", "weight_unit", "quantity", "unit_price",
    "upc", "warehouse_location", "options", "is_adjustment", "is_shippable", "product_kind",
)
PRODUCT_FIELDS = ("name", "weight", "weight_unit", "image_url", "warehouse_location", "kind", "updated_at")

# Weight conversions to grams, for totals in mixed units.
_GRAMS = {"Pounds": Decimal("453.59237"), "Ounces": Decimal("28.349523125"), "Grams": Decimal(1)}


# --- page import -------------------------------------------------------------------------------------


@dataclass
class PageResult:
    seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter = field(default_factory=Counter)
    wrote: bool = False  # whether the page wrote any row (orders, lines, events, unmapped statuses)


@dataclass
class ImportContext:
    """What one run needs to write pages: the store, its mapping and settings, caches across pages."""

    store: Store
    lookup: dict[str, str]
    store_settings: StoreSettings
    actor: str = "import"
    storefronts: dict[str, int | None] = field(default_factory=dict)
    # Everything besides the order's own bytes that shapes what we write: a change here (a status
    # added to a mapping list, say) makes every order look changed, so the next import rewrites it.
    fingerprint: str = ""
    unchanged_modified: dict[str, dt.datetime] = field(default_factory=dict)
    # {order id: (content hash, modified, skip reason or None)} of the orders held and the orders skipped
    held: dict[str, tuple[str, dt.datetime, str | None]] = field(default_factory=dict)
    held_loaded: bool = False
    # {sku: (values from the store, warehouse location written)} for products upserted during this run.
    products_written: dict[str, tuple] = field(default_factory=dict)
    _webhooks: tuple[float, set[str]] | None = None
    claim_renewed_at: dt.datetime | None = None
    # A reconciliation sweep: orders modified up to this time should already be held; those the sweep
    # imports (new to us, or held with an older LastModified) were missed by earlier runs.
    recover_until: dt.datetime | None = None
    recovered: list[str] = field(default_factory=list)  # their order numbers

    @classmethod
    def for_store(cls, store: Store, actor: str = "import") -> ImportContext:
        mapping = store.status_mapping
        store_settings = StoreSettings.objects.get_or_create(store=store)[0]
        ctx = cls(store=store, lookup=mapping.lookup(), store_settings=store_settings, actor=actor)
        ctx.storefronts = dict(Storefront.objects.filter(store=store).values_list("name", "id"))
        ctx.fingerprint = repr((IMPORT_FORMAT, sorted(ctx.lookup.items()), store_settings.store_location_overwrites,
                                store_settings.default_weight_unit))
        return ctx

    def digest(self, raw_digest: str) -> str:
        return hashlib.sha1(f"{raw_digest}|{self.fingerprint}".encode(), usedforsecurity=False).hexdigest()

    def content_hash(self, export: ExportOrder) -> str:
        return self.digest(export.raw_digest or order_hash(export))

    def load_held(self) -> None:
        """Snapshot the store's orders and skipped orders, {order id: (content hash, modified, skip
        reason)}, once per run.

        The store claim guarantees no other import writes them meanwhile, and nothing else changes a
        content hash, so the snapshot lets pages be sorted into changed and unchanged without a query
        (and from the prefetch thread, which must not touch the database).
        """
        self.held = {
            oid: (digest, modified, None)
            for oid, digest, modified in Order.objects.filter(store=self.store).values_list(
                "external_id", "content_hash", "modified_at").iterator(chunk_size=5000)
        }
        for oid, digest, modified, reason in SkippedOrder.objects.filter(store=self.store).values_list(
                "external_id", "content_hash", "modified_at", "reason").iterator(chunk_size=5000):
            self.held.setdefault(oid, (digest, modified, reason))
        self.held_loaded = True

    def held_rows(self, order_ids: Iterable[str]) -> list[str]:
        """Of these order ids, those that may have an Order row. Only imports create orders and the
        store claim keeps other imports out, so with the snapshot loaded an order it lacks (or holds as
        skipped) has no row: a page of new orders needs no query to learn so."""
        if not self.held_loaded:
            return list(order_ids)
        return [oid for oid in order_ids if oid in self.held and self.held[oid][2] is None]

    def were_skipped(self, order_ids: Iterable[str]) -> list[str]:
        """Of these order ids, those that may have a SkippedOrder row."""
        if not self.held_loaded:
            return list(order_ids)
        return [oid for oid in order_ids if oid in self.held and self.held[oid][2] is not None]

    def note_written(self, orders: Iterable[dict], reason: str | None = None) -> None:
        if self.held_loaded:
            for order in orders:
                self.held[order["external_id"]] = (order["content_hash"], order["modified_at"], reason)

    def recognised(self, order_ids: Iterable[str]) -> tuple[int, Counter]:
        """Orders recognised unchanged from their bytes: (how many are held orders, skips by reason)."""
        skipped: Counter = Counter()
        unchanged = 0
        for oid in order_ids:
            held = self.held.get(oid)
            if held is not None and held[2] is not None:
                skipped[held[2]] += 1
            else:
                unchanged += 1
        return unchanged, skipped

    def webhook_events(self) -> set[str]:
        """The tenant's subscribed webhook events, read at most every few seconds during a run."""
        from webhooks.services import webhook_events_wanted

        now = time.monotonic()
        if self._webhooks is None or now - self._webhooks[0] > WEBHOOK_EVENTS_TTL:
            self._webhooks = (now, webhook_events_wanted(self.store.tenant_id))
        return self._webhooks[1]

    def unchanged_ids(self, digests: dict[str, str]) -> set[str]:
        """Of {order id: raw digest} on a page, the ids we already hold exactly so (no query)."""
        same = set()
        for oid, raw in digests.items():
            held = self.held.get(oid)
            if held is not None and held[0] == self.digest(raw):
                same.add(oid)
                self.unchanged_modified[oid] = held[1]  # for the tail check: when we last saw it change
        return same


def product_kind(item: ExportItem) -> str:
    """Electronic and does-not-ship items (S22): the add-on marks them with extra item elements."""
    extra = {k.lower(): v.strip().lower() for k, v in item.extra.items()}
    if extra.get("isnonshippingitem") in ("true", "1", "yes") or extra.get("nonshipping") in ("true", "1", "yes"):
        return ProductKind.NO_SHIP
    etype = extra.get("eproducttype") or extra.get("producttype") or ""
    if etype and etype not in ("notaneproduct", "physical", "none", ""):
        return ProductKind.ELECTRONIC
    return ProductKind.PHYSICAL


def line_key(item: ExportItem, position: int) -> str:
    return item.line_item_id or f"{position}:{item.sku}:{item.name}"[:120]


def order_hash(order: ExportOrder) -> str:
    # repr of frozen dataclasses is deterministic: same export → same hash → skipped cheaply.
    return hashlib.sha1(repr(order).encode(), usedforsecurity=False).hexdigest()


def _address(address) -> dict:
    if address is None:
        return {}
    return {k: getattr(address, k) for k in address.__slots__ if getattr(address, k)}


def _total_weight(order: ExportOrder, unit: str) -> tuple[Decimal | None, str, bool]:
    sent = order.extra.get("TotalWeight") or order.extra.get("Weight")
    if sent:
        try:
            return Decimal(sent), order.extra.get("WeightUnits", unit) or unit, False
        except ArithmeticError:
            pass
    grams = Decimal(0)
    any_weight = False
    for item in order.items:
        if item.adjustment or item.weight is None or product_kind(item) != ProductKind.PHYSICAL:
            continue
        per_unit = item.weight + sum((o.weight or 0) for o in item.options)
        grams += per_unit * item.quantity * _GRAMS.get(item.weight_units or unit, Decimal(1))
        any_weight = True
    if not any_weight:
        return None, "", True
    total = grams / _GRAMS[unit]
    if abs(total) >= export_limits().weight_max:
        return None, "", True  # each line's weight fits; a sum beyond the column is left unknown
    return total.quantize(Decimal("0.001")), unit, True


def _resolve_status(ctx: ImportContext, export: ExportOrder, existing: tuple | None) -> StatusDecision:
    """The status machine's decision for one order the store sent (orders.models.status_transition)."""
    mapped = statuses.map_status(ctx.lookup, export.order_status)
    if existing is None:
        return status_transition(None, Situation.NOTHING, store=mapped)
    _pk, _hash, current, shipping, hold_reason, _attention = existing
    return status_transition(current, shipment_situation(shipping, current),
                             store=UNMAPPED if mapped is None else mapped, outbound_hold=bool(hold_reason))


def _storefront_ids(ctx: ImportContext, names: Iterable[str]) -> None:
    missing = {n for n in names if n and n not in ctx.storefronts}
    if not missing:
        return
    Storefront.objects.bulk_create(
        [Storefront(store=ctx.store, name=n[:200]) for n in missing], ignore_conflicts=True
    )
    ctx.storefronts.update(Storefront.objects.filter(store=ctx.store, name__in=missing).values_list("name", "id"))


def skipped_key(order_id: str) -> str:
    """The SkippedOrder key of an order id: the id itself, or for an id too long to hold, its start and a
    digest of the whole (two long ids sharing a start stay two rows)."""
    limit = SkippedOrder._meta.get_field("external_id").max_length
    if len(order_id) <= limit:
        return order_id
    return order_id[: limit - 13] + "~" + hashlib.sha1(order_id.encode(), usedforsecurity=False).hexdigest()[:12]


def _skipped_rows(ctx: ImportContext, skipped: dict[str, list[ExportOrder]], now: dt.datetime) -> bulk.Rows:
    """Orders skipped on purpose ({reason: orders}) are kept with their digest: the next import recognises
    them unchanged before converting them, the operator sees what was left out and why, and a mapping
    change knows which orders to bring back (`orders.services.skipped_orders_remap`). An order the parser
    rejected is skipped for that instead, with the field it named."""
    rows = []
    for reason, orders in skipped.items():
        part = [{"store_id": ctx.store.pk, "external_id": skipped_key(o.order_id), "number": o.order_number[:50],
                 "reason": SKIP_INVALID if o.rejected else reason, "detail": o.rejected[:300],
                 "store_status": o.order_status[:100], "modified_at": o.last_modified,
                 "content_hash": ctx.content_hash(o), "seen_at": now} for o in orders]
        for row in part:
            ctx.note_written([row], row["reason"])
        rows += part
    return bulk.Rows(SkippedOrder, rows, unique=("store", "external_id"),
                     update=("number", "reason", "detail", "store_status", "modified_at", "content_hash", "seen_at"))


def _record_unmapped(ctx: ImportContext, orders: list[ExportOrder]) -> None:
    if not orders:
        return
    now = timezone.now()
    by_key: dict[str, list[ExportOrder]] = {}
    for o in orders:
        by_key.setdefault(statuses.normalize_status(o.order_status), []).append(o)
    existing = {u.key: u for u in UnmappedStatus.objects.filter(store=ctx.store, key__in=list(by_key))}
    to_create, to_update = [], []
    for key, group in by_key.items():
        earliest = min(o.last_modified for o in group)
        latest = max(o.last_modified for o in group)
        ids = [o.order_id for o in group]
        row = existing.get(key)
        if row is None:
            to_create.append(UnmappedStatus(
                store=ctx.store, key=key[:100], status=group[0].order_status[:100], order_count=len(group),
                first_seen_at=now, last_seen_at=now, earliest_modified=earliest, latest_modified=latest,
                order_ids=ids[:UNMAPPED_IDS_KEPT],
            ))
        else:
            known = list(dict.fromkeys([*row.order_ids, *ids]))
            row.order_count = max(row.order_count, len(known)) if len(known) < UNMAPPED_IDS_KEPT else (
                row.order_count + len([i for i in ids if i not in row.order_ids]))
            row.order_ids = known[:UNMAPPED_IDS_KEPT]
            row.last_seen_at = now
            row.earliest_modified = min(filter(None, [row.earliest_modified, earliest]))
            row.latest_modified = max(filter(None, [row.latest_modified, latest]))
            to_update.append(row)
    if to_create:
        UnmappedStatus.objects.bulk_create(to_create, ignore_conflicts=True)
    if to_update:
        UnmappedStatus.objects.bulk_update(
            to_update, ["order_count", "order_ids", "last_seen_at", "earliest_modified", "latest_modified"]
        )


@transaction.atomic(savepoint=False)
def import_page(ctx: ImportContext, exports: list[ExportOrder]) -> PageResult:
    """Write one export page with a constant number of queries, whatever its size."""
    result = PageResult(seen=len(exports))
    if not exports:
        return result
    store = ctx.store
    now = timezone.now()
    # The same order can appear twice in a page walk (overlap, re-walks); keep its latest version.
    latest: dict[str, ExportOrder] = {}
    for export in exports:
        prev = latest.get(export.order_id)
        if prev is None or export.last_modified >= prev.last_modified:
            latest[export.order_id] = export
    candidates = ctx.held_rows(latest)
    rows = Order.objects.filter(store=store, external_id__in=candidates).values_list(
        "external_id", "id", "content_hash", "status", "shipping", "hold_reason", "needs_attention", "visible_hash"
    ) if candidates else ()
    existing, seen_as = {}, {}
    for row in rows:
        existing[row[0]], seen_as[row[0]] = row[1:7], row[7]
    unmapped: list[ExportOrder] = []
    unmapped_new: list[ExportOrder] = []
    no_ship_to: list[ExportOrder] = []
    to_write: list[tuple[ExportOrder, str, str, str | None]] = []
    decisions: dict[str, StatusDecision] = {}
    attention: list[tuple[int, str]] = []  # (order pk, why) of orders the store's status flags
    for export in latest.values():
        known = existing.get(export.order_id)
        if export.rejected:  # a value no column can hold: skipped with the field named, the page goes on
            result.skipped[SKIP_INVALID] += 1
            no_ship_to.append(export)
            continue
        if known is None and not export.has_ship_to:
            result.skipped[SKIP_NO_SHIP_TO] += 1
            no_ship_to.append(export)
            continue
        if statuses.map_status(ctx.lookup, export.order_status) is None:
            unmapped.append(export)
            if known is None:
                result.skipped[SKIP_UNMAPPED] += 1
                unmapped_new.append(export)
                continue
        digest = ctx.content_hash(export)
        if known is not None and known[1] == digest:
            result.unchanged += 1
            continue
        decision = _resolve_status(ctx, export, known)
        previous = known[2] if known is not None else None
        to_write.append((export, digest, decision.status, previous))
        decisions[export.order_id] = decision
        if decision.attention and known is not None and not known[5]:
            attention.append((known[0], decision.attention))
    _record_unmapped(ctx, unmapped)
    skipped_rows = _skipped_rows(ctx, {SKIP_NO_SHIP_TO: no_ship_to, SKIP_UNMAPPED: unmapped_new}, now)
    result.wrote = bool(unmapped or no_ship_to or to_write)
    if not to_write:
        bulk.write(skipped_rows)
        return result

    _storefront_ids(ctx, (e.source for e, *_ in to_write))
    locations = _product_locations(ctx, to_write, now)
    unit = ctx.store_settings.default_weight_unit
    orders = []
    order_lines: dict[str, list[dict]] = {}
    invisible: set[str] = set()  # re-derived rows a user would see no difference in
    for export, digest, status, _previous in to_write:
        customer = export.customer
        ship_to = customer.ship_to
        weight, weight_unit, from_lines = _total_weight(export, unit)
        discount = -sum((i.unit_price * i.quantity for i in export.items if i.adjustment), Decimal(0))
        order = {
            "tenant_id": store.tenant_id, "store_id": store.pk, "storefront_id": ctx.storefronts.get(export.source),
            "external_id": export.order_id, "number": export.order_number,
            "store_status": export.order_status[:100], "status": status, "order_date": export.order_date,
            "modified_at": export.last_modified, "customer_code": customer.customer_code,
            "email": customer.bill_to.email, "phone": customer.bill_to.phone or (ship_to.phone if ship_to else ""),
            "bill_to": _address(customer.bill_to), "ship_to": _address(ship_to),
            "ship_to_name": (ship_to.name if ship_to else "")[:100], "shipping_method": export.shipping_method[:1000],
            "payment_method": export.payment_method[:50], "currency": export.currency_code[:3],
            "order_total": export.order_total, "tax_amount": export.tax_amount or 0,
            "shipping_amount": export.shipping_amount or 0, "discount_total": discount, "is_gift": export.gift,
            "gift_message": export.gift_message, "customer_notes": export.customer_notes,
            "internal_notes": export.internal_notes, "custom_field_1": export.custom_field1[:100],
            "custom_field_2": export.custom_field2[:100], "custom_field_3": export.custom_field3[:100],
            "requested_warehouse": export.requested_warehouse[:100], "source": export.source[:50],
            "total_weight": weight, "weight_unit": weight_unit, "total_weight_from_lines": from_lines,
            "content_hash": digest, "imported_at": now, "updated_at": now
        }
        lines = order_lines[export.order_id] = _line_rows(export, locations)
        order["visible_hash"] = _visible_hash(export, order, lines)
        # The status is compared with the row's own, which Outbound moves too (a shipment, a hold).
        if seen_as.get(export.order_id) == order["visible_hash"] and existing[export.order_id][2] == status:
            invisible.add(export.order_id)
        orders.append(order)
    recovered = _recovered(ctx, to_write)
    # One statement: the page's skipped orders, the orders re-derived with nothing visible changed (their
    # digest only: no history, no webhook, no "updated" count), and the others with their ids back.
    ids = bulk.write(
        skipped_rows,
        bulk.Rows(Order, [o for o in orders if o["external_id"] in invisible], unique=("store", "external_id"),
                  update=("content_hash",)),
        bulk.Rows(Order, [o for o in orders if o["external_id"] not in invisible],
                  unique=("store", "external_id"), update=ORDER_IMPORT_FIELDS, key="external_id"),
    )
    if invisible:
        result.unchanged += len(invisible)
        to_write = [w for w in to_write if w[0].order_id not in invisible]
    formerly_skipped = ctx.were_skipped(ids)
    if formerly_skipped:  # skipped before (no ship-to or an unmapped status then), imported now
        SkippedOrder.objects.filter(store=store, external_id__in=formerly_skipped).delete()
    ctx.note_written(orders)

    # Lines the store no longer sends go, unless a shipment already shipped them. Only orders we held
    # before can have such lines; the delete is skipped (and not even built) on a page of new orders.
    updated_orders = [e for e, _d, _s, previous in to_write if previous is not None]
    if updated_orders:
        keep = Q()
        for export in updated_orders:
            keep |= Q(order_id=ids[export.order_id], line_key__in=[line_key(i, p) for p, i in enumerate(export.items)])
        stale = OrderLine.objects.filter(order_id__in=[ids[e.order_id] for e in updated_orders]).exclude(keep)
        stale.filter(shipment_lines__isnull=True).delete()

    events = []
    for export, _digest, status, previous in to_write:
        order_id = ids[export.order_id]
        if previous is None:
            events.append({"order_id": order_id, "actor": ctx.actor, "created_at": now,
                           **event("imported", store_status=export.order_status, status=status),
                           "data": {"store_status": export.order_status, "status": status}})
            result.created += 1
        else:
            result.updated += 1
            data = {"store_status": export.order_status}
            params = dict(data)
            decision = decisions[export.order_id]
            if status_history_line(previous, decision):
                params.update(status_event_params(previous, decision))
                data.update(status_event_data(previous, decision))
            events.append({"order_id": order_id, "actor": ctx.actor, "created_at": now, "data": data,
                           **event("status" if previous != status else "updated", **params)})
    for export in recovered:
        modified = f"{export.last_modified:%Y-%m-%d %H:%M:%S}"
        events.append({"order_id": ids[export.order_id], "actor": ctx.actor, "created_at": now,
                       "data": {"modified_at": export.last_modified.isoformat()},
                       **event("recovered", modified_at=modified)})
    lines = [{"order_id": ids[e.order_id], **row} for e, *_ in to_write for row in order_lines[e.order_id]]
    # One statement: the page's lines and its orders' history.
    bulk.write(bulk.Rows(OrderLine, lines, unique=("order", "line_key"), update=LINE_FIELDS),
               bulk.Rows(OrderEvent, events))
    _flag_attention(ctx, attention)
    _emit_webhooks(ctx, to_write, ids, recovered)
    return result


def _flag_attention(ctx: ImportContext, flagged: list[tuple[int, str]]) -> None:
    """Flag the orders whose store status Outbound will not apply (rare: no query on an ordinary page)."""
    if not flagged:
        return
    by_reason: dict[str, list[int]] = {}
    for pk, why in flagged:
        by_reason.setdefault(why, []).append(pk)
    for why, pks in by_reason.items():
        Order.objects.filter(store=ctx.store, pk__in=pks).update(needs_attention=True, attention_reason=why[:200])
    if "order.attention" in ctx.webhook_events():
        from webhooks.services import webhook_emit_orders_attention

        webhook_emit_orders_attention(tenant_id=ctx.store.tenant_id, order_ids=[pk for pk, _ in flagged])


def _emit_webhooks(ctx: ImportContext, written, ids, recovered=()) -> None:
    from webhooks.services import webhook_emit_orders

    webhook_emit_orders(tenant_id=ctx.store.tenant_id, wanted=ctx.webhook_events(),
                        created=[ids[e.order_id] for e, _d, _s, p in written if p is None],
                        updated=[ids[e.order_id] for e, _d, _s, p in written if p is not None],
                        recovered=[ids[e.order_id] for e in recovered])


def _product_locations(ctx: ImportContext, to_write, now: dt.datetime) -> dict[str, str]:
    """Upsert the page's products; returns {sku: the product's warehouse location}, which fills the lines
    the store sent without one (a line the store gave a location keeps it).

    The product's location from the store is what the page's lines carry for its SKU, an empty location
    never wiping one (neither another line's nor the product's); the product-handling setting decides
    whether the store's location or one set in Outbound wins. A run sees the same catalogue on every page,
    so products already written this run with the same values are skipped.
    """
    products: dict[str, dict] = {}
    product_values: dict[str, tuple] = {}
    locations: dict[str, str] = {}
    for export, *_ in to_write:
        for item in export.items:
            if item.adjustment or not item.sku:
                continue
            sku = item.sku[:100]
            values = (item.name[:200], item.weight, item.weight_units, item.image_url[:500], item.location[:100],
                      product_kind(item))
            if not values[4] and product_values.get(sku, values)[4]:
                values = values[:4] + (product_values[sku][4],) + values[5:]
            product_values[sku] = values
    for sku, values in product_values.items():
        written = ctx.products_written.get(sku)
        if written is not None and (written[0] == values or (not values[4] and written[0][:4] == values[:4]
                                                              and written[0][5:] == values[5:])):
            locations[sku] = written[1]
            continue
        products[sku] = {
            "store_id": ctx.store.pk, "sku": sku, "name": values[0], "weight": values[1], "weight_unit": values[2],
            "image_url": values[3], "warehouse_location": values[4], "kind": values[5], "updated_at": now,
        }
    if products:
        current = {
            sku: (loc, set_here)
            for sku, loc, set_here in Product.objects.filter(store=ctx.store, sku__in=list(products)).values_list(
                "sku", "warehouse_location", "location_set_in_outbound"
            )
        }
        overwrite = ctx.store_settings.store_location_overwrites
        for sku, product in products.items():
            loc, set_here = current.get(sku, ("", False))
            if loc and (not product["warehouse_location"] or (set_here and not overwrite)):
                product["warehouse_location"] = loc
            locations[sku] = product["warehouse_location"]
            ctx.products_written[sku] = (product_values[sku], product["warehouse_location"])
        bulk.upsert(Product, list(products.values()), unique=("store", "sku"), update=PRODUCT_FIELDS)
    return locations


def _line_rows(export: ExportOrder, locations: dict[str, str]) -> list[dict]:
    """One order's lines as written (without their order id)."""
    rows = []
    for position, item in enumerate(export.items):
        kind = product_kind(item)
        rows.append({
            "line_key": line_key(item, position), "position": position,
            "line_item_id": item.line_item_id[:50], "sku": item.sku[:100], "name": item.name[:200],
            "image_url": item.image_url[:500], "unit_weight": item.weight, "weight_unit": item.weight_units,
            "quantity": item.quantity, "unit_price": item.unit_price, "upc": item.upc[:20],
            "warehouse_location": (item.location or locations.get(item.sku[:100], ""))[:100],
            "options": [{"name": o.name, "value": o.value,
                         "weight": str(o.weight) if o.weight is not None else None} for o in item.options],
            "is_adjustment": item.adjustment,
            "is_shippable": not item.adjustment and kind == ProductKind.PHYSICAL,
            "product_kind": kind,
        })
    return rows


def _visible_hash(export: ExportOrder, order: dict, lines: list[dict]) -> str:
    """A digest of what a user sees of one order from the store, its status aside (the caller compares
    that with the row's own, which Outbound moves too).

    Everything written comes from the order's bytes, by the code of IMPORT_FORMAT, except what the
    settings and Outbound's products add: the total weight (the default unit) and the locations of the
    lines the store sent without one. Digesting those few values, rather than every value written, keeps
    the cost per order at one short hash.
    """
    filled = [line["warehouse_location"] for item, line in zip(export.items, lines, strict=True) if not item.location]
    raw = export.raw_digest or order_hash(export)
    seen = f"{IMPORT_FORMAT}|{raw}|{order['total_weight']}|{order['weight_unit']}|{filled}"
    return hashlib.sha1(seen.encode(), usedforsecurity=False).hexdigest()


def _recovered(ctx: ImportContext, to_write) -> list[ExportOrder]:
    """During a reconciliation sweep, the orders of this page that earlier runs missed: modified before
    the time the imports had covered, and new to us or held with an older LastModified."""
    if ctx.recover_until is None:
        return []
    found = []
    for export, *_ in to_write:
        held = ctx.held.get(export.order_id)
        if export.last_modified <= ctx.recover_until and (held is None or held[1] < export.last_modified):
            found.append(export)
            ctx.recovered.append(export.order_number)
    return found


# --- a whole run ---------------------------------------------------------------------------------------


class ImportAborted(Exception):
    pass


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _claim_store(store: Store, run: ImportRun, now: dt.datetime) -> bool:
    stale = now - lease()
    return bool(
        Store.objects.filter(pk=store.pk)
        .filter(Q(import_running_since__isnull=True) | Q(import_running_since__lt=stale) | Q(import_lock_run=run.pk))
        .update(import_running_since=now, import_lock_run=run.pk)
    )


def _release_store(store: Store, run: ImportRun) -> None:
    Store.objects.filter(pk=store.pk, import_lock_run=run.pk).update(import_running_since=None, import_lock_run=None)


def _heartbeat(ctx: ImportContext, run: ImportRun, totals: PageResult, pages_total: int | None, requests: int,
               *, wrote: bool) -> None:
    """Renew the store claim, and show the run's progress.

    A page that writes renews the claim inside its transaction: the row lock, held until the page
    commits, is what stops a worker that took over an expired claim from racing this one. A page with
    nothing to write renews it only every few seconds, well inside the lease. The progress row is saved
    at most every PROGRESS_EVERY seconds (and always when the run ends): a progress bar needs no more.
    """
    now = timezone.now()
    renew_every = min(CLAIM_RENEW_EVERY, lease().total_seconds() / 4)
    if wrote or ctx.claim_renewed_at is None or (now - ctx.claim_renewed_at).total_seconds() >= renew_every:
        if not Store.objects.filter(pk=ctx.store.pk, import_lock_run=run.pk).update(import_running_since=now):
            raise ImportAborted("Another import took over this store (this run's claim expired).")
        ctx.claim_renewed_at = now
    run.pages_done += 1
    run.pages_total = max(pages_total or 0, run.pages_done)
    run.orders_seen, run.orders_created, run.orders_updated = totals.seen, totals.created, totals.updated
    run.orders_unchanged, run.skipped, run.http_requests = totals.unchanged, dict(totals.skipped), requests
    if run.heartbeat_at is not None and (now - run.heartbeat_at).total_seconds() < PROGRESS_EVERY:
        return
    run.heartbeat_at = now
    run.save(update_fields=["pages_done", "pages_total", "orders_seen", "orders_created", "orders_updated",
                            "orders_unchanged", "skipped", "http_requests", "heartbeat_at"])


def _add(totals: PageResult, page: PageResult) -> None:
    totals.seen += page.seen
    totals.created += page.created
    totals.updated += page.updated
    totals.unchanged += page.unchanged
    totals.skipped.update(page.skipped)


@contextmanager
def _relaxed_commits():
    """On PostgreSQL, let each page's commit return before its WAL reaches the disk, for this walk.

    Safe here because PostgreSQL never reorders commits: a crash can only lose the last pages, never
    a page while keeping a later watermark, and the store still holds whatever was lost, so the next
    run (which starts from the old watermark) writes it again. It saves a disk flush per page. Set
    once for the session (not per page: a round trip per page is what this walk cannot afford) and
    reset before the run's outcome and watermark are saved, which are then durable as usual.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:  # a broken connection takes the setting with it when Django drops it
            log.warning("Could not reset synchronous_commit after an import walk", exc_info=True)


def _walk(client, ctx, run, totals, start, end, seen: dict[str, dt.datetime],
          digests: dict[str, str] | None = None, recent_from: dt.datetime | None = None) -> str:
    """Import every page of one window; returns the store's sort direction as observed ('asc'/'desc'/'?').

    `seen` gets each order's LastModified as first served; `digests`, for the orders modified since
    `recent_from`, the digest of what was served (see _moved).
    """
    direction = "?"
    with _relaxed_commits():
        return _walk_pages(client, ctx, run, totals, start, end, seen, direction, digests, recent_from)


def _walk_pages(client, ctx, run, totals, start, end, seen, direction, digests, recent_from) -> str:
    for page in client.export_pages(start, end, skip=ctx.unchanged_ids):
        if direction == "?" and len(page.orders) > 1:
            first, last = page.orders[0].last_modified, page.orders[-1].last_modified
            direction = "asc" if first < last else "desc" if first > last else "?"
        for export in page.orders:
            seen.setdefault(export.order_id, export.last_modified)
            if digests is not None and export.last_modified >= recent_from:
                digests.setdefault(export.order_id, ctx.content_hash(export))
        for order_id in page.unchanged:
            modified = seen.setdefault(order_id, ctx.unchanged_modified.pop(order_id, end))
            if digests is not None and modified >= recent_from:
                digests.setdefault(order_id, ctx.held[order_id][0])
        # One transaction per page: the page's rows, the claim and the run's progress commit together. A
        # page with nothing to write (every order unchanged or skipped) costs no query at all, and the
        # claim is then renewed only now and then: re-reading an unchanged window costs the store's time.
        with transaction.atomic():
            result = import_page(ctx, page.orders)
            result.seen += len(page.unchanged)
            unchanged, skipped = ctx.recognised(page.unchanged)
            result.unchanged += unchanged
            result.skipped.update(skipped)
            _add(totals, result)
            _heartbeat(ctx, run, totals, page.pages, client.requests_made, wrote=result.wrote)
    return direction


def plan_spans(client, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """Split a long window so that no span holds more than IMPORT_SPAN_MAX_ORDERS orders.

    The store says how big the window is (page 1's `pages` × its size); one probe request, made only
    for windows longer than a day (a first import), none for the everyday incremental run.
    """
    if end - start <= dt.timedelta(days=1):
        return [(start, end)]
    probe = client.export_page(start, end, 1, skip=lambda digests: set(digests))  # size only: convert nothing
    total = probe.pages * max(probe.size, 1)
    count = max(1, math.ceil(total / settings.IMPORT_SPAN_MAX_ORDERS))
    step = (end - start) / count
    return [(start + step * i, end if i == count - 1 else start + step * (i + 1)) for i in range(count)]


def _moved(seen: dict[str, dt.datetime], digests: dict[str, str], later: dict[str, dt.datetime],
           later_digests: dict[str, str]) -> list[dt.datetime]:
    """When the orders served again in `later` were first seen, for those that changed in between.

    A newer LastModified says so; but the protocol's dates are minutes, so an order changed twice within
    one minute looks the same: for orders modified since the run began, what was served tells instead.
    """
    moved = []
    for order_id, modified in later.items():
        first = seen.get(order_id)
        if first is None:
            continue
        if modified > first or (modified == first and order_id in digests
                                and later_digests.get(order_id, digests[order_id]) != digests[order_id]):
            moved.append(first)
    return moved


def _import_span(client, ctx, run, totals, start, end, *, tail_from: dt.datetime, final: bool) -> dt.datetime:
    """Import [start, end]; returns how far the watermark may go (end, or further for the final span).

    Tail check (reference §5.5): an order served on an early page and modified while we paged drops out
    of the window and shifts later pages, hiding one order per page boundary. The orders that moved show
    up in [tail_from, now] (tail_from = the run's end); the part of the span they could hide is walked
    again, up to three rounds, each reading from tail_from again (the check's own pages drift too) and
    also counting the orders a re-walk served changed. Every window's end is rounded up to a minute when
    sent (window_end_sent), so the tail check sees every order modified since the walk began, also on a
    store that compares LastModified with its seconds; the watermark is the time the tail check began,
    never the rounded end.
    """
    seen: dict[str, dt.datetime] = {}
    digests: dict[str, str] = {}
    recent_from = tail_from.replace(second=0, microsecond=0)
    walk_started = timezone.now()
    direction = _walk(client, ctx, run, totals, start, end, seen, digests, recent_from)
    if not final:
        if not seen:
            return end  # nothing served, nothing can have moved
        # Only orders modified since this span's walk began can have moved during it; reading from the
        # run's end instead would fetch the same recent orders again for every span.
        tail_from = max(tail_from, walk_started)
    span_start, span_end = start, end
    carried: list[dt.datetime] = []  # orders a re-walk found moved: the next round re-walks for them too
    for _round in range(3):
        # Every round reads from the same tail_from: an order hidden while the previous tail check paged
        # (it moves too) is read by this one.
        tail_end = timezone.now()
        tail_seen: dict[str, dt.datetime] = {}
        tail_digests: dict[str, str] = {}
        _walk(client, ctx, run, totals, tail_from, tail_end, tail_seen, tail_digests, recent_from)
        moved = carried + _moved(seen, digests, tail_seen, tail_digests)
        seen.update(tail_seen)
        digests.update(tail_digests)
        if not moved:
            return tail_end if final else end
        if direction == "asc":
            rewalk = (min(moved), span_end)
        elif direction == "desc":
            rewalk = (span_start, max(moved))
        else:
            rewalk = (span_start, span_end)
        rewalk_start = rewalk[0].replace(second=0, microsecond=0)
        rewalk_seen: dict[str, dt.datetime] = {}
        rewalk_digests: dict[str, str] = {}
        _walk(client, ctx, run, totals, rewalk_start, rewalk[1], rewalk_seen, rewalk_digests, recent_from)
        carried = _moved(seen, digests, rewalk_seen, rewalk_digests)
        seen.update(rewalk_seen)
        digests.update(rewalk_digests)
        span_start = rewalk_start
        if final:
            span_end = tail_end
    # Still moving after three rounds: leave the watermark early enough for the next run to cover it.
    return min([span_start, *carried]).replace(second=0, microsecond=0)


def import_window(*, run: ImportRun, store: Store, start: dt.datetime, end: dt.datetime, client=None,
                  recover_until: dt.datetime | None = None) -> dt.datetime:
    """Import [start, end] and whatever moved meanwhile; returns the new watermark.

    A long window holding many orders (a first import reaching back months) goes in spans of at most
    IMPORT_SPAN_MAX_ORDERS orders; the watermark is saved after each, so a run cut off by django-q2's
    timeout or a dead worker is continued by the next one instead of starting over.
    """
    from stores.connector.registry import connector_for_store

    own_client = client is None
    client = client or connector_for_store(store)
    client.limits = export_limits()
    ctx = ImportContext.for_store(store, actor=f"import run {run.pk}")
    ctx.recover_until = recover_until
    ctx.load_held()
    totals = PageResult()
    try:
        spans = plan_spans(client, start, end)
        for number, (span_start, span_end) in enumerate(spans, start=1):
            final = number == len(spans)
            watermark = _import_span(client, ctx, run, totals, span_start, span_end, tail_from=end, final=final)
            if final or watermark < span_end:
                return watermark
            Store.objects.filter(pk=store.pk, import_lock_run=run.pk).filter(
                Q(import_watermark__isnull=True) | Q(import_watermark__lt=span_end)
            ).update(import_watermark=span_end)
            # A requested window older than the watermark (a deep re-import) keeps its progress too;
            # one asked for meanwhile, further back than this run reaches, is left for the next run.
            Store.objects.filter(pk=store.pk, import_lock_run=run.pk, import_pending_since__gte=start,
                                 import_pending_since__lt=span_end).update(import_pending_since=span_end)
        return end  # pragma: no cover - the loop always returns on its final span
    finally:
        run.http_requests = client.requests_made
        run.recovered = ctx.recovered
        if own_client:
            client.close()


def import_run_execute(*, run_id: int, client=None) -> ImportRun | None:
    """Run one queued import. Safe to call twice: only the caller that claims the run does the work."""
    now = timezone.now()
    claimed = ImportRun.objects.filter(pk=run_id, state=ImportState.QUEUED).update(
        state=ImportState.RUNNING, started_at=now, heartbeat_at=now, worker=_worker_name()
    )
    if not claimed:
        return None
    run = ImportRun.objects.select_related("store", "store__tenant").get(pk=run_id)
    store = run.store
    if not _claim_store(store, run, now):
        run.state, run.finished_at = ImportState.SKIPPED, timezone.now()
        run.error = "Skipped: another import of this store was already running."
        run.save(update_fields=["state", "finished_at", "error"])
        return run
    lookup = _mapping_lookup(store)
    try:
        if run.trigger == ImportTrigger.RECONCILE:
            _reconcile(run, store, client)
            return run
        end = timezone.now()
        if store.import_watermark:
            start = store.import_watermark - overlap()
        else:
            # No import has finished yet: honour the "how far back" the user picked for the first one,
            # even when that run was cut off and this is the schedule picking the store up again.
            picked = run.since or ImportRun.objects.filter(store=store, since__isnull=False).order_by(
                "-queued_at").values_list("since", flat=True).first()
            start = picked or (end - first_import_default())
        if run.since and run.since < start:
            start = run.since
        # A window asked for earlier and not covered yet (a deep re-import cut off) comes first.
        if store.import_pending_since and store.import_pending_since < start:
            start = store.import_pending_since
        if store.import_watermark and start < store.import_watermark - overlap():
            remember_requested_window(store, start)
        run.window_start, run.window_end = start, end
        run.save(update_fields=["window_start", "window_end"])
        watermark = import_window(run=run, store=store, start=start, end=end, client=client)
    except (StoreError, ImportAborted) as exc:
        _finish_failed(run, store, str(exc))
    except Exception as exc:  # noqa: BLE001  (a bug must still end the run loudly, not leave it "running")
        log.exception("Import run %s crashed", run.pk)
        _finish_failed(run, store, f"Unexpected error: {exc.__class__.__name__}: {exc}")
    else:
        _finish_ok(run, store, watermark)
    finally:
        _release_store(store, run)
        _remap_if_mapping_changed(store, lookup)
    return run


def _mapping_lookup(store: Store) -> dict[str, str] | None:
    mapping = StatusMapping.objects.filter(store=store).first()
    return mapping.lookup() if mapping is not None else None


def _remap_if_mapping_changed(store: Store, lookup: dict[str, str] | None) -> None:
    """A mapping edited while this run was going was not applied to the run's pages: the orders it
    skipped for a status that is mapped now are brought in by a follow-up run."""
    from .services import skipped_orders_remap

    if lookup is not None and _mapping_lookup(store) not in (None, lookup):
        skipped_orders_remap(store=store)


def _reconcile(run: ImportRun, store: Store, client) -> None:
    """The reconciliation sweep: walk the last `store.reconcile_days` days up to what the imports have
    covered (the watermark) and import whatever the store serves that we lack or hold older. Unchanged
    orders are recognised from their bytes as in any run; the watermark is left alone (the sweep checks
    the past, the everyday runs go on from where they were)."""
    now = timezone.now()
    end = store.import_watermark
    if end is not None:
        start = min(now - dt.timedelta(days=store.reconcile_days), end)
        run.window_start, run.window_end = start, end
        run.save(update_fields=["window_start", "window_end"])
        # An order the store stamps with the watermark's minute may have changed after the run that set it
        # (LastModified travels at minute precision): only orders stamped a full minute before count as
        # missed. Later ones are imported all the same.
        import_window(run=run, store=store, start=start, end=end, client=client,
                      recover_until=end - dt.timedelta(minutes=1))
    run.state, run.finished_at = ImportState.SUCCEEDED, timezone.now()
    if run.pages_total is None:
        run.pages_total = run.pages_done
    run.save()
    if run.recovered:
        log.warning("Reconciliation sweep (import run %s) of store %s: %s", run.pk, store.pk, run.recovered_message)
    Store.objects.filter(pk=store.pk).update(last_reconcile_at=run.finished_at,
                                             orders_recovered=F("orders_recovered") + len(run.recovered))


def _finish_ok(run: ImportRun, store: Store, watermark: dt.datetime) -> None:
    now = timezone.now()
    run.state, run.finished_at, run.window_end = ImportState.SUCCEEDED, now, max(run.window_end, watermark)
    if run.pages_total is None:
        run.pages_total = run.pages_done
    run.save()
    msg = (f"{run.orders_created} new, {run.orders_updated} updated, {run.orders_unchanged} unchanged, "
           f"{run.skipped_total} skipped.")
    Store.objects.filter(pk=store.pk).update(
        import_watermark=watermark, last_import_at=now, last_import_ok=True, last_import_message=msg,
        consecutive_failures=0, needs_attention=False,
        # The requested window is covered now, unless one further back was asked for meanwhile.
        import_pending_since=Case(When(import_pending_since__gte=run.window_start, then=None),
                                  default=F("import_pending_since")),
    )


def _finish_failed(run: ImportRun, store: Store, error: str, *, due_again: bool = False) -> None:
    now = timezone.now()
    run.state, run.finished_at, run.error = ImportState.FAILED, now, error
    run.save()
    changes = {"last_import_ok": False, "last_import_message": error,
               "consecutive_failures": F("consecutive_failures") + 1}
    if not due_again:
        changes["last_import_at"] = now
    Store.objects.filter(pk=store.pk).update(**changes)
    Store.objects.filter(pk=store.pk, consecutive_failures__gte=ATTENTION_AFTER).update(needs_attention=True)


# --- scheduling --------------------------------------------------------------------------------------


def import_runs_reap(now: dt.datetime | None = None) -> int:
    """Fail runs whose worker died (no heartbeat within the lease) so the store can be imported again."""
    now = now or timezone.now()
    stale = now - lease()
    dead = ImportRun.objects.filter(state=ImportState.RUNNING, heartbeat_at__lt=stale)
    count = 0
    for run in dead.select_related("store"):
        _finish_failed(run, run.store, "The worker stopped during this import (killed or timed out); "
                                       "the next run covers the same window.", due_again=True)
        _release_store(run.store, run)
        count += 1
    # A queued run whose task was lost by the broker is re-enqueued.
    lost = ImportRun.objects.filter(state=ImportState.QUEUED, queued_at__lt=now - lease())
    from .tasks import enqueue_import

    for run_id in lost.values_list("pk", flat=True):
        enqueue_import(run_id)
    return count


def import_tick(now: dt.datetime | None = None) -> list[int]:
    """Every minute: queue each active store whose interval is due and which has no active run."""
    now = now or timezone.now()
    import_runs_reap(now)
    from .services import import_request

    queued = []
    active_store_ids = ImportRun.objects.filter(state__in=[ImportState.QUEUED, ImportState.RUNNING]).values("store_id")
    for store in Store.objects.filter(is_active=True, tenant__is_active=True).exclude(pk__in=active_store_ids):
        if store.import_due(now):
            queued.append(import_request(store=store, trigger=ImportTrigger.SCHEDULE).pk)
    return queued


def reconcile_tick(now: dt.datetime | None = None) -> list[int]:
    """Every hour: queue a reconciliation sweep of each active store whose sweep is due and which has no
    active run (a store busy importing is swept at a later tick)."""
    now = now or timezone.now()
    from .services import import_request

    queued = []
    active_store_ids = ImportRun.objects.filter(state__in=[ImportState.QUEUED, ImportState.RUNNING]).values("store_id")
    stores = Store.objects.filter(is_active=True, tenant__is_active=True, reconcile_every_hours__gt=0,
                                  import_watermark__isnull=False).exclude(pk__in=active_store_ids)
    for store in stores:
        if store.reconcile_due(now):
            queued.append(import_request(store=store, trigger=ImportTrigger.RECONCILE).pk)
    return queued
def remember_requested_window(store: Store, since: dt.datetime) -> None:
    """Keep `since` as the start of a window to import until a run has covered it (see
    Store.import_pending_since): the earliest of those asked for wins."""
    Store.objects.filter(pk=store.pk).filter(
        Q(import_pending_since__isnull=True) | Q(import_pending_since__gt=since)
    ).update(import_pending_since=since)


def import_store_now(*, store: Store, since: dt.datetime | None = None, trigger: str = ImportTrigger.MANUAL,
                     user=None, client=None) -> ImportRun:
    """Import one store synchronously (management command, tests, benchmarks)."""
    run = ImportRun.objects.create(store=store, trigger=trigger, since=since, requested_by=user)
    return import_run_execute(run_id=run.pk, client=client) or run
