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
