"""Reads of the labels app, each through `for_tenant`."""

from __future__ import annotations

from django.http import Http404

from .models import LabelDocument, LabelPurchase


def purchase_get(*, tenant, pk) -> LabelPurchase:
    try:
        return LabelPurchase.objects.for_tenant(tenant).select_related("order", "account", "shipment").get(pk=pk)
    except (LabelPurchase.DoesNotExist, ValueError, TypeError):
        raise Http404("No such label purchase.")


def purchases_of(*, order):
    return LabelPurchase.objects.for_tenant(order.tenant_id).filter(order=order).select_related("account")


def live_purchase(*, order) -> LabelPurchase | None:
    return purchases_of(order=order).live().first()


def document_of_shipment(*, tenant, shipment_id, fmt: str) -> LabelDocument | None:
    return (
        LabelDocument.objects.for_tenant(tenant)
        .filter(purchase__shipment_id=shipment_id, format=fmt)
        .order_by("-pk")
        .first()
    )


def document_formats(*, tenant, shipment_ids) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for shipment_id, fmt in (
        LabelDocument.objects.for_tenant(tenant)
        .filter(purchase__shipment_id__in=list(shipment_ids))
        .values_list("purchase__shipment_id", "format")
    ):
        found.setdefault(shipment_id, []).append(fmt)
    return found


# --- spend (the daily limit, stores.Tenant.daily_label_limit) -------------------------------------------------


def day_start(now=None):
    """The start of the day a spend limit counts: the UTC day (tenants have no time zone)."""
    import datetime as dt

    from django.utils import timezone

    now = now or timezone.now()
    return now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def spend_today(*, tenant, now=None):
    """What the tenant spent on labels today (UTC): every live purchase made today (bought, being bought,
    uncertain), plus what its confirmed batches are still about to buy (money promised counts)."""
    from decimal import Decimal

    from django.db.models import Sum

    from .models import BatchState, ItemState, LabelBatchItem

    bought = (
        LabelPurchase.objects.for_tenant(tenant)
        .live()
        .filter(created_at__gte=day_start(now))
        .aggregate(total=Sum("price"))["total"]
    )
    promised = (
        LabelBatchItem.objects.for_tenant(tenant)
        .filter(batch__state=BatchState.BUYING, state=ItemState.PENDING, purchase__isnull=True)
        .aggregate(total=Sum("price"))["total"]
    )
    return ((bought or Decimal(0)) + (promised or Decimal(0))).quantize(Decimal("0.01"))
