"""Registers outgoing webhooks with the shipments outbox (retries, back-off, leases live there)."""

from shipments.outbox import register_handler

from .services import webhook_deliver, webhook_deliveries_mirror, webhook_delivery_mirror

register_handler("webhook", on_state=webhook_delivery_mirror, on_state_many=webhook_deliveries_mirror)(webhook_deliver)
