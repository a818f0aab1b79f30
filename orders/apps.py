from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        from stores import changes

        from .services import store_changed

        # A change of a store's mapping brings in the orders skipped for a status mapped now.
        changes.subscribe(store_changed)
