from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "stores"
    verbose_name = "Tenants and stores"

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from . import checks, platforms  # noqa: F401  (checks registers the system checks)
        from .connector import builtin  # noqa: F401  (registers the built-in connection type)

        platforms.load()  # each platform's connection types, with their abilities (stores/platforms/)
        # Any deletion of a store (store_delete, an operator's, with its tenant) is announced as the row goes.
        pre_delete.connect(_announce_deleting, sender=self.get_model("Store"), dispatch_uid="stores.changes")


def _announce_deleting(sender, instance, **kwargs) -> None:
    from .changes import DELETING, StoreChange, announce

    announce(StoreChange(DELETING, instance))
