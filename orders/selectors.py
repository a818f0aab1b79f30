"""Reads for orders, always scoped to a tenant."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.http import Http404

from stores.models import Tenant

from .models import (
    ImportRun,
    ImportState,
    Order,
    OrderLine,
    OrderStatus,
    OrderTag,
    Product,
    Shipping,
    ShippingPreset,
    SkippedOrder,
    SkipReason,
    Tag,
    UnmappedStatus,
)


def partially_shipped_filter(qs, value: bool):
    """Orders Outbound shipped part of, with units still to ship (or, with False, the others)."""
    return qs.filter(shipping=Shipping.PARTIAL) if value else qs.exclude(shipping=Shipping.PARTIAL)


def tag_filter(qs, tag_id):
    """Orders carrying a tag: a join from the tag's entries (the unique index (tag, order) of OrderTag) to the
    orders, never a scan of the tenant's orders (docs/lists.md)."""
    return qs.filter(order_tags__tag_id=tag_id)


# The order list's sorts: key -> ORDER BY. "oldest" is the Awaiting Shipment tab's default, "newest" the others'.
ORDER_SORTS = {
    "newest": ("-order_date", "-id"),
    "oldest": ("order_date", "id"),
    "service": ("shipping_method", "order_date", "id"),
    "storefront": ("storefront__name", "order_date", "id"),
    "total": ("-order_total", "order_date", "id"),
}


def order_list(
    *,
    tenant: Tenant,
    status: str | None = None,
    store_id=None,
    storefront_id=None,
    search: str = "",
    partially_shipped: bool | None = None,
    needs_attention: bool | None = None,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
    tag_id=None,
    assignee_id=None,
    preset_id=None,
):
    """The tenant's orders with the list's filters; `date_to` is exclusive."""
    qs = _filtered(
        Order.objects.for_tenant(tenant).select_related("store", "storefront", "shipping_preset", "assignee"),
        tenant=tenant,
        tag_id=tag_id,
        assignee_id=assignee_id,
        preset_id=preset_id,
        store_id=store_id,
        storefront_id=storefront_id,
        search=search,
        needs_attention=needs_attention,
        date_from=date_from,
        date_to=date_to,
    )
    if status:
        qs = qs.filter(status=status)
    if partially_shipped is not None:
        qs = partially_shipped_filter(qs, partially_shipped)
    return qs


def _filtered(
    qs,
    *,
    tenant: Tenant,
    store_id=None,
    storefront_id=None,
    search: str = "",
    needs_attention: bool | None = None,
    date_from=None,
    date_to=None,
    tag_id=None,
    assignee_id=None,
    preset_id=None,
):
    """The list's filters other than the status tab, shared by the list and its tab counts. `assignee_id`
    and `preset_id` (the person an order is marked for, the preset it ships with) are each served by a
    partial index of the orders that have one (orders.Order's Meta)."""
    if tag_id:
        qs = tag_filter(qs, tag_id)
    if assignee_id:
        qs = qs.filter(assignee_id=assignee_id)
    if preset_id:
        qs = qs.filter(shipping_preset_id=preset_id)
    if date_from:
        qs = qs.filter(order_date__gte=date_from)
    if date_to:
        qs = qs.filter(order_date__lt=date_to)
    if needs_attention is not None:
        qs = qs.filter(needs_attention=needs_attention)
    if store_id:
        qs = qs.filter(store_id=store_id)
    if storefront_id:
        qs = qs.filter(storefront_id=storefront_id)
    if search:
        term = search.strip()
        qs = qs.filter(
            Q(number__iexact=term)
            | Q(number__icontains=term)
            | Q(email__icontains=term)
            | Q(ship_to_name__icontains=term)
            | Q(customer_code__icontains=term)
            | Q(pk__in=Order.objects.for_tenant(tenant).filter(lines__sku__iexact=term).values("pk"))
        )
    return qs


def order_item_counts(*, tenant: Tenant, order_ids) -> dict[int, int]:
    """order id -> the units its product lines ask for (discount lines are no items), in one query."""
    rows = (
        OrderLine.objects.for_tenant(tenant)
        .filter(order_id__in=list(order_ids), is_adjustment=False)
        .values("order_id")
        .annotate(units=Sum("quantity"))
    )
    return {row["order_id"]: row["units"] or 0 for row in rows}


def tag_list(*, tenant: Tenant):
    return Tag.objects.for_tenant(tenant)


def product_list(*, tenant: Tenant):
    """The workspace's products (of every store)."""
    return Product.objects.for_tenant(tenant)


def assignable_people(*, tenant: Tenant):
    """The people an order can be marked for: the workspace's members, by name."""
    return get_user_model().objects.filter(memberships__tenant=tenant).distinct().order_by("username")


def shipping_preset_list(*, tenant: Tenant):
    return ShippingPreset.objects.for_tenant(tenant).select_related("carrier_account", "package")


def order_tags(*, tenant: Tenant, order_ids) -> dict[int, list[Tag]]:
    """order id -> its tags (by name), in one query."""
    found: dict[int, list[Tag]] = {}
    rows = OrderTag.objects.for_tenant(tenant).filter(order_id__in=list(order_ids)).select_related("tag")
    for row in rows.order_by("tag__name"):
        found.setdefault(row.order_id, []).append(row.tag)
    return found


def order_get(*, tenant: Tenant, pk) -> Order:
    try:
        return (
            Order.objects.for_tenant(tenant)
            .select_related("store", "storefront", "shipping_preset", "package", "assignee")
            .get(pk=pk)
        )
    except (Order.DoesNotExist, ValueError, TypeError):
        raise Http404("No such order.")


# The most an order list counts: a tab's badge and the pager say "10,000+" past it, and page numbers reach that
# far. A count is then at most this many rows of an index, however many orders the tenant holds.
LIST_COUNT_CAP = 10_000


def order_tab_counts(*, tenant: Tenant, statuses, cap: int = LIST_COUNT_CAP, **filters) -> dict[str, int]:
    """The order list's tab counts, each counted up to `cap` + 1 (a value over `cap` means "more than cap"):
    "" (all), each of `statuses`, and "partial" (awaiting shipment and partially shipped), over the orders that
    match `filters` (order_list's, other than the status tab). One query: each count reads at most cap + 1
    entries of the index serving its filter, never the tenant's whole table."""
    # In the lists' order: each count reads the first cap + 1 entries of the index serving its tab.
    base = _filtered(Order.objects.for_tenant(tenant), tenant=tenant, **filters).order_by(*ORDER_SORTS["newest"])
    parts = [("", base)] + [(status, base.filter(status=status)) for status in statuses]
    parts.append(("partial", base.filter(status=OrderStatus.AWAITING_SHIPMENT, shipping=Shipping.PARTIAL)))
    selects, params = [], []
    for i, (_name, qs) in enumerate(parts):
        sql, part_params = qs.values("pk")[: cap + 1].query.sql_with_params()
        # The SQL is Django's own compilation of the queryset; every value in it is a parameter.
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped{i})")  # noqa: S608
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        row = cursor.fetchone()
    return {name: int(n) for (name, _qs), n in zip(parts, row, strict=True)}


def order_counts_by_store(*, tenant: Tenant) -> dict[int, dict[str, int]]:
    """{store id: {status: orders}} in one GROUP BY."""
    counts: dict[int, dict[str, int]] = {}
    for row in Order.objects.for_tenant(tenant).values("store_id", "status").annotate(n=Count("id")):
        counts.setdefault(row["store_id"], {})[row["status"]] = row["n"]
    return counts


def latest_import_runs(*, tenant: Tenant) -> dict[int, ImportRun]:
    """{store id: its latest import run}, in one query."""
    latest = ImportRun.objects.for_tenant(tenant).values("store_id").annotate(last=Max("id")).values("last")
    return {run.store_id: run for run in ImportRun.objects.filter(pk__in=latest)}


def orders_needing_attention(*, tenant: Tenant):
    return Order.objects.for_tenant(tenant).filter(needs_attention=True).select_related("store")


def import_run_list(*, tenant: Tenant, store_id=None):
    qs = ImportRun.objects.for_tenant(tenant).select_related("store")
    if store_id:
        qs = qs.filter(store_id=store_id)
    return qs


def import_run_get(*, tenant: Tenant, pk) -> ImportRun:
    try:
        return ImportRun.objects.for_tenant(tenant).select_related("store").get(pk=pk)
    except (ImportRun.DoesNotExist, ValueError, TypeError):
        raise Http404("No such import run.")


def import_failure_streaks(*, tenant: Tenant) -> list[dict]:
    """One alert per store whose imports fail now: the failed runs since its last successful run
    ("failing since …, n attempts", the latest error). A store's alert goes with its next success: a
    successful run, or a scheduled check that read the store and found nothing new (it writes no run, only
    the store's import state's `last_checked_at`); skipped runs (another import held the store) are no failures. Three
    queries, whatever the history."""
    ok_later = ImportRun.objects.filter(store=OuterRef("store"), state=ImportState.SUCCEEDED, pk__gt=OuterRef("pk"))
    failing = (
        ImportRun.objects.for_tenant(tenant)
        .filter(state=ImportState.FAILED)
        .exclude(Exists(ok_later))
        .exclude(store__import_state__last_checked_at__gte=Coalesce("finished_at", "queued_at"))
        .values("store_id")
        .annotate(attempts=Count("id"), since=Min("queued_at"), last_id=Max("id"))
    )
    streaks = {row["last_id"]: row for row in failing}
    latest = ImportRun.objects.filter(pk__in=list(streaks)).select_related("store").order_by("-queued_at", "-id")
    return [
        {
            "store": run.store,
            "last_run": run,
            "error": run.error,
            "since": streaks[run.pk]["since"],
            "attempts": streaks[run.pk]["attempts"],
        }
        for run in latest
    ]


def unmapped_status_list(*, tenant: Tenant, store_id=None):
    qs = UnmappedStatus.objects.for_tenant(tenant).select_related("store")
    if store_id:
        qs = qs.filter(store_id=store_id)
    return qs


def unmapped_status_get(*, tenant: Tenant, store_id, pk) -> UnmappedStatus:
    try:
        return unmapped_status_list(tenant=tenant, store_id=store_id).get(pk=pk)
    except (UnmappedStatus.DoesNotExist, ValueError, TypeError):
        raise Http404("No such status.")


def skipped_order_list(*, tenant: Tenant, store_id, reason: str | None = SkipReason.NO_SHIP_TO):
    """The store orders an import left out (by default those with no ship-to address), newest change first."""
    qs = SkippedOrder.objects.for_tenant(tenant).filter(store_id=store_id)
    if reason:
        qs = qs.filter(reason=reason)
    return qs.order_by("-modified_at", "-id")
