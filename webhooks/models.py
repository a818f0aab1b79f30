"""Webhook subscriptions and their delivery log. Below the domain: orders and shipments emit events
into it (webhooks.services); it imports neither."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from stores import crypto
from stores.models import Tenant, TenantQuerySet, validate_fetchable_url


class WebhookEvent(models.TextChoices):
    ORDER_IMPORTED = "order.imported", "Order imported"
    ORDER_UPDATED = "order.updated", "Order updated"
    ORDER_ATTENTION = "order.attention", "Order needs attention"
    IMPORT_RECOVERED = "import.recovered", "Order recovered by the reconciliation sweep"
    SHIPMENT_CREATED = "shipment.created", "Shipment created"
    SHIPMENT_OUT_FOR_DELIVERY = "shipment.out_for_delivery", "Shipment out for delivery (carrier tracking)"
    SHIPMENT_DELIVERED = "shipment.delivered", "Shipment delivered"
    SHIPMENT_EXCEPTION = "shipment.exception", "Carrier exception on a shipment (carrier tracking)"
    STORE_UPDATE_FAILED = "store_update.failed", "Store update failed"


class WebhookSubscription(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="webhook_subscriptions")
    url = models.URLField(max_length=500, validators=[validate_fetchable_url])
    events = models.JSONField(default=list)  # a subset of WebhookEvent values
    description = models.CharField(max_length=200, blank=True, default="")
    # Fernet token of the signing secret: it has to be readable to sign, so it is encrypted, not hashed.
    secret_encrypted = models.TextField(editable=False, default="")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = TenantQuerySet.as_manager()

    class Meta:
        db_table = "api_webhooksubscription"  # the table predates the app (kept, never renamed)
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url

    def get_secret(self) -> str:
        return crypto.decrypt_secret(self.secret_encrypted)


crypto.register_encrypted_field(WebhookSubscription, "secret_encrypted")


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDeliveryQuerySet(TenantQuerySet):
    tenant_field = "subscription__tenant"


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one subscription: the delivery log."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True, default="")
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        db_table = "api_webhookdelivery"  # the table predates the app (kept, never renamed)
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id} ({self.state})"
