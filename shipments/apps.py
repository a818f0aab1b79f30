from django.apps import AppConfig


class ShipmentsConfig(AppConfig):
    name = "shipments"

    def ready(self) -> None:
        # Register this app's outbox kinds (store update, e-mail) in every process, workers included.
        from outbox.services import register_handler

        from .emails import email_send, email_state_changed
        from .models import OutboxKind
        from .services import store_update_send, store_update_state_changed

        register_handler(OutboxKind.STORE_UPDATE, on_state=store_update_state_changed)(store_update_send)
        register_handler(OutboxKind.EMAIL, on_state=email_state_changed)(email_send)

        from stores import changes

        from .services import store_changed

        # A shipment line protects the order line it ships: a deleted store's shipments go first.
        changes.subscribe(store_changed)
