"""AmeriCommerce's connection types and what they can do, registered in the connector registry.

americommerce  AmeriCommerce's ShipStation add-on: its XML page at a path under the store URL
               (default `/store/shipstation.aspx`, not published by AmeriCommerce), statuses matched
               without regard to case (AmeriCommerce's connector), each storefront applying its own
               shipped status, the mapping pre-filled with AmeriCommerce's default statuses.
americommerce_rest
               AmeriCommerce's documented REST API at the store URL + /api/v1, authenticated by an
               access token from the admin console or OAuth app tokens; AmeriCommerce's conventions.
               Its abilities: real time (its webhooks, rest/hooks.py) and the OAuth app flow
               (oauth.py), which the hooks app and the portal ask the registry for.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from stores import statuses
from stores.connector.builtin import CustomStoreConnector, xml_connector
from stores.connector.registry import OAuth, RealTime, register
from stores.models import DEFAULT_ENDPOINT_PATH

from . import oauth
from .budget import budget_from_settings
from .rest import auth as rest_auth
from .rest import connector_for_rest_store, pacing
from .rest import hooks as rest_hooks

REST_API_PATH = "/api/v1"


@register(
    "americommerce",
    label=_("AmeriCommerce"),
    status_key=statuses.normalize_status,
    endpoint_path=DEFAULT_ENDPOINT_PATH,
    storefront_shipped_status=True,
    default_mapping=statuses.DEFAULT_MAPPING,
)
def americommerce_connector(store: Any, **options: Any) -> CustomStoreConnector:
    return xml_connector(store, options, shipped_status=True)


def americommerce_rest_connector(store: Any, **options: Any):
    """The REST road's connector (`refresh=False`: an OAuth store's saved token, never refreshed)."""
    return connector_for_rest_store(store, **options)


def _late(module: Any, name: str):
    """`module.name`, looked up at each call (so a test may replace one of the module's functions)."""

    def call(*args: Any, **kwargs: Any):
        return getattr(module, name)(*args, **kwargs)

    call.__name__ = name
    return call


REALTIME = RealTime(
    receiver="americommerce",  # /hooks/americommerce/<token>/: live subscriptions call it, never change it
    events=rest_hooks.ORDER_EVENTS,
    connector=americommerce_rest_connector,
    list_subscriptions=_late(rest_hooks, "list_subscriptions"),
    storefront_ids=_late(rest_hooks, "storefront_ids"),
    subscribe=_late(rest_hooks, "subscribe"),
    unsubscribe=_late(rest_hooks, "unsubscribe"),
    event_order_id=_late(rest_hooks, "event_order_id"),
    event_order_updated_at=_late(rest_hooks, "event_order_updated_at"),
)
OAUTH = OAuth(
    configured=_late(oauth, "app_configured"),
    authorize_url=_late(oauth, "authorize_url"),
    exchange_code=_late(oauth, "exchange_code"),
    grant_params=("auth_id", "code"),
    token_set=oauth.TokenSet,
)
register(
    "americommerce_rest",
    label=_("AmeriCommerce"),
    status_key=statuses.normalize_status,
    endpoint_path=REST_API_PATH,
    endpoint_path_editable=False,
    storefront_shipped_status=True,
    default_mapping=statuses.DEFAULT_MAPPING,
    road="rest",
    realtime=REALTIME,
    oauth=OAUTH,
)(americommerce_rest_connector)

rest_auth.set_oauth_token_source(oauth.OAuthTokenSource)  # OAuth stores: refresh before expiry

# The REST stores' call budget, shared by every process: in Redis or the database (settings.STORE_CALL_BUDGET).
pacing.install_budget(budget_from_settings())
