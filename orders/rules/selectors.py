"""Reads of issue 30: what a rule reads of held orders, a rule's preview over today's orders."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from stores.models import Tenant

from ..models import Order, OrderLine, OrderTag, Rule
from .loading import facts_of, rule_set_load

PREVIEW_ORDERS = 2_000  # the most of today's orders a preview reads
PREVIEW_SAMPLE = 10


ORDER_FACT_FIELDS = (
    "store_id",
    "ship_to",
    "shipping_method",
    "total_weight",
    "weight_unit",
    "order_total",
    "customer_notes",
    "is_gift",
)


def order_facts(order: Order, lines: list[dict]):
    return facts_of(
        {name: getattr(order, name) for name in ORDER_FACT_FIELDS},
        lines,
        order.storefront.name if order.storefront_id else order.source,
    )


def lines_by_order(order_ids) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = {}
    for line in OrderLine.objects.filter(order_id__in=list(order_ids)).values(
        "order_id", "sku", "quantity", "is_adjustment"
    ):
        found.setdefault(line["order_id"], []).append(line)
    return found


def rule_preview(*, tenant: Tenant, rule: Rule, now: dt.datetime | None = None) -> dict:
    """How many of today's orders (ordered since midnight, the site's time zone) `rule` (unsaved, as being
    edited) would match, and a sample of them: {"today": n, "matched": n, "skipped": n, "sample": [orders]}.
    Tags are the orders' as they are now."""
    from .engine import RuleFieldMissing

    now = now or timezone.now()
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    orders = list(
        Order.objects.for_tenant(tenant)
        .filter(order_date__gte=start)
        .select_related("storefront")
        .order_by("-order_date", "-id")[:PREVIEW_ORDERS]
    )
    (compiled,) = rule_set_load(tenant_id=tenant.pk, rules=[rule]).rules
    lines = lines_by_order(o.pk for o in orders)
    tags: dict[int, set[int]] = {}
    for order_id, tag_id in OrderTag.objects.filter(order__in=orders).values_list("order_id", "tag_id"):
        tags.setdefault(order_id, set()).add(tag_id)
    matched, skipped = [], 0
    for order in orders:
        if compiled.store_id is not None and compiled.store_id != order.store_id:
            continue
        try:
            if compiled.test(order_facts(order, lines.get(order.pk, [])), tags.get(order.pk, set())):
                matched.append(order)
        except RuleFieldMissing:
            skipped += 1
    return {"today": len(orders), "matched": len(matched), "skipped": skipped, "sample": matched[:PREVIEW_SAMPLE]}
