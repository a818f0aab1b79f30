from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "stores"
    verbose_name = "Tenants and stores"

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from . import checks, oauth, realtime  # noqa: F401  (checks registers the system checks)
        from .connector import builtin  # noqa: F401  (registers the built-in connection types)
        from .connector.rest import auth as rest_auth

        rest_auth.set_oauth_token_source(oauth.OAuthTokenSource)  # OAuth stores: refresh before expiry
        # The REST stores' call budget, shared by every process: in Redis or the database (settings).
        from .budget import budget_from_settings
        from .connector.rest import pacing

        pacing.install_budget(budget_from_settings())
        # A deleted store (by an operator, or with its tenant) has its webhooks removed from its site.
        pre_delete.connect(realtime.store_realtime_forget, sender=self.get_model("Store"), dispatch_uid="realtime")
