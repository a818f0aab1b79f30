"""Reads of the end of day, each through `for_tenant`: the labels waiting for a manifest, grouped by
ship-from, carrier and ship date, and the manifests made (docs/end-of-day.md#waiting)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count
from django.http import Http404

from carriers.capabilities import capabilities_of
from carriers.models import ShipFrom
from shipments.models import ShipmentState

from ..models import LabelPurchase, Manifest, PurchaseState


def pending_labels(*, tenant, ship_from, carrier: str, ship_date: dt.date):
    """The bought labels of `ship_from` and `carrier` shipping on `ship_date` that are on no manifest yet:
    never a voided one (its purchase is voided), nor one whose shipment was voided."""
    return (
        LabelPurchase.objects.for_tenant(tenant)
        .filter(
            state=PurchaseState.BOUGHT,
            manifest__isnull=True,
            ship_from=ship_from,
            carrier=carrier,
            ship_date=ship_date,
        )
        .exclude(tracking_number="")
        .exclude(shipment__state=ShipmentState.VOIDED)
    )


@dataclass(frozen=True)
class Waiting:
    """Labels waiting for one end of day: a ship-from, a carrier, a ship date and how many."""

    ship_from: ShipFrom
    carrier: str
    ship_date: dt.date
    count: int

    @property
    def has_manifest(self) -> bool:
        caps = capabilities_of(self.carrier)
        return bool(caps and caps.manifest is True)


def waiting(*, tenant) -> list[Waiting]:
    """Every group of labels waiting for an end of day (one GROUP BY), the oldest ship date first."""
    rows = (
        LabelPurchase.objects.for_tenant(tenant)
        .filter(state=PurchaseState.BOUGHT, manifest__isnull=True, ship_from__isnull=False, ship_date__isnull=False)
        .exclude(tracking_number="")
        .exclude(shipment__state=ShipmentState.VOIDED)
        .values("ship_from", "carrier", "ship_date")
        .annotate(n=Count("id"))
        .order_by("ship_date", "ship_from", "carrier")
    )
    rows = list(rows)
    places = ShipFrom.objects.for_tenant(tenant).in_bulk({row["ship_from"] for row in rows})
    return [
        Waiting(places[row["ship_from"]], row["carrier"], row["ship_date"], row["n"])
        for row in rows
        if row["ship_from"] in places
    ]


def manifest_list(*, tenant, limit: int = 50):
    return (
        Manifest.objects.for_tenant(tenant)
        .defer("document")
        .select_related("ship_from")
        .order_by("-created_at", "-id")[:limit]
    )


def manifest_get(*, tenant, pk) -> Manifest:
    try:
        return Manifest.objects.for_tenant(tenant).select_related("ship_from", "account").get(pk=pk)
    except (Manifest.DoesNotExist, ValueError, TypeError):
        raise Http404("No such manifest.")
