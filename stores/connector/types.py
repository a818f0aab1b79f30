"""Plain dataclasses for what a store sends (export pages) and what Outbound sends back (ship notices).

The import and shipment services only ever see these; XML stays inside `xmlparse`. Names are the
protocol's elements in snake_case (see docs/custom-store-v1.md#export-fields and #shipnotify). Money and
weights are `Decimal`, dates are aware UTC datetimes, free text is `str` ("" when the element is
absent or empty).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

WeightUnits = Literal["Pounds", "Ounces", "Grams", ""]


@dataclass(slots=True, frozen=True)
class Address:
    name: str = ""
    company: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    phone: str = ""
    email: str = ""


@dataclass(slots=True, frozen=True)
class Customer:
    customer_code: str
    bill_to: Address
    # None when the export had no <ShipTo> element at all.
    ship_to: Address | None


@dataclass(slots=True, frozen=True)
class Dimensions:
    units: str = ""
    length: Decimal | None = None
    width: Decimal | None = None
    height: Decimal | None = None


@dataclass(slots=True, frozen=True)
class ItemOption:
    name: str
    value: str
    # Extra weight per unit, in the item's weight_units.
    weight: Decimal | None = None


@dataclass(slots=True, frozen=True)
class ExportItem:
    line_item_id: str
    sku: str
    name: str
    image_url: str
    weight: Decimal | None
    weight_units: WeightUnits
    quantity: int
    unit_price: Decimal
    upc: str = ""
    # Bin/warehouse location; AmeriCommerce fills it from the ShipStationWarehouseLocation custom field.
    location: str = ""
    # Coupons and discounts: negative unit_price, often no SKU.
    adjustment: bool = False
    options: list[ItemOption] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)
    # The product's own weight per unit, in weight_units, when the store gives it apart from the line's (the
    # REST road, whose line weight includes the chosen options': docs/americommerce-rest.md#field-map).
    product_weight: Decimal | None = None


@dataclass(slots=True, frozen=True)
class ExportOrder:
    # Falls back to order_number when the store sends no OrderID (Magento does that;
    # docs/custom-store-v1.md#export-fields).
    order_id: str
    order_number: str
    order_date: dt.datetime
    order_status: str
    last_modified: dt.datetime
    shipping_method: str
    payment_method: str
    currency_code: str
    order_total: Decimal
    tax_amount: Decimal | None
    shipping_amount: Decimal | None
    customer_notes: str
    internal_notes: str
    gift: bool
    gift_message: str
    custom_field1: str
    custom_field2: str
    custom_field3: str
    requested_warehouse: str
    source: str
    dimensions: Dimensions | None
    customer: Customer
    items: list[ExportItem]
    # Text of elements the protocol does not define (StoreCode, CostOfGoods, ...), by element name.
    extra: dict[str, str] = field(default_factory=dict)
    # SHA-1 of the order's bytes as the store sent them ("" when they could not be told apart), so an
    # importer can recognise an unchanged order without converting it.
    raw_digest: str = field(default="", compare=False)
    # Why the order cannot be imported as sent (a value beyond what Outbound can hold, naming the field);
    # "" for an importable order. A rejected order carries its identity (ids, status, dates) only.
    rejected: str = ""

    @property
    def has_ship_to(self) -> bool:
        # A ShipTo without Address1 is as good as none: nothing can be shipped to it.
        ship_to = self.customer.ship_to
        return ship_to is not None and bool(ship_to.address1.strip())


@dataclass(slots=True, frozen=True)
class ExportLimits:
    """The largest values the importer can store, handed to the parser by whoever owns the columns (the
    orders app reads them off its models). Text beyond a `*_length` here cannot be cut without becoming
    wrong (ids, codes, phone, e-mail): the order is rejected. Numbers are bounded in absolute value.
    Free text the importer may safely shorten (names, notes, SKUs) is not listed: it is truncated."""

    order_id_length: int
    order_number_length: int
    customer_code_length: int
    email_length: int
    phone_length: int
    line_item_id_length: int
    quantity_max: int
    money_max: Decimal  # exclusive
    weight_max: Decimal  # exclusive


@dataclass(slots=True, frozen=True)
class ExportPage:
    orders: list[ExportOrder]
    # Total page count as the store reported it on *this* page; it can change while paging.
    pages: int
    # The page number that was asked for.
    page: int = 1
    # Orders on the page that the caller's `skip` test recognised as unchanged and were not converted.
    unchanged: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.orders) + len(self.unchanged)


@dataclass(slots=True, frozen=True)
class ShipNoticeItem:
    line_item_id: str
    sku: str
    name: str
    quantity: int


@dataclass(slots=True, frozen=True)
class ShipNotice:
    order_id: str
    order_number: str
    customer_code: str = ""
    customer_notes: str = ""
    internal_notes: str = ""
    notes_to_customer: str = ""
    # Protocol meaning (docs/custom-store-v1.md#shipnotify): True = the store may e-mail the buyer itself.
    notify_customer: bool = False
    label_create_date: dt.datetime | None = None
    ship_date: dt.date | None = None
    carrier: str = ""
    service: str = ""
    tracking_number: str = ""
    # The REST road sends these too (the XML ShipNotice has no element for them).
    tracking_url: str = ""
    package_count: int | None = None
    # What the label cost, not what the buyer paid for shipping.
    shipping_cost: Decimal | None = None
    recipient: Address | None = None
    items: list[ShipNoticeItem] = field(default_factory=list)
    # The REST road's frugal write-back (docs/americommerce-rest.md#shipments): the order's storefront by
    # name as imported (None: unknown, read the order first), and whether this is the update's first try
    # (nothing can have reached the store before, so the order need not be read for an earlier copy).
    storefront: str | None = None
    first_try: bool = False


# --- what a store says about itself (StoreConnector.describe) -----------------------------------------


@dataclass(slots=True, frozen=True)
class StoreStatus:
    """One order status the store uses. `id` is the store's own key where it has one (the REST road's
    `order_statuses.id`), "" otherwise; the flags are None when the road cannot tell."""

    name: str
    id: str = ""
    is_shipped: bool | None = None
    is_cancelled: bool | None = None
    is_open: bool | None = None


@dataclass(slots=True, frozen=True)
class StoreStorefront:
    """One storefront of the store (a site can host several, each with its own shipped status): the REST road's
    `stores` rows; the XML road only knows the storefronts the merchant recorded.
    `shipped_status` is "" when the platform applies none."""

    name: str
    id: str = ""
    domain: str = ""
    shipped_status: str = ""


@dataclass(slots=True, frozen=True)
class StoreDescription:
    """What a store's statuses and storefronts are, as far as its connector knows. `listed` says whether
    the store itself listed them (a road with an API for it) or they are only what Outbound already knows
    (the XML road: the status mapping's names and the storefronts recorded for the store)."""

    statuses: list[StoreStatus] = field(default_factory=list)
    storefronts: list[StoreStorefront] = field(default_factory=list)
    listed: bool = False


# --- what a connection test and a ship notice come back with ------------------------------------------


class ConnectionOutcome(enum.Enum):
    OK = "ok"
    UNREACHABLE = "unreachable"
    NOT_AN_ENDPOINT = "not_an_endpoint"
    BAD_CREDENTIALS = "bad_credentials"
    NOT_ADMIN = "not_admin"
    # The REST road: the access token works but lacks a scope Outbound needs (ConnectionResult.missing_scope).
    MISSING_SCOPE = "missing_scope"


@dataclass(frozen=True, slots=True)
class ConnectionResult:
    outcome: ConnectionOutcome
    message: str
    orders_found: int | None = None  # OK only: orders changed in the test window
    missing_scope: str = ""  # MISSING_SCOPE only: the scope the token lacks (e.g. "read_orders")

    @property
    def ok(self) -> bool:
        return self.outcome is ConnectionOutcome.OK


@dataclass(frozen=True, slots=True)
class ShipNotifyResult:
    status_code: int
    body_excerpt: str
    # The order's last change at the store once the notice was taken, as the store answered it (the REST
    # road: the order's updated_at): the store's webhooks for changes up to then echo our own write.
    order_updated_at: dt.datetime | None = None
