"""The store connector: ShipStation Custom Store v1 over HTTP, and the registry every platform registers in.

    protocol.py   StoreConnector: the one interface the importer and the store-update handler use
    registry.py   connection types -> connector factories; connector_for_store(store) (= client_for_store);
              the built-in types are registered by StoresConfig.ready
    builtin.py    Custom Store (any cart) and CustomStoreConnector (the XML road of every platform); each
                  platform's own types, REST road and OAuth flow are in stores/platforms/<platform>/
    client.py     StoreClient: export_pages / ship_notify / test_connection
    transport.py  StoreTransport: HTTP only (timeouts, retries, back-off, size cap, raise_for_response)
    urlguard.py   which store URLs and peer addresses may be fetched at all
    xmlparse/     pure XML <-> dataclasses (defusedxml, protocol quirks): values, document, export, notice
    types.py      the dataclasses the import and shipment services see
    errors.py     StoreError and its family, with merchant-readable messages

Nothing here imports Django models; settings are read lazily.
"""

from .client import StoreClient
from .errors import (
    NotAnEndpoint,
    NotAShipStationExport,
    StoreAuthError,
    StoreDocumentError,
    StoreError,
    StorePermissionError,
    StoreRejected,
    StoreTemporaryError,
    StoreUnreachable,
    StoreURLRefused,
)
from .registry import client_for_store
from .transport import StoreTransport
from .types import (
    Address,
    ConnectionOutcome,
    ConnectionResult,
    Customer,
    Dimensions,
    ExportItem,
    ExportOrder,
    ExportPage,
    ItemOption,
    ShipNotice,
    ShipNoticeItem,
    ShipNotifyResult,
)
from .urlguard import validate_store_url
from .xmlparse import build_ship_notice, format_store_datetime, parse_export, parse_store_datetime

__all__ = [
    "Address",
    "ConnectionOutcome",
    "ConnectionResult",
    "Customer",
    "Dimensions",
    "ExportItem",
    "ExportOrder",
    "ExportPage",
    "ItemOption",
    "NotAShipStationExport",
    "NotAnEndpoint",
    "ShipNotice",
    "ShipNoticeItem",
    "ShipNotifyResult",
    "StoreAuthError",
    "StoreClient",
    "StoreDocumentError",
    "StoreError",
    "StorePermissionError",
    "StoreRejected",
    "StoreTemporaryError",
    "StoreTransport",
    "StoreURLRefused",
    "StoreUnreachable",
    "build_ship_notice",
    "client_for_store",
    "format_store_datetime",
    "parse_export",
    "parse_store_datetime",
    "validate_store_url",
]
