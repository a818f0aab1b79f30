"""The built-in connection type and the XML road's connector every Custom Store v1 platform shares.

    custom_store   any cart that serves Custom Store v1: the endpoint URL exactly as the merchant gives
                   it, statuses matched case-sensitively (ShipStation's generic Custom Store documents
                   them so), no storefront shipped-status convention, the mapping starts empty.
    xml_connector  a `CustomStoreConnector` for a store of any platform on the XML road (a platform's own
                   package registers its XML type with it, e.g. stores/platforms/<platform>/connection.py).

A platform's own types and abilities live in its package under `stores/platforms/` (loaded by
`stores.platforms.load()` from StoresConfig.ready); nothing here names one.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from stores import statuses

from .client import StoreClient
from .protocol import OperationNotSupported
from .registry import register
from .types import ExportOrder, StoreDescription, StoreStatus, StoreStorefront


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


def xml_connector(store: Any, options: dict[str, Any], *, shipped_status: bool) -> CustomStoreConnector:
    return CustomStoreConnector(
        store.endpoint_url,
        store.username,
        store.get_password(),
        known=_known_from_store(store, shipped_status),
        **options,
    )


@register(
    "custom_store",
    label=_("Custom Store (any cart)"),
    status_key=statuses.exact_status,
    endpoint_path=None,
    storefront_shipped_status=False,
    default_mapping={code: "" for code, _label in statuses.OUTBOUND_STATUSES},
)
def custom_store_connector(store: Any, **options: Any) -> CustomStoreConnector:
    return xml_connector(store, options, shipped_status=False)
