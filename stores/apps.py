from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "stores"
    verbose_name = "Tenants and stores"

    def ready(self) -> None:
        from . import checks, oauth  # noqa: F401  (checks registers the system checks)
        from .connector import builtin  # noqa: F401  (registers the built-in connection types)
        from .connector.rest import auth as rest_auth

        rest_auth.set_oauth_token_source(oauth.OAuthTokenSource)  # OAuth stores: refresh before expiry
