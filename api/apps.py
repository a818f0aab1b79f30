from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        # The webhooks' payloads are the objects as the API shows them: register the serializers.
        from .payloads import register

        register()
