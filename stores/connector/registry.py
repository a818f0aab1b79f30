"""Which connector a store gets: a registry of connection types, never `if platform == ...`.

A connection type is a key (the store's platform and road, `connection_key`; `Store.connection_type` says
which) with its display name, its conventions and a factory that builds a `StoreConnector` for a store:

    @register("acme", label=_("Acme"), status_key=statuses.exact_status)
    def acme_connector(store, **options) -> StoreConnector: ...

`connector_for_store(store)` looks the store's type up and calls its factory. The conventions the rest
of Outbound asks the registry about instead of naming a platform:

    label                 the platform's display name (portal pages, e-mails, admin)
    status_key            how a store status matches a mapping entry (stores.statuses)
    endpoint_path         the default path of the store's XML page joined to its URL, or None when the
                          URL the merchant gives is the endpoint itself
    storefront_shipped_status
                          whether each storefront applies its own shipped status when notified
    default_mapping       what the five mapping lists start with
    road                  "xml" (the ShipStation add-on's page) or "rest" (the platform's REST API)
    endpoint_path_editable
                          whether the store's own endpoint_path replaces endpoint_path (False: fixed, e.g.
                          the REST API's /api/v1)

What a platform can do besides importing and notifying is declared the same way, as an abilities object (the
way karrio's carrier metadata declares a carrier's features), None when the type cannot:

    realtime              RealTime: its webhooks (subscribe, unsubscribe, list, which order an event names,
                          the receiver path's segment); the hooks app asks `realtime_of(store)`
    oauth                 OAuth: its app flow (configured?, consent URL, code exchange, the callback's
                          parameters); the portal asks `oauth_of(platform)` / `oauth_platforms()`

The generic type (any cart) is registered in `builtin.py`, each platform's in its package under
`stores/platforms/` (stores.platforms.load(), from StoresConfig.ready). Nothing here imports Django models.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stores import statuses

from .protocol import StoreConnector

ConnectorFactory = Callable[..., StoreConnector]


@dataclass(frozen=True)
class RealTime:
    """A platform's webhooks, as real time (the hooks app) uses them. `client` below is what `connector`
    builds; a subscription is anything with `id`, `event_type`, `url` and `store_id` (its storefront)."""

    receiver: str  # the receiver URL's segment, /hooks/<receiver>/<token>/ (kept: live subscriptions use it)
    events: tuple[str, ...]  # the order events subscribed, once per storefront
    connector: Callable[..., Any]  # (store, *, refresh=True) -> client, whatever road the store is on now
    list_subscriptions: Callable[[Any], list]  # (client) -> every subscription on the site
    storefront_ids: Callable[[Any], list[int]]  # (client) -> the storefronts each needing subscriptions
    subscribe: Callable[..., list[int]]  # (client, url, storefront ids, existing) -> subscription ids
    unsubscribe: Callable[[Any, list[int]], int]  # (client, ids) -> how many were there
    event_order_id: Callable[[bytes], int | None]  # the order a webhook's body names (None: unreadable)
    # The order's last change a webhook's body tells (None: not told): the store's webhooks for changes up to
    # the store's answer to our own write are echoes of that write and cost no fetch (hooks.services).
    event_order_updated_at: Callable[[bytes], Any] = lambda body: None


@dataclass(frozen=True)
class OAuth:
    """A platform's OAuth app flow, as the portal's connect pages use it."""

    configured: Callable[[], bool]  # whether this deployment has the platform's app (its id and secret)
    authorize_url: Callable[[str, str], str]  # (store URL, redirect_uri) -> the consent page
    exchange_code: Callable[..., Any]  # (store URL, *, redirect_uri, **grant) -> a token set
    grant_params: tuple[str, ...]  # the callback's query parameters that make the grant (all required)
    token_set: Callable[..., Any]  # (access_token, refresh_token, expires_at, scope) -> a token set


@dataclass(frozen=True)
class ConnectionType:
    key: str
    label: Any  # str or a lazy translation
    factory: ConnectorFactory
    status_key: statuses.StatusKey = statuses.normalize_status
    endpoint_path: str | None = None
    storefront_shipped_status: bool = False
    default_mapping: Mapping[str, str] = field(default_factory=dict)
    road: str = "xml"
    endpoint_path_editable: bool = True
    realtime: RealTime | None = None
    oauth: OAuth | None = None

    @property
    def platform(self) -> str:
        """The platform this type reaches (`connection_key`'s inverse): `americommerce_rest` -> americommerce."""
        suffix = f"_{self.road}"
        return self.key[: -len(suffix)] if self.road != "xml" and self.key.endswith(suffix) else self.key

    @property
    def case_sensitive(self) -> bool:
        """Whether this type's stores match status names with their case (`Shipped` is not `shipped`)."""
        return statuses.is_case_sensitive(self.status_key)

    def endpoint_url(self, url: str, path: str = "") -> str:
        """The store's XML endpoint: its URL joined to the path (this type's default when none is given),
        or the URL exactly as given when the type has no path convention."""
        path = path or self.endpoint_path
        if not path:
            return url
        return url.rstrip("/") + "/" + path.lstrip("/")


class UnknownConnectionType(LookupError):
    pass


_REGISTRY: dict[str, ConnectionType] = {}


def register(key: str, *, label: Any, **conventions: Any) -> Callable[[ConnectorFactory], ConnectorFactory]:
    """Decorator: register `factory(store, **options) -> StoreConnector` as connection type `key`."""

    def decorate(factory: ConnectorFactory) -> ConnectorFactory:
        _REGISTRY[key] = ConnectionType(key=key, label=label, factory=factory, **conventions)
        return factory

    return decorate


def unregister(key: str) -> None:
    _REGISTRY.pop(key, None)


def connection_types() -> dict[str, ConnectionType]:
    return dict(_REGISTRY)


def connection_type(key: str) -> ConnectionType:
    try:
        return _REGISTRY[key]
    except KeyError:
        raise UnknownConnectionType(f"No connector is registered for the connection type {key!r}.") from None


def connection_key(platform: str, road: str | None = None) -> str:
    """The connection type key of a platform reached by a road: the XML road is the platform's own key
    (`americommerce`, `custom_store`), any other road is suffixed (`americommerce_rest`)."""
    if not road or road == "xml":
        return platform
    return f"{platform}_{road}"


# A store that names no connection type (an object with only endpoint_url, username and get_password)
# is what every store was before the registry: AmeriCommerce's ShipStation add-on.
DEFAULT_CONNECTION_TYPE = "americommerce"


def connection_type_of(store: Any) -> ConnectionType:
    """The connection type of a `stores.models.Store` (its `connection_type`, else its `platform`)."""
    key = getattr(store, "connection_type", None) or getattr(store, "platform", None) or DEFAULT_CONNECTION_TYPE
    return connection_type(key)


def connector_for_store(store: Any, **options: Any) -> StoreConnector:
    """The connector for a store, built by its connection type's factory (options go to the transport)."""
    return connection_type_of(store).factory(store, **options)


def client_for_store(store: Any, **options: Any):
    """The connector for a `stores.models.Store` (anything with endpoint_url, username, get_password()),
    chosen by its connection type (`connector_for_store`)."""
    return connector_for_store(store, **options)


def platform_types(platform: str) -> list[ConnectionType]:
    """The connection types of a platform (one per road)."""
    return [t for t in _REGISTRY.values() if t.platform == platform]


def realtime_of(store: Any) -> RealTime | None:
    """The webhooks of the store's platform, whatever road the store is on now (one that just left the road
    with webhooks still has them to remove), or None when its platform has none."""
    platform = getattr(store, "platform", None) or connection_type_of(store).platform
    return next((t.realtime for t in platform_types(platform) if t.realtime is not None), None)


def realtime_receivers() -> dict[str, RealTime]:
    """{receiver segment: RealTime} of every platform with webhooks (the hooks app's URLs)."""
    return {t.realtime.receiver: t.realtime for t in _REGISTRY.values() if t.realtime is not None}


def oauth_of(platform: str) -> OAuth | None:
    """The OAuth app flow of a platform, or None when it has none."""
    return next((t.oauth for t in platform_types(platform) if t.oauth is not None), None)


def oauth_platforms(*, configured: bool = True) -> list[str]:
    """The platforms with an OAuth app flow (`configured`: only those this deployment has an app for)."""
    found = {t.platform: t.oauth for t in _REGISTRY.values() if t.oauth is not None}
    return [p for p, o in found.items() if not configured or o.configured()]
