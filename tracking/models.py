"""Carrier accounts (per tenant), the tracking state of each followed shipment, and its carrier events.

A shipment is followed when its tenant has an active carrier account for its carrier and it has a
tracking number: the poll cycle (tracking.services.tracking_poll_due) finds it and gives it a
ShipmentTracking row. Shipments never import this app; it reads them.
"""

from __future__ import annotations

import json

from django.db import models
from django.utils import timezone

from shipments.models import Carrier, Shipment
from stores import crypto
from stores.models import Tenant, TenantQuerySet

# The carriers Outbound follows, as (shipment carrier code, karrio extension name). Each needs its karrio
# extension installed (karrio-ups, karrio-usps); both can be pointed at the carrier sandbox.
KARRIO_CARRIERS: dict[str, str] = {Carrier.UPS: "ups", Carrier.USPS: "usps"}


class TrackedCarrier(models.TextChoices):
    UPS = Carrier.UPS.value, "UPS"
    USPS = Carrier.USPS.value, "USPS"


class CarrierAccountQuerySet(TenantQuerySet):
    pass


class CarrierAccount(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="carrier_accounts")
    carrier = models.CharField(max_length=20, choices=TrackedCarrier.choices)
    name = models.CharField(max_length=100, blank=True, default="")
    # Fernet token of a JSON object {"client_id": …, "client_secret": …}: write through
    # set_credentials(), read with credentials(). Never shown, logged or sent anywhere but the carrier.
    credentials_encrypted = models.TextField(editable=False, default="")
    test_mode = models.BooleanField(default=False, help_text="Use the carrier's test servers.")
    # Where karrio sends this account's requests instead of the carrier's own servers (the carrier
    # sandbox). Set by operators (admin) and the demo only, never by a tenant.
    server_url = models.URLField(max_length=300, blank=True, default="")
    is_active = models.BooleanField(default=True)
    last_test_ok = models.BooleanField(null=True, blank=True)
    # ok | refused | busy | unreachable | key (tracking.carriers.TEST_*); the carrier's own words beside it.
    last_test_outcome = models.CharField(max_length=20, blank=True, default="")
    last_test_message = models.CharField(max_length=500, blank=True, default="")
    last_tested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = CarrierAccountQuerySet.as_manager()

    class Meta:
        ordering = ["carrier", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "carrier"], name="carrieraccount_one_per_carrier")]

    def __str__(self) -> str:
        return f"{self.get_carrier_display()} account {self.name or self.pk}"

    def set_credentials(self, *, client_id: str, client_secret: str) -> None:
        self.credentials_encrypted = crypto.encrypt_secret(
            json.dumps({"client_id": client_id, "client_secret": client_secret})
        )

    def credentials(self) -> dict[str, str]:
        if not self.credentials_encrypted:
            raise crypto.CredentialError("This carrier account has no credentials set.")
        return json.loads(crypto.decrypt_secret(self.credentials_encrypted))

    @property
    def has_credentials(self) -> bool:
        return bool(self.credentials_encrypted)

    def save(self, *args, **kwargs):
        if self.credentials_encrypted:
            self.credentials_encrypted = crypto.reencrypt_secret(self.credentials_encrypted)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = set(kwargs["update_fields"]) | {"credentials_encrypted"}
        super().save(*args, **kwargs)


crypto.register_encrypted_field(CarrierAccount, "credentials_encrypted")


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
