"""The tracking state of each followed shipment, and its carrier events.

Carrier accounts are the carriers layer's (carriers.models.CarrierAccount). A shipment is followed when its
tenant has an active carrier account for its carrier and it has a
tracking number: the poll cycle (tracking.services.tracking_poll_due) finds it and gives it a
ShipmentTracking row. Shipments never import this app; it reads them.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from carriers.capabilities import carriers_that
from carriers.models import CarrierAccount
from shipments.models import Shipment
from stores.models import Tenant, TenantQuerySet

# The carriers whose shipments are followed: those karrio tracks for Outbound (carriers.capabilities).
TRACKED_CARRIERS: list[str] = carriers_that("tracking")


class TrackingState(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    IN_TRANSIT = "in_transit", "In transit"
    OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
    DELIVERED = "delivered", "Delivered"
    EXCEPTION = "exception", "Exception"
    # On its way back to the merchant ("Return to Sender"): not an exception followed until it is
    # delivered, since it will not be; the follow-up ends and the order is flagged.
    RETURNED = "returned", "Returned to sender"


class ShipmentTrackingQuerySet(TenantQuerySet):
    def due(self, now=None):
        return self.filter(next_poll_at__lte=now or timezone.now())


class ShipmentTracking(models.Model):
    """One followed shipment: where it stands and when it is asked about next (None = no more)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    shipment = models.OneToOneField(Shipment, on_delete=models.CASCADE, related_name="tracking")
    account = models.ForeignKey(CarrierAccount, on_delete=models.CASCADE, related_name="trackings")
    state = models.CharField(max_length=20, choices=TrackingState.choices, default=TrackingState.UNKNOWN)
    status_text = models.CharField(max_length=300, blank=True, default="")
    next_poll_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    polls = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)  # consecutive polls without an answer
    last_error = models.CharField(max_length=500, blank=True, default="")
    stopped_reason = models.CharField(max_length=200, blank=True, default="")
    exception_at = models.DateTimeField(null=True, blank=True)
    out_for_delivery_at = models.DateTimeField(null=True, blank=True)
    # The delivery date the carrier last gave (None: it gave none); a change may e-mail the buyer once.
    estimated_delivery = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ShipmentTrackingQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["next_poll_at", "account"])]

    def __str__(self) -> str:
        return f"Tracking of shipment {self.shipment_id} ({self.state})"


class TrackingEventQuerySet(TenantQuerySet):
    pass


class TrackingEvent(models.Model):
    """One carrier scan, stored once per shipment (the fingerprint is its time, code, text and place)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="tracking_events")
    occurred_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=TrackingState.choices, default=TrackingState.UNKNOWN)
    code = models.CharField(max_length=50, blank=True, default="")
    description = models.CharField(max_length=300, blank=True, default="")
    location = models.CharField(max_length=200, blank=True, default="")
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = TrackingEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "fingerprint"], name="trackingevent_once_per_shipment")
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.description}" if self.occurred_at else self.description


class LookupThrottle(models.Model):
    """Wrong lookups on the public tracking page from one address (docs/tracking-page.md#limits): a row per
    client address (its SHA-256), shared by every web process like the sign-in limiter's rows. Past
    TRACKING_LOOKUP_FAILURE_LIMIT wrong lookups in TRACKING_LOOKUP_WINDOW_MINUTES, lookups are refused."""

    key = models.CharField(max_length=64, primary_key=True)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.failures} wrong lookups since {self.window_started_at:%Y-%m-%d %H:%M}"
