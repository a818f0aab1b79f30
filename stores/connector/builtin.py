"""The built-in connection types: two speak ShipStation Custom Store v1 over XML (`CustomStoreConnector`), one
AmeriCommerce's REST API (`rest.RestConnector`).

    americommerce  AmeriCommerce's ShipStation add-on: its XML page at a path under the store URL
                   (default `/store/shipstation.aspx`, not published by AmeriCommerce), statuses matched
                   without regard to case (AmeriCommerce's connector), each storefront applying its own
                   shipped status, the mapping pre-filled with AmeriCommerce's default statuses.
    custom_store   any cart that serves Custom Store v1: the endpoint URL exactly as the merchant gives
                   it, statuses matched case-sensitively (ShipStation's generic Custom Store documents
                   them so), no storefront shipped-status convention, the mapping starts empty.
    americommerce_rest
                   AmeriCommerce's documented REST API at the store URL + /api/v1, authenticated by an
                   access token from the admin console or OAuth app tokens; AmeriCommerce's conventions.
                   Its abilities: real time (its webhooks, `rest.hooks`), declared here, and the OAuth
                   app flow, declared by `stores.oauth`; nothing else names them.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from stores import statuses

from .client import StoreClient
from .protocol import OperationNotSupported
from .registry import RealTime, register
from .rest import hooks as rest_hooks
from .types import ExportOrder, StoreDescription, StoreStatus, StoreStorefront

DEFAULT_ENDPOINT_PATH = "/store/shipstation.aspx"
REST_API_PATH = "/api/v1"


class CustomStoreConnector(StoreClient):
    """`StoreClient` (export pages, ship notify, connection test; unchanged) as a `StoreConnector`.

    Custom Store v1 has no request for one order and none listing statuses or storefronts, so:
    `fetch_order` raises OperationNotSupported, and `describe()` answers with what Outbound already knows
    (`known()`, given by the factory: the status names of the store's mapping lists and the storefronts
    recorded for it), `listed=False`.
    """

    supports_fetch_order = False

    def __init__(self, *args: Any, known=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._known = known

    def fetch_order(self, order_id: str) -> ExportOrder | None:
        raise OperationNotSupported(
            "The ShipStation Custom Store protocol cannot fetch one order; import a window of changes instead."
        )

    def describe(self) -> StoreDescription:
        return self._known() if self._known is not None else StoreDescription()


def _known_from_store(store: Any, shipped_status: bool):
    """What Outbound knows of a saved store's statuses and storefronts (read only when asked)."""

    def known() -> StoreDescription:
        if getattr(store, "pk", None) is None:
            return StoreDescription()
        names: list[str] = []
        mapping = getattr(store, "status_mapping", None)
        if mapping is not None:
            for text in mapping.lists().values():
                names.extend(part.strip() for part in text.split(",") if part.strip())
        fronts = [
            StoreStorefront(name=f.name, id=str(f.pk), shipped_status=f.shipped_status if shipped_status else "")
            for f in store.storefronts.all()
        ]
        return StoreDescription(statuses=[StoreStatus(name=n) for n in dict.fromkeys(names)], storefronts=fronts)

    return known


def _xml_connector(store: Any, options: dict[str, Any], *, shipped_status: bool) -> CustomStoreConnector:
    return CustomStoreConnector(
        store.endpoint_url,
        store.username,
        store.get_password(),
        known=_known_from_store(store, shipped_status),
        **options,
    )


@register(
    "americommerce",
    label=_("AmeriCommerce"),
    status_key=statuses.normalize_status,
    endpoint_path=DEFAULT_ENDPOINT_PATH,
    storefront_shipped_status=True,
    default_mapping=statuses.DEFAULT_MAPPING,
)
def americommerce_connector(store: Any, **options: Any) -> CustomStoreConnector:
    return _xml_connector(store, options, shipped_status=True)


@register(
    "custom_store",
    label=_("Custom Store (any cart)"),
    status_key=statuses.exact_status,
    endpoint_path=None,
    storefront_shipped_status=False,
    default_mapping={code: "" for code, _label in statuses.OUTBOUND_STATUSES},
)
def custom_store_connector(store: Any, **options: Any) -> CustomStoreConnector:
    return _xml_connector(store, options, shipped_status=False)


def americommerce_rest_connector(store: Any, **options: Any):
    """The REST road's connector (`refresh=False`: an OAuth store's saved token, never refreshed)."""
    from .rest import connector_for_rest_store

    return connector_for_rest_store(store, **options)


def _late(module: Any, name: str):
    """`module.name`, looked up at each call (so a test may replace one of the module's functions)."""

    def call(*args: Any, **kwargs: Any):
        return getattr(module, name)(*args, **kwargs)

    call.__name__ = name
    return call


AMERICOMMERCE_REALTIME = RealTime(
    receiver="americommerce",
    events=rest_hooks.ORDER_EVENTS,
    connector=americommerce_rest_connector,
    list_subscriptions=_late(rest_hooks, "list_subscriptions"),
    storefront_ids=_late(rest_hooks, "storefront_ids"),
    subscribe=_late(rest_hooks, "subscribe"),
    unsubscribe=_late(rest_hooks, "unsubscribe"),
    event_order_id=_late(rest_hooks, "event_order_id"),
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
    realtime=AMERICOMMERCE_REALTIME,  # its OAuth app flow is declared by stores.oauth (registry.declare)
)(americommerce_rest_connector)
