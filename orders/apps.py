from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        from stores import changes

        from .services import store_changed

        # A change of a store's mapping brings in the orders skipped for a status mapped now.
        changes.subscribe(store_changed)
        # The picture of the day's tallies: triggers present and counts sane after every migrate and flush.
        post_migrate.connect(_ensure_tallies, sender=self)


def _ensure_tallies(sender, using="default", **kwargs) -> None:
    from django.db import connections

    from . import tallies

    connection = connections[using]
    if tallies.DAYS not in connection.introspection.table_names():
        return  # migrated backwards past the tallies
    tallies.ensure(connection)
