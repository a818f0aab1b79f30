from django.apps import AppConfig


class ShipmentsConfig(AppConfig):
    name = "shipments"

    def ready(self) -> None:
        # Register the outbox handlers (store update, e-mail) in every process, workers included.
        from . import emails, services  # noqa: F401
