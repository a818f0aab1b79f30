"""Reads for carrier tracking: what the order page and the API show of a shipment's tracking."""

from __future__ import annotations

import datetime as dt
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


# --- the buyers' public tracking page (docs/tracking-page.md) ------------------------------------------------
#
# Public by design: these reads take a token, or a store and what the buyer typed, never a tenant from a
# session. Each keeps to the one store (its tenant's rows only, through for_tenant) and the one shipment.


@dataclass
class PublicItem:
    name: str
    quantity: int


@dataclass
class PublicTracking:
    """What the tracking page shows of one shipment. `full` False (a bare tracking number): checkpoints only,
    no order number, items, buyer or address."""

    store: object  # stores.models.Store, with its settings
    shipment: Shipment
    state: str
    status_text: str
    estimated_delivery: object  # a date, or None
    events: list[TrackingEvent]
    items: list[PublicItem]
    order_number: str
    full: bool


def _public_shipments():
    return Shipment.objects.exclude(state=ShipmentState.VOIDED).select_related("order__store__settings", "tracking")


def public_shipment_by_token(token: str) -> Shipment | None:
    """The shipment whose tracking page token this is (the unique index), or None; a voided one is not shown."""
    token = (token or "").strip()
    if not token or len(token) > 64:
        return None
    return _public_shipments().filter(tracking_token=token).first()


def public_shipment_by_order(*, store, number: str, email: str = "", postal_code: str = "") -> Shipment | None:
    """The newest live shipment of the store's order `number` whose buyer e-mail, or ship-to (or bill-to) postal
    code, is the one given; None otherwise. "No such order" and "wrong e-mail" are the same None."""
    from orders.models import Order

    number, email, postal = number.strip(), email.strip().lower(), _postal(postal_code)
    if not number or not (email or postal) or len(number) > 50:
        return None
    orders = Order.objects.for_tenant(store.tenant_id).filter(store=store, number__iexact=number)
    for order in orders.only("pk", "email", "ship_to", "bill_to")[:5]:
        known_postals = {
            _postal((order.ship_to or {}).get("postal_code")),
            _postal((order.bill_to or {}).get("postal_code")),
        }
        if (email and (order.email or "").strip().lower() == email) or (postal and postal in known_postals):
            return (
                _public_shipments()
                .for_tenant(store.tenant_id)
                .filter(order_id=order.pk)
                .order_by("-created_at", "-pk")
                .first()
            )
    return None


def public_shipment_by_tracking_number(*, store, tracking_number: str) -> Shipment | None:
    """The store's newest live shipment with this tracking number (any case, spaces ignored), or None."""
    wanted = "".join((tracking_number or "").split()).upper()
    if not wanted or len(wanted) > 50:
        return None
    return (
        _public_shipments()
        .for_tenant(store.tenant_id)
        .filter(order__store=store, tracking_number__iexact=wanted)
        .order_by("-created_at", "-pk")
        .first()
    )


def _postal(value) -> str:
    return "".join(str(value or "").split()).upper()


def public_tracking(shipment: Shipment, *, full: bool = True) -> PublicTracking:
    """The page of one shipment: its timeline (one query), and its items unless `full` is False (one more)."""
    order = shipment.order
    try:
        tracking = shipment.tracking
    except ShipmentTracking.DoesNotExist:
        tracking = None
    events = list(
        TrackingEvent.objects.for_tenant(shipment.tenant_id)
        .filter(shipment_id=shipment.pk)
        .order_by("-occurred_at", "-pk")
        .only("occurred_at", "state", "description", "location")
    )
    items = []
    if full:
        from shipments.models import ShipmentLine

        items = [
            PublicItem(name=name, quantity=quantity)
            for name, quantity in ShipmentLine.objects.for_tenant(shipment.tenant_id)
            .filter(shipment_id=shipment.pk)
            .order_by("order_line__position", "pk")
            .values_list("order_line__name", "quantity")
        ]
    view = ShipmentTrackingView(shipment=shipment, tracking=tracking)
    return PublicTracking(
        store=order.store,
        shipment=shipment,
        state=view.state,
        status_text=tracking.status_text if tracking else "",
        estimated_delivery=tracking.estimated_delivery if tracking and view.state != TrackingState.DELIVERED else None,
        events=events,
        items=items,
        order_number=order.number if full else "",
        full=full,
    )


def lookup_refused(key: str) -> bool:
    """Whether this client (its address's key, tracking.services.lookup_key) made too many wrong lookups lately."""
    from django.conf import settings
    from django.utils import timezone

    from .models import LookupThrottle

    since = timezone.now() - dt.timedelta(minutes=settings.TRACKING_LOOKUP_WINDOW_MINUTES)
    return LookupThrottle.objects.filter(
        key=key, window_started_at__gt=since, failures__gte=settings.TRACKING_LOOKUP_FAILURE_LIMIT
    ).exists()
