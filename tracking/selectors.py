"""Reads for carrier tracking: what the order page and the API show of a shipment's tracking."""

from __future__ import annotations

from dataclasses import dataclass, field

from carriers.models import CarrierAccount
from shipments.models import Shipment, ShipmentState

from .models import TRACKED_CARRIERS, ShipmentTracking, TrackingEvent, TrackingState


def tracking_failing(*, tenant=None):
    """Followed shipments whose last carrier request failed (newest first): a tenant's, or every tenant's
    for the operators. "Failing" is what the admin's filter and the dashboard count."""
    rows = ShipmentTracking.objects.filter(failures__gt=0).exclude(shipment__state=ShipmentState.VOIDED)
    if tenant is not None:
        rows = rows.for_tenant(tenant)
    return rows.select_related("shipment__order", "tenant").order_by("-last_polled_at", "-pk")


@dataclass
class ShipmentTrackingView:
    shipment: Shipment
    tracking: ShipmentTracking | None
    events: list[TrackingEvent] = field(default_factory=list)
    # Why the shipment is not followed: "" (it is, or will be at the next cycle), "unsupported",
    # "no_account", "no_number", or "delivered" (marked delivered by hand: the carrier is not asked); the
    # page words it.
    not_followed: str = ""

    @property
    def state(self) -> str:
        """Where the parcel stands: delivered once the shipment is, whoever said so (by hand or the
        carrier), else what the carrier last said ("unknown" before it said anything)."""
        if self.shipment.state == ShipmentState.DELIVERED:
            return TrackingState.DELIVERED
        return self.tracking.state if self.tracking else TrackingState.UNKNOWN


def not_followed_reason(shipment: Shipment, has_account: bool) -> str:
    if shipment.state == ShipmentState.DELIVERED:
        return "delivered"
    if shipment.state != ShipmentState.SHIPPED:
        return ""
    if shipment.carrier not in TRACKED_CARRIERS:
        return "unsupported"
    if not has_account:
        return "no_account"
    if not shipment.tracking_number:
        return "no_number"
    return ""


def tracking_for_shipments(*, tenant, shipments: list[Shipment]) -> list[ShipmentTrackingView]:
    """Each shipment's tracking state, events (newest first) and why it is not followed (3 queries)."""
    ids = [s.pk for s in shipments]
    trackings = {t.shipment_id: t for t in ShipmentTracking.objects.for_tenant(tenant).filter(shipment_id__in=ids)}
    events: dict[int, list[TrackingEvent]] = {}
    for e in TrackingEvent.objects.for_tenant(tenant).filter(shipment_id__in=ids).order_by("-occurred_at", "-pk"):
        events.setdefault(e.shipment_id, []).append(e)
    accounts = set(CarrierAccount.objects.for_tenant(tenant).filter(is_active=True).values_list("carrier", flat=True))
    views = []
    for s in shipments:
        tracking = trackings.get(s.pk)
        if tracking is None:
            reason = not_followed_reason(s, s.carrier in accounts)
        elif s.state == ShipmentState.DELIVERED and tracking.state != TrackingState.DELIVERED:
            reason = "delivered"  # by hand, before the carrier said so: it is asked no more
        else:
            reason = ""
        views.append(
            ShipmentTrackingView(shipment=s, tracking=tracking, events=events.get(s.pk, []), not_followed=reason)
        )
    return views
