"""AmeriCommerce's REST API road (`americommerce_rest`): the connector and how a store's credentials reach it.

    connector_for_rest_store(store, **options) -> RestConnector
        the registry's factory: the store's API root (`store.rest_base_url`, the store URL + /api/v1) and a
        token source: the admin-console access token (`rest_auth == "token"`) or the OAuth tokens
        (`rest_auth == "oauth"`, refreshed through the hook in `auth.py`).

See docs/americommerce-rest.md for the protocol facts the connector relies on.
"""

from __future__ import annotations

from typing import Any

from .auth import StaticToken, TokenSource, oauth_token_source
from .connector import RestConnector
from .pacing import installed_budget

__all__ = ["RestConnector", "StaticToken", "TokenSource", "connector_for_rest_store"]


def connector_for_rest_store(store: Any, *, refresh: bool = True, **options: Any) -> RestConnector:
    """`refresh=False`: an OAuth store's access token as saved, never refreshed (nor anything written back):
    for a store row that is gone, or a site it left, whose tokens must not be spent or saved."""
    if getattr(store, "rest_auth", "token") == "oauth":
        tokens: TokenSource = oauth_token_source(store) if refresh else StaticToken(store.get_oauth_access_token())
    else:
        tokens = StaticToken(store.get_api_token())
    # The call budget is the store site's (every app and every Outbound worker on it share it), kept where
    # the deployment keeps budgets (STORE_CALL_BUDGET: Redis or the database, installed by stores.apps).
    options.setdefault("pace_key", store.rest_base_url)
    options.setdefault("budget", installed_budget())
    options.setdefault("shipped_statuses", _recorded_shipped_statuses(store))
    return RestConnector(store.rest_base_url, tokens, **options)


def _recorded_shipped_statuses(store: Any):
    """{storefront name: shipped status} as the merchant recorded them in Outbound (read when needed)."""

    def read() -> dict[str, str]:
        if getattr(store, "pk", None) is None:
            return {}
        return {f.name: f.shipped_status for f in store.storefronts.all() if f.shipped_status}

    return read
