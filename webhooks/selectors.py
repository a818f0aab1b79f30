"""Reads for webhook subscriptions and their delivery log."""

from __future__ import annotations

from .models import DeliveryState, WebhookDelivery


def operator_failed_webhooks(*, limit: int = 20):
    """Across tenants, for operators: webhook deliveries that gave up, newest first."""
    return (
        WebhookDelivery.objects.filter(state=DeliveryState.FAILED)
        .select_related("subscription__tenant")
        .order_by("-created_at", "-id")[:limit]
    )
