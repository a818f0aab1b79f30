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

Built-in types are registered in `builtin.py`, loaded on the first lookup. Nothing here imports Django
models.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stores import statuses

from .protocol import StoreConnector

ConnectorFactory = Callable[..., StoreConnector]


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
