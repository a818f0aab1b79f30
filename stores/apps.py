from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "stores"
    verbose_name = "Tenants and stores"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .connector import builtin  # noqa: F401  (registers the built-in connection types)
