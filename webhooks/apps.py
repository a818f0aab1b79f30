from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Webhook subscriptions, emission and delivery, below the domain (see webhooks.services)."""

    name = "webhooks"

    def ready(self) -> None:
        # Register the outbox kind this app owns, in every process, workers included.
        from outbox.services import register_handler

        from .services import WEBHOOK, webhook_deliver, webhook_deliveries_mirror, webhook_delivery_mirror

        register_handler(WEBHOOK, on_state=webhook_delivery_mirror, on_state_many=webhook_deliveries_mirror)(
            webhook_deliver
        )
