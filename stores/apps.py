from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "stores"
    verbose_name = "Tenants and stores"

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from . import checks, oauth  # noqa: F401  (checks registers the system checks)
        from .connector import builtin  # noqa: F401  (registers the built-in connection types)
        from .connector.rest import auth as rest_auth

        rest_auth.set_oauth_token_source(oauth.OAuthTokenSource)  # OAuth stores: refresh before expiry
        # The REST stores' call budget, shared by every process: in Redis or the database (settings).
        from .budget import budget_from_settings
        from .connector.rest import pacing

        pacing.install_budget(budget_from_settings())
        # Any deletion of a store (store_delete, an operator's, with its tenant) is announced as the row goes.
        pre_delete.connect(_announce_deleting, sender=self.get_model("Store"), dispatch_uid="stores.changes")


def _announce_deleting(sender, instance, **kwargs) -> None:
    from .changes import DELETING, StoreChange, announce

    announce(StoreChange(DELETING, instance))
