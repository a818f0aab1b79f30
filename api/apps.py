from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        # Registers the "webhook" outbox handler.
        from . import webhooks  # noqa: F401
