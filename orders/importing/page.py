"""One export page's writes, with a constant number of queries whatever the page's size."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from core import bulk
from orders.importing.attention import Attention, _flag_attention, _record_unmapped
from stores import statuses
from stores.connector.types import ExportOrder
from stores.models import Storefront

from ..events import event, with_rules
from ..models import (
    UNMAPPED,
    Order,
    OrderEvent,
    OrderLine,
    OrderTag,
    Product,
    Situation,
    SkippedOrder,
    StatusDecision,
    shipment_situation,
    status_event_data,
    status_event_params,
    status_history_line,
    status_transition,
)
from ..rules.loading import RuleSet
from .emit import as_loaded, emit_order_events, payloads_wanted
from .mapping import (
    LINE_FIELDS,
    ORDER_IMPORT_FIELDS,
    PRODUCT_FIELDS,
    SKIP_INVALID,
    SKIP_NO_SHIP_TO,
    SKIP_UNMAPPED,
    latest_versions,
    line_key,
    line_rows,
    order_fields,
    product_values,
    skipped_key,
    visible_hash,
)
from .rules import NO_CHOICES, apply_rules, rules_history, tag_rows
from .snapshot import ImportContext, ProductWritten


@dataclass
class PageResult:
    seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter = field(default_factory=Counter)
    wrote: bool = False  # whether the page wrote any row (orders, lines, events, unmapped statuses)


class Existing(NamedTuple):
    """An Order row the page's orders may update, as read before writing."""

    pk: int
    content_hash: str
    status: str
    shipping: str
    hold_reason: str
    needs_attention: bool
    visible_hash: str


class ToWrite(NamedTuple):
    """An order of the page to write: its export, its digest, and the row it updates (None: a new order)."""

    export: ExportOrder
    digest: str
    known: Existing | None

    @property
    def previous(self) -> str | None:
        """The status the order had before this page (None: a new order)."""
        return self.known.status if self.known is not None else None


@dataclass
class PageSort:
    """A page's orders sorted by what becomes of them."""

    to_write: list[ToWrite] = field(default_factory=list)
    unmapped: list[ExportOrder] = field(default_factory=list)  # every order of an unmapped store status
    unmapped_new: list[ExportOrder] = field(default_factory=list)  # those skipped for it (not held yet)
    no_ship_to: list[ExportOrder] = field(default_factory=list)  # skipped: no ship-to, or a rejected value


@dataclass
class OrderRows:
    """The rows of a page's orders to write, and what the status machine decided for them."""

    orders: list[dict] = field(default_factory=list)
    lines: dict[str, list[dict]] = field(default_factory=dict)  # {order id: its line rows, without order ids}
    invisible: set[str] = field(default_factory=set)  # re-derived rows a user would see no difference in
    decisions: dict[str, StatusDecision] = field(default_factory=dict)
    attention: list[Attention] = field(default_factory=list)  # the orders the store's status flags
    # What the automation rules chose for the page's new orders: {order id: (tag ids, history params)}.
    ruled: dict[str, tuple[set[int], list[dict]]] = field(default_factory=dict)


@transaction.atomic(savepoint=False)
def import_page(ctx: ImportContext, exports: list[ExportOrder]) -> PageResult:
    """Write one export page with a constant number of queries, whatever its size."""
    result = PageResult(seen=len(exports))
    if not exports:
        return result
    store = ctx.store
    now = timezone.now()
    latest = latest_versions(exports)
    existing = _existing(ctx, latest)
    page = _sort_page(ctx, latest.values(), existing, result)
    _record_unmapped(ctx, page.unmapped)
    skipped_rows = _skipped_rows(ctx, {SKIP_NO_SHIP_TO: page.no_ship_to, SKIP_UNMAPPED: page.unmapped_new}, now)
    result.wrote = bool(page.unmapped or page.no_ship_to or page.to_write)
    if not page.to_write:
        bulk.write(skipped_rows)
        return result

    _storefront_ids(ctx, (w.export.source for w in page.to_write))
    locations = _product_locations(ctx, page.to_write, now)
    rows = _order_rows(ctx, page.to_write, locations, now)
    recovered = _recovered(ctx, page.to_write)
    # One statement: the page's skipped orders, the orders re-derived with nothing visible changed (their
    # digest only: no history, no webhook, no "updated" count), and the others with their ids back.
    ids = bulk.write(
        skipped_rows,
        bulk.Rows(
            Order,
            [o for o in rows.orders if o["external_id"] in rows.invisible],
            unique=("store", "external_id"),
            update=("content_hash",),
        ),
        bulk.Rows(
            Order,
            [o for o in rows.orders if o["external_id"] not in rows.invisible],
            unique=("store", "external_id"),
            update=ORDER_IMPORT_FIELDS,
            key="external_id",
        ),
    )
    to_write = page.to_write
    if rows.invisible:
        result.unchanged += len(rows.invisible)
        to_write = [w for w in to_write if w.export.order_id not in rows.invisible]
    formerly_skipped = ctx.were_skipped(ids)
    if formerly_skipped:  # skipped before (no ship-to or an unmapped status then), imported now
        SkippedOrder.objects.filter(store=store, external_id__in=formerly_skipped).delete()
    ctx.note_written(rows.orders)
    _delete_stale_lines(to_write, ids)
    with translation.override("en"):  # (the stored message of every event is English: orders.events)
        events = _event_rows(ctx, to_write, rows, recovered, ids, now, result)
    lines = [{"order_id": ids[w.export.order_id], **row} for w in to_write for row in rows.lines[w.export.order_id]]
    # One statement: the page's history and its lines, with their ids when new orders' payloads need them.
    line_ids = bulk.write(
        bulk.Rows(OrderEvent, events),
        bulk.Rows(OrderTag, tag_rows(rows.ruled, ids, now), unique=("tag", "order")),
        bulk.Rows(
            OrderLine,
            lines,
            unique=("order", "line_key"),
            update=LINE_FIELDS,
            key=("order_id", "line_key") if payloads_wanted(ctx) else None,
        ),
    )
    _flag_attention(ctx, rows.attention)
    _emit_webhooks(ctx, to_write, rows, ids, line_ids, recovered)
    return result


def _existing(ctx: ImportContext, latest: dict[str, ExportOrder]) -> dict[str, Existing]:
    """{order id: Existing} of the page's orders we hold (no query on a page of new orders)."""
    candidates = ctx.held_rows(latest)
    if not candidates:
        return {}
    rows = Order.objects.filter(store=ctx.store, external_id__in=candidates).values_list(
        "external_id", "id", "content_hash", "status", "shipping", "hold_reason", "needs_attention", "visible_hash"
    )
    return {row[0]: Existing(*row[1:]) for row in rows}


def _sort_page(
    ctx: ImportContext, exports: Iterable[ExportOrder], existing: dict[str, Existing], result: PageResult
) -> PageSort:
    """Skip what cannot be imported (counting it in `result`), recognise the unchanged, keep the rest."""
    page = PageSort()
    for export in exports:
        known = existing.get(export.order_id)
        if export.rejected:  # a value no column can hold: skipped with the field named, the page goes on
            result.skipped[SKIP_INVALID] += 1
            page.no_ship_to.append(export)
            continue
        if known is None and not export.has_ship_to:
            result.skipped[SKIP_NO_SHIP_TO] += 1
            page.no_ship_to.append(export)
            continue
        if statuses.map_status(ctx.lookup, export.order_status) is None:
            page.unmapped.append(export)
            if known is None:
                result.skipped[SKIP_UNMAPPED] += 1
                page.unmapped_new.append(export)
                continue
        digest = ctx.content_hash(export)
        if known is not None and known.content_hash == digest:
            result.unchanged += 1
            continue
        page.to_write.append(ToWrite(export, digest, known))
    return page


def _resolve_status(ctx: ImportContext, export: ExportOrder, existing: Existing | None) -> StatusDecision:
    """The status machine's decision for one order the store sent (orders.models.status_transition)."""
    mapped = statuses.map_status(ctx.lookup, export.order_status)
    if existing is None:
        return status_transition(None, Situation.NOTHING, store=mapped)
    current = existing.status
    return status_transition(
        current,
        shipment_situation(existing.shipping, current),
        store=UNMAPPED if mapped is None else mapped,
        outbound_hold=bool(existing.hold_reason),
    )


def _order_rows(ctx: ImportContext, to_write: list[ToWrite], locations: dict[str, str], now: dt.datetime) -> OrderRows:
    """The page's order and line rows, each order's status from the status machine."""
    store = ctx.store
    unit = ctx.store_settings.default_weight_unit
    rows = OrderRows()
    rule_set = ctx.rules() if any(w.known is None for w in to_write) else RuleSet()
    for export, digest, known in to_write:
        decision = _resolve_status(ctx, export, known)
        rows.decisions[export.order_id] = decision
        if decision.attention and known is not None and not known.needs_attention:
            rows.attention.append(Attention(known.pk, decision.attention))
        order = {
            "tenant_id": store.tenant_id,
            "store_id": store.pk,
            "storefront_id": ctx.storefronts.get(export.source),
            "external_id": export.order_id,
            "status": decision.status,
            **order_fields(export, unit, ctx.currencies.get(export.source) or ctx.store_settings.currency),
            "content_hash": digest,
            "imported_at": now,
            "updated_at": now,
        }
        lines = rows.lines[export.order_id] = line_rows(export, locations)
        order["visible_hash"] = visible_hash(export, order, lines)
        order.update(NO_CHOICES)
        if known is None and rule_set.active:
            apply_rules(rule_set, rows.ruled, export, order, lines, decision)
        # The status is compared with the row's own, which Outbound moves too (a shipment, a hold).
        if known is not None and known.visible_hash == order["visible_hash"] and known.status == decision.status:
            rows.invisible.add(export.order_id)
        rows.orders.append(order)
    return rows


def _delete_stale_lines(to_write: list[ToWrite], ids: dict[str, int]) -> None:
    """Lines the store no longer sends go, unless a shipment already shipped them. Only orders we held
    before can have such lines; the delete is skipped (and not even built) on a page of new orders."""
    updated_orders = [w.export for w in to_write if w.known is not None]
    if not updated_orders:
        return
    keep = Q()
    for export in updated_orders:
        keep |= Q(order_id=ids[export.order_id], line_key__in=[line_key(i, p) for p, i in enumerate(export.items)])
    stale = OrderLine.objects.filter(order_id__in=[ids[e.order_id] for e in updated_orders]).exclude(keep)
    stale.filter(shipment_lines__isnull=True).delete()


def _event_rows(
    ctx: ImportContext,
    to_write: list[ToWrite],
    rows: OrderRows,
    recovered: list[ExportOrder],
    ids: dict[str, int],
    now: dt.datetime,
    result: PageResult,
) -> list[dict]:
    """The history rows of the page's written orders (counting them in `result` as created or updated); a new
    order's one "imported" line says what the automation rules chose for it."""
    events = []
    # New orders with the same statuses share the wording of their "imported" line, and the same choice by the
    # rules the wording of its sentence (in English, as every event's stored message).
    imported: dict[tuple, dict] = {}
    chosen: dict[tuple, str] = {}
    for w in to_write:
        export, previous, decision = w.export, w.previous, rows.decisions[w.export.order_id]
        status = decision.status
        order_id = ids[export.order_id]
        if previous is None:
            key = (export.order_status, status)
            if key not in imported:
                imported[key] = event("imported", store_status=export.order_status, status=status)
            ruled = rules_history(rows.ruled, export.order_id)
            line = with_rules(imported[key], ruled, chosen) if ruled else imported[key]
            events.append(
                {
                    "order_id": order_id,
                    "actor": ctx.actor,
                    "created_at": now,
                    **line,
                    "data": {"store_status": export.order_status, "status": status},
                }
            )
            result.created += 1
        else:
            result.updated += 1
            data = {"store_status": export.order_status}
            params = dict(data)
            if status_history_line(previous, decision):
                params.update(status_event_params(previous, decision))
                data.update(status_event_data(previous, decision))
            events.append(
                {
                    "order_id": order_id,
                    "actor": ctx.actor,
                    "created_at": now,
                    "data": data,
                    **event("status" if previous != status else "updated", **params),
                }
            )
    for export in recovered:
        modified = f"{export.last_modified:%Y-%m-%d %H:%M:%S}"
        events.append(
            {
                "order_id": ids[export.order_id],
                "actor": ctx.actor,
                "created_at": now,
                "data": {"modified_at": export.last_modified.isoformat()},
                **event("recovered", modified_at=modified),
            }
        )
    return events


def _storefront_ids(ctx: ImportContext, names: Iterable[str]) -> None:
    missing = {n for n in names if n and n not in ctx.storefronts}
    if not missing:
        return
    Storefront.objects.bulk_create([Storefront(store=ctx.store, name=n[:200]) for n in missing], ignore_conflicts=True)
    ctx.storefronts.update(Storefront.objects.filter(store=ctx.store, name__in=missing).values_list("name", "id"))


def _skipped_rows(ctx: ImportContext, skipped: dict[str, list[ExportOrder]], now: dt.datetime) -> bulk.Rows:
    """Orders skipped on purpose ({reason: orders}) are kept with their digest: the next import recognises
    them unchanged before converting them, the operator sees what was left out and why, and a mapping
    change knows which orders to bring back (`orders.services.skipped_orders_remap`). An order the parser
    rejected is skipped for that instead, with the field it named."""
    rows = []
    for reason, orders in skipped.items():
        part = [
            {
                "store_id": ctx.store.pk,
                "external_id": skipped_key(o.order_id),
                "number": o.order_number[:50],
                "reason": SKIP_INVALID if o.rejected else reason,
                "detail": o.rejected[:300],
                "store_status": o.order_status[:100],
                "modified_at": o.last_modified,
                "content_hash": ctx.content_hash(o),
                "seen_at": now,
            }
            for o in orders
        ]
        for row in part:
            ctx.note_written([row], row["reason"])
        rows += part
    return bulk.Rows(
        SkippedOrder,
        rows,
        unique=("store", "external_id"),
        update=("number", "reason", "detail", "store_status", "modified_at", "content_hash", "seen_at"),
    )


def _emit_webhooks(
    ctx: ImportContext,
    written: list[ToWrite],
    rows: OrderRows,
    ids: dict[str, int],
    line_ids: dict,
    recovered: list[ExportOrder],
) -> None:
    """The page's order events; its new orders serialised from the rows just written (emit.as_loaded)."""
    new = [w.export.order_id for w in written if w.known is None]
    emit_order_events(
        ctx,
        created=[ids[i] for i in new],
        updated=[ids[w.export.order_id] for w in written if w.known is not None],
        recovered=[ids[e.order_id] for e in recovered],
        loaded=as_loaded(ctx, new, rows.orders, rows.lines, ids, line_ids),
    )


def _product_locations(ctx: ImportContext, to_write: list[ToWrite], now: dt.datetime) -> dict[str, str]:
    """Upsert the page's products; returns {sku: the product's warehouse location}, which fills the lines
    the store sent without one (a line the store gave a location keeps it).

    The product's location from the store is what the page's lines carry for its SKU, an empty location
    never wiping one (neither another line's nor the product's); the product-handling setting decides
    whether the store's location or one set in Outbound wins. A run sees the same catalogue on every page,
    so products already written this run with the same values are skipped.
    """
    products: dict[str, dict] = {}
    found = product_values(w.export for w in to_write)
    locations: dict[str, str] = {}
    for sku, values in found.items():
        written = ctx.products_written.get(sku)
        if written is not None and (
            written.values == values or (not values.location and written.values._replace(location="") == values)
        ):
            locations[sku] = written.location
            continue
        products[sku] = {
            "store_id": ctx.store.pk,
            "sku": sku,
            "name": values.name,
            "weight": values.weight,
            "weight_unit": values.weight_unit,
            "image_url": values.image_url,
            "warehouse_location": values.location,
            "kind": values.kind,
            "updated_at": now,
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
            ctx.products_written[sku] = ProductWritten(found[sku], product["warehouse_location"])
        bulk.upsert(Product, list(products.values()), unique=("store", "sku"), update=PRODUCT_FIELDS)
    return locations


def _recovered(ctx: ImportContext, to_write: list[ToWrite]) -> list[ExportOrder]:
    """During a reconciliation sweep, the orders of this page that earlier runs missed: modified before
    the time the imports had covered, and new to us or held with an older LastModified."""
    if ctx.recover_until is None:
        return []
    found = []
    for w in to_write:
        export = w.export
        held = ctx.held.get(export.order_id)
        if export.last_modified <= ctx.recover_until and (held is None or held.modified < export.last_modified):
            found.append(export)
            ctx.recovered.append(export.order_number)
    return found
