"""AmeriCommerce REST JSON -> the connector's dataclasses (types.py). Nothing outside this package sees JSON.

Where each field of the XML export (docs/custom-store-v1.md#export-fields) comes from on this road
(docs/americommerce-rest.md#field-map):

    order_id / order_number   orders.id / orders.order_number (the id when empty)
    order_date / last_modified orders.ordered_at / orders.updated_at (precise, with their fractions)
    order_status              the name of orders.order_status_id in /order_statuses
    shipping_method           orders.selected_shipping_method
    payment_method            the first payment's payment_method_name (expand=payments)
    order_total / tax / ship  orders.grand_total / tax_total / shipping_total
    customer_notes            orders.special_instructions
    internal_notes            orders.admin_comments
    gift / gift_message       orders.is_gift / gift_message
    custom_field1 / 3         orders.coupon_code / campaign_code
    custom_field2             the order custom field "PO Number" (expand=custom_fields)
    requested_warehouse       the order custom field "Requested Warehouse"
    source                    the name of orders.store_id in /stores (the storefront)
    currency_code             "" (the REST model has no currency on an order or a store)
    customer_code and e-mail  the customer's email (/customers; its id when it has none)
    bill_to / ship_to         /order_addresses of order_billing_address_id / order_shipping_address_id
                              (no shipping address id: no ship-to, like an export without <ShipTo>)
    items                     expand=items: id, item_number, item_name, price, quantity, weight and
                              weight_unit, is_discount_item (adjustment lines), variants ("Name: Value")
                              as options; from the product (/products, expand=custom_fields,pictures):
                              location = custom field ShipStationWarehouseLocation, upc = gtin, image =
                              the primary picture; e-products (e_product_type) and does-not-ship items
                              (is_non_shipping_item) as the extra EProductType / IsNonShippingItem the
                              importer reads on the XML road.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from stores.connector.errors import StoreDocumentError
from stores.connector.limits import OverLimit, check_limits  # the same limits on both roads
from stores.connector.types import Address, Customer, ExportItem, ExportLimits, ExportOrder, ItemOption, WeightUnits

WAREHOUSE_LOCATION_FIELD = "ShipStationWarehouseLocation"
PO_FIELD = "PO Number"
WAREHOUSE_FIELD = "Requested Warehouse"
NOT_AN_EPRODUCT = {"", "notaneproduct", "none", "0"}
_UNITS: dict[str, tuple[WeightUnits, Decimal]] = {
    "lbs": ("Pounds", Decimal(1)),
    "lb": ("Pounds", Decimal(1)),
    "pounds": ("Pounds", Decimal(1)),
    "oz": ("Ounces", Decimal(1)),
    "ounces": ("Ounces", Decimal(1)),
    "grams": ("Grams", Decimal(1)),
    "g": ("Grams", Decimal(1)),
    "gram": ("Grams", Decimal(1)),
    "kg": ("Grams", Decimal(1000)),
    "kgs": ("Grams", Decimal(1000)),
    "kilograms": ("Grams", Decimal(1000)),
}


def parse_datetime(value: Any, where: str) -> dt.datetime:
    if not isinstance(value, str) or not value.strip():
        raise StoreDocumentError(f"{where}: no date where one is required.")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise StoreDocumentError(f"{where}: '{value[:40]}' is not a date Outbound understands.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)  # datetimes.md: UTC unless an offset is given
    return parsed.astimezone(dt.UTC)


def format_datetime(value: dt.datetime) -> str:
    """ISO 8601 in UTC with milliseconds (`2026-11-30T22:40:21.123Z`): no rounding to minutes on this road."""
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _text(value: Any) -> str:
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _decimal(value: Any, where: str, name: str) -> Decimal | None:
    kind = type(value)
    if kind is Decimal:  # the connector reads JSON numbers as decimals
        if not value.is_finite():
            raise StoreDocumentError(f"{where}: {name} is not a finite number.")
        return value
    if kind is int:
        return Decimal(value)
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise StoreDocumentError(f"{where}: {name} '{_text(value)[:30]}' is not a number.") from None
    if not number.is_finite():
        raise StoreDocumentError(f"{where}: {name} is not a finite number.")
    return number


def _int(value: Any, where: str, name: str) -> int:
    number = _decimal(value, where, name)
    if number is None or number != number.to_integral_value():
        raise StoreDocumentError(f"{where}: {name} '{_text(value)[:30]}' is not a whole number.")
    return int(number)


def _custom(fields: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for field in fields or []:
        if isinstance(field, dict) and field.get("name"):
            out.setdefault(str(field["name"]), _text(field.get("value")))
    return out


def _web_url(text: str) -> str:
    return text if text.lower().startswith(("https://", "http://")) else ""


def address(row: dict[str, Any] | None, email: str = "") -> Address:
    if not row:
        return Address(email=email)
    name = " ".join(p for p in (_text(row.get("first_name")), _text(row.get("last_name"))) if p)
    return Address(
        name=name,
        company=_text(row.get("company")),
        address1=_text(row.get("address_line_1")),
        address2=_text(row.get("address_line_2")),
        city=_text(row.get("city")),
        state=_text(row.get("state_code")) or _text(row.get("state")),
        postal_code=_text(row.get("postal_code")),
        country=(_text(row.get("country_code")) or _text(row.get("country"))).upper(),
        phone=_text(row.get("phone")),
        email=email,
    )


def product_facts(product: dict[str, Any] | None) -> dict[str, Any]:
    """What an item takes from its product: location, UPC, image, e-product type, does-not-ship."""
    if not product:
        return {
            "location": "",
            "upc": "",
            "image_url": "",
            "e_product_type": "",
            "non_shipping": False,
            "weight": None,
        }
    pictures = [p for p in product.get("pictures") or [] if isinstance(p, dict) and not p.get("is_hidden")]
    pictures.sort(key=lambda p: (not p.get("is_primary"), p.get("sort_order") or 0))
    return {
        "location": _custom(product.get("custom_fields")).get(WAREHOUSE_LOCATION_FIELD, ""),
        "upc": _text(product.get("gtin")),
        "image_url": _web_url(_text(pictures[0].get("image_file"))) if pictures else "",
        "e_product_type": _text(product.get("e_product_type")),
        "non_shipping": bool(product.get("is_non_shipping_item")),
        "weight": _product_weight(product),
    }


def _product_weight(product: dict[str, Any]) -> tuple[WeightUnits, Decimal] | None:
    """The product's weight per unit in ShipStation's units, None when it gives none Outbound can read
    (the line's weight then stands for the product's, as before)."""
    raw_units = _text(product.get("weight_unit")).lower().rstrip(".")
    weight = product.get("weight")
    if raw_units not in _UNITS or type(weight) not in (int, Decimal) or isinstance(weight, bool):
        return None
    units, factor = _UNITS[raw_units]
    try:
        return (units, weight * factor) if Decimal(weight).is_finite() else None
    except ArithmeticError:
        return None


def item(row: dict[str, Any], facts: dict[str, Any], where: str) -> ExportItem:
    """One order item; `facts`: its product's (product_facts)."""
    where = f"{where}, item {_text(row.get('id'))}"
    raw_units = _text(row.get("weight_unit")).lower().rstrip(".")
    units, factor = _UNITS.get(raw_units, ("Pounds", Decimal(1))) if raw_units else ("Pounds", Decimal(1))
    if raw_units and raw_units not in _UNITS:
        raise StoreDocumentError(
            f"{where}: weight unit '{raw_units[:30]}' is not one Outbound understands "
            "(pounds, ounces, grams or kilograms)."
        )
    weight = _decimal(row.get("weight"), where, "weight")
    quantity = _int(row.get("quantity"), where, "quantity")
    if quantity < 0:
        raise StoreDocumentError(f"{where}: quantity is {quantity}; it cannot be negative.")
    price = _decimal(row.get("price"), where, "price")
    options = []
    for variant in row.get("variants") or []:
        description = _text(variant.get("description") if isinstance(variant, dict) else "")
        if description:
            name, sep, value = description.partition(":")
            options.append(
                ItemOption(name=name.strip(), value=value.strip()) if sep else ItemOption(name=description, value="")
            )
    extra: dict[str, str] = {}
    if facts["e_product_type"].lower() not in NOT_AN_EPRODUCT:
        extra["EProductType"] = facts["e_product_type"]
    if row.get("is_non_shipping_item") or facts["non_shipping"]:
        extra["IsNonShippingItem"] = "true"
    return ExportItem(
        line_item_id=_text(row.get("id")),
        sku=_text(row.get("item_number")),
        name=_text(row.get("item_name")),
        image_url=facts["image_url"],
        weight=weight * factor if weight is not None else None,
        weight_units=units,
        quantity=quantity,
        unit_price=price if price is not None else Decimal(0),
        upc=facts["upc"],
        location=facts["location"],
        adjustment=bool(row.get("is_discount_item")),
        options=options,
        extra=extra,
        # The product row's weight: the line's includes the chosen options' (docs/americommerce-rest.md#field-map).
        product_weight=facts["weight"][1] if facts["weight"] and facts["weight"][0] == units else None,
    )


class Lookups:
    """What an order refers to by id, fetched per page by the connector."""

    def __init__(
        self,
        statuses: dict[int, str],
        storefronts: dict[int, str],
        addresses: dict[int, dict],
        customers: dict[int, dict],
        products: dict[int, dict],
    ) -> None:
        self.statuses, self.storefronts = statuses, storefronts
        self.addresses, self.customers, self.products = addresses, customers, products
        self._facts: dict[Any, dict[str, Any]] = {}

    def facts(self, product_id: Any) -> dict[str, Any]:
        """product_facts of a product, worked out once per Lookups (a product is on many orders)."""
        product_id = product_id if isinstance(product_id, int) else None
        found = self._facts.get(product_id)
        if found is None:
            found = self._facts[product_id] = product_facts(self.products.get(product_id))
        return found


def order(row: dict[str, Any], lookups: Lookups, digest: str = "", limits: ExportLimits | None = None) -> ExportOrder:
    where = f"Order {_text(row.get('order_number')) or _text(row.get('id'))}"
    try:
        export = _order(row, lookups, digest, where)
        if limits is not None:
            check_limits(export, limits, where)
        return export
    except ArithmeticError:
        reason = f"{where}: a number in it is too large to compute with."
    except OverLimit as exc:
        reason = str(exc)
    modified = parse_datetime(row.get("updated_at"), where)
    return ExportOrder(
        order_id=_text(row.get("id")),
        order_number=_text(row.get("order_number")) or _text(row.get("id")),
        order_date=parse_datetime(row.get("ordered_at") or row.get("updated_at"), where),
        order_status=lookups.statuses.get(row.get("order_status_id"), _text(row.get("order_status_id"))),
        last_modified=modified,
        shipping_method="",
        payment_method="",
        currency_code="",
        order_total=Decimal(0),
        tax_amount=None,
        shipping_amount=None,
        customer_notes="",
        internal_notes="",
        gift=False,
        gift_message="",
        custom_field1="",
        custom_field2="",
        custom_field3="",
        requested_warehouse="",
        source="",
        dimensions=None,
        customer=Customer("", Address(), None),
        items=[],
        raw_digest=digest,
        rejected=reason,
    )


def _order(row: dict[str, Any], lookups: Lookups, digest: str, where: str) -> ExportOrder:
    order_id = _text(row.get("id"))
    if not order_id:
        raise StoreDocumentError(f"{where}: an order without an id.")
    status_id = row.get("order_status_id")
    status = lookups.statuses.get(status_id) if isinstance(status_id, int) else None
    if status is None:
        raise StoreDocumentError(
            f"{where}: its order_status_id {_text(status_id)!r} is not one of the store's order statuses."
        )
    customer_row = lookups.customers.get(row.get("customer_id")) or {}
    email = _text(customer_row.get("email"))
    bill = lookups.addresses.get(row.get("order_billing_address_id"))
    ship_id = row.get("order_shipping_address_id")
    ship = lookups.addresses.get(ship_id) if ship_id else None
    # The phone is the order's own (its addresses'), as on the XML road: the customer record's phone is
    # the buyer's latest, not what this order was placed with.
    bill_to = address(bill, email)
    custom = _custom(row.get("custom_fields"))
    payments = [p for p in row.get("payments") or [] if isinstance(p, dict)]
    total = _decimal(row.get("grand_total"), where, "grand_total")
    return ExportOrder(
        order_id=order_id,
        order_number=_text(row.get("order_number")) or order_id,
        order_date=parse_datetime(row.get("ordered_at") or row.get("created_at"), where),
        order_status=status,
        last_modified=parse_datetime(row.get("updated_at"), where),
        shipping_method=_text(row.get("selected_shipping_method")),
        payment_method=_text(payments[0].get("payment_method_name")) if payments else "",
        currency_code="",
        order_total=total if total is not None else Decimal(0),
        tax_amount=_decimal(row.get("tax_total"), where, "tax_total"),
        shipping_amount=_decimal(row.get("shipping_total"), where, "shipping_total"),
        customer_notes=_text(row.get("special_instructions")),
        internal_notes=_text(row.get("admin_comments")),
        gift=bool(row.get("is_gift")),
        gift_message=_text(row.get("gift_message")),
        custom_field1=_text(row.get("coupon_code")),
        custom_field2=custom.get(PO_FIELD, ""),
        custom_field3=_text(row.get("campaign_code")),
        requested_warehouse=custom.get(WAREHOUSE_FIELD, ""),
        source=lookups.storefronts.get(row.get("store_id"), ""),
        dimensions=None,
        customer=Customer(
            customer_code=email or _text(row.get("customer_id")),
            bill_to=bill_to,
            ship_to=address(ship) if ship is not None else None,
        ),
        items=[
            item(i, lookups.facts(i.get("product_id")), where) for i in row.get("items") or [] if isinstance(i, dict)
        ],
        raw_digest=digest,
    )
