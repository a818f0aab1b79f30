"""What a page of an import flags for people: orders skipped for an unmapped status (with the ids kept
for the store page) and orders that need attention."""

from __future__ import annotations

from typing import NamedTuple

from django.utils import timezone

from stores import statuses
from stores.connector.types import ExportOrder

from ..models import Order, UnmappedStatus
from .snapshot import ImportContext

UNMAPPED_IDS_KEPT = 50


class Attention(NamedTuple):
    """An order whose store status Outbound will not apply, and why."""

    order_pk: int
    reason: str


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
            to_create.append(
                UnmappedStatus(
                    store=ctx.store,
                    key=key[:100],
                    status=group[0].order_status[:100],
                    order_count=len(group),
                    first_seen_at=now,
                    last_seen_at=now,
                    earliest_modified=earliest,
                    latest_modified=latest,
                    order_ids=ids[:UNMAPPED_IDS_KEPT],
                )
            )
        else:
            known = list(dict.fromkeys([*row.order_ids, *ids]))
            row.order_count = (
                max(row.order_count, len(known))
                if len(known) < UNMAPPED_IDS_KEPT
                else (row.order_count + len([i for i in ids if i not in row.order_ids]))
            )
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


def _flag_attention(ctx: ImportContext, flagged: list[Attention]) -> None:
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
