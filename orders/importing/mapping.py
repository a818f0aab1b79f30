"""What an export order becomes in our tables: pure functions, export → rows, no queries.

Everything here reads only the connector's dataclasses (and the model columns' limits); page.py adds what
comes from the database (ids, the status machine's decision, products set in Outbound) and writes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from stores.connector.types import ExportItem, ExportOrder

from ..limits import export_limits
from ..models import ProductKind, SkippedOrder, SkipReason

SKIP_NO_SHIP_TO = SkipReason.NO_SHIP_TO.value
SKIP_UNMAPPED = SkipReason.UNMAPPED_STATUS.value
SKIP_INVALID = SkipReason.INVALID_VALUE.value
SKIP_REASONS = dict(SkipReason.choices)

IMPORT_FORMAT = 2  # bump when import_page writes orders differently, so every order is rewritten once
ORDER_IMPORT_FIELDS = (
    "tenant",
    "storefront",
    "number",
    "store_status",
    "status",
    "order_date",
    "modified_at",
    "customer_code",
    "email",
    "phone",
    "bill_to",
    "ship_to",
    "ship_to_name",
    "shipping_method",
    "payment_method",
    "currency",
    "order_total",
    "tax_amount",
    "shipping_amount",
    "discount_total",
    "is_gift",
    "gift_message",
    "customer_notes",
    "internal_notes",
    "custom_field_1",
    "custom_field_2",
    "custom_field_3",
    "requested_warehouse",
    "source",
    "total_weight",
    "weight_unit",
    "total_weight_from_lines",
    "content_hash",
    "visible_hash",
    "updated_at",
)
LINE_FIELDS = (
    "position",
    "line_item_id",
    "sku",
    "name",
    "image_url",
    "unit_weight",
    "weight_unit",
    "quantity",
    "unit_price",
    "upc",
    "warehouse_location",
    "options",
    "is_adjustment",
    "is_shippable",
    "product_kind",
)
PRODUCT_FIELDS = ("name", "weight", "weight_unit", "image_url", "warehouse_location", "kind", "updated_at")

# Weight conversions to grams, for totals in mixed units.
_GRAMS = {"Pounds": Decimal("453.59237"), "Ounces": Decimal("28.349523125"), "Grams": Decimal(1)}


class ProductValues(NamedTuple):
    """A product as a page's lines describe it."""

    name: str
    weight: Decimal | None
    weight_unit: str
    image_url: str
    location: str
    kind: str


def product_kind(item: ExportItem) -> str:
    """Electronic and does-not-ship items: the add-on marks them with extra item elements
    (docs/custom-store-v1.md#export-fields)."""
    extra = {k.lower(): v.strip().lower() for k, v in item.extra.items()}
    if extra.get("isnonshippingitem") in ("true", "1", "yes") or extra.get("nonshipping") in ("true", "1", "yes"):
        return ProductKind.NO_SHIP
    etype = extra.get("eproducttype") or extra.get("producttype") or ""
    if etype and etype not in ("notaneproduct", "physical", "none", ""):
        return ProductKind.ELECTRONIC
    return ProductKind.PHYSICAL


def line_key(item: ExportItem, position: int) -> str:
    return item.line_item_id or f"{position}:{item.sku}:{item.name}"[:120]


def order_hash(order: ExportOrder) -> str:
    # repr of frozen dataclasses is deterministic: same export → same hash → skipped cheaply.
    return hashlib.sha1(repr(order).encode(), usedforsecurity=False).hexdigest()


def skipped_key(order_id: str) -> str:
    """The SkippedOrder key of an order id: the id itself, or for an id too long to hold, its start and a
    digest of the whole (two long ids sharing a start stay two rows)."""
    limit = SkippedOrder._meta.get_field("external_id").max_length
    if len(order_id) <= limit:
        return order_id
    return order_id[: limit - 13] + "~" + hashlib.sha1(order_id.encode(), usedforsecurity=False).hexdigest()[:12]


def latest_versions(exports: Iterable[ExportOrder]) -> dict[str, ExportOrder]:
    """{order id: export}: the same order can appear twice in a page walk (overlap, re-walks); keep its
    latest version."""
    latest: dict[str, ExportOrder] = {}
    for export in exports:
        prev = latest.get(export.order_id)
        if prev is None or export.last_modified >= prev.last_modified:
            latest[export.order_id] = export
    return latest


def _address(address) -> dict:
    if address is None:
        return {}
    return {k: getattr(address, k) for k in address.__slots__ if getattr(address, k)}


def total_weight(order: ExportOrder, unit: str) -> tuple[Decimal | None, str, bool]:
    """(total weight, its unit, whether computed from the lines): the store's own total when it sends one."""
    sent = order.extra.get("TotalWeight") or order.extra.get("Weight")
    if sent:
        try:
            return Decimal(sent), order.extra.get("WeightUnits", unit) or unit, False
        except ArithmeticError:
            pass
    grams = Decimal(0)
    any_weight = False
    for item in order.items:
        if item.adjustment or item.weight is None or product_kind(item) != ProductKind.PHYSICAL:
            continue
        per_unit = item.weight + sum((o.weight or 0) for o in item.options)
        grams += per_unit * item.quantity * _GRAMS.get(item.weight_units or unit, Decimal(1))
        any_weight = True
    if not any_weight:
        return None, "", True
    total = grams / _GRAMS[unit]
    if abs(total) >= export_limits().weight_max:
        return None, "", True  # each line's weight fits; a sum beyond the column is left unknown
    return total.quantize(Decimal("0.001")), unit, True


def order_fields(export: ExportOrder, unit: str, currency: str = "") -> dict:
    """The order columns that come from the export alone (`unit`: the store's default weight unit); the
    caller adds its keys, status, digests and times."""
    customer = export.customer
    ship_to = customer.ship_to
    weight, weight_unit, from_lines = total_weight(export, unit)
    discount = -sum((i.unit_price * i.quantity for i in export.items if i.adjustment), Decimal(0))
    return {
        "number": export.order_number,
        "store_status": export.order_status[:100],
        "order_date": export.order_date,
        "modified_at": export.last_modified,
        "customer_code": customer.customer_code,
        "email": customer.bill_to.email,
        "phone": customer.bill_to.phone or (ship_to.phone if ship_to else ""),
        "bill_to": _address(customer.bill_to),
        "ship_to": _address(ship_to),
        "ship_to_name": (ship_to.name if ship_to else "")[:100],
        "shipping_method": export.shipping_method[:1000],
        "payment_method": export.payment_method[:50],
        "currency": (export.currency_code or currency)[:3],
        "order_total": export.order_total,
        "tax_amount": export.tax_amount or 0,
        "shipping_amount": export.shipping_amount or 0,
        "discount_total": discount,
        "is_gift": export.gift,
        "gift_message": export.gift_message,
        "customer_notes": export.customer_notes,
        "internal_notes": export.internal_notes,
        "custom_field_1": export.custom_field1[:100],
        "custom_field_2": export.custom_field2[:100],
        "custom_field_3": export.custom_field3[:100],
        "requested_warehouse": export.requested_warehouse[:100],
        "source": export.source[:50],
        "total_weight": weight,
        "weight_unit": weight_unit,
        "total_weight_from_lines": from_lines,
    }


def line_rows(export: ExportOrder, locations: dict[str, str]) -> list[dict]:
    """One order's lines as written (without their order id); `locations` {sku: the product's location}
    fills the lines the store sent without one."""
    rows = []
    for position, item in enumerate(export.items):
        kind = product_kind(item)
        rows.append(
            {
                "line_key": line_key(item, position),
                "position": position,
                "line_item_id": item.line_item_id[:50],
                "sku": item.sku[:100],
                "name": item.name[:200],
                "image_url": item.image_url[:500],
                "unit_weight": item.weight,
                "weight_unit": item.weight_units,
                "quantity": item.quantity,
                "unit_price": item.unit_price,
                "upc": item.upc[:20],
                "warehouse_location": (item.location or locations.get(item.sku[:100], ""))[:100],
                "options": [
                    {"name": o.name, "value": o.value, "weight": str(o.weight) if o.weight is not None else None}
                    for o in item.options
                ],
                "is_adjustment": item.adjustment,
                "is_shippable": not item.adjustment and kind == ProductKind.PHYSICAL,
                "product_kind": kind,
            }
        )
    return rows


def visible_hash(export: ExportOrder, order: dict, lines: list[dict]) -> str:
    """A digest of what a user sees of one order from the store, its status aside (the caller compares
    that with the row's own, which Outbound moves too).

    Everything written comes from the order's bytes, by the code of IMPORT_FORMAT, except what the
    settings and Outbound's products add: the total weight (the default unit) and the locations of the
    lines the store sent without one. Digesting those few values, rather than every value written, keeps
    the cost per order at one short hash.
    """
    filled = [line["warehouse_location"] for item, line in zip(export.items, lines, strict=True) if not item.location]
    raw = export.raw_digest or order_hash(export)
    seen = f"{IMPORT_FORMAT}|{raw}|{order['total_weight']}|{order['weight_unit']}|{filled}"
    return hashlib.sha1(seen.encode(), usedforsecurity=False).hexdigest()


def product_values(exports: Iterable[ExportOrder]) -> dict[str, ProductValues]:
    """{sku: the product as these orders' lines describe it}: the last line of a SKU wins, except that an
    empty location never wipes another line's."""
    found: dict[str, ProductValues] = {}
    for export in exports:
        for item in export.items:
            if item.adjustment or not item.sku:
                continue
            sku = item.sku[:100]
            values = ProductValues(
                item.name[:200],
                item.product_weight if item.product_weight is not None else item.weight,
                item.weight_units,
                item.image_url[:500],
                item.location[:100],
                product_kind(item),
            )
            if not values.location and sku in found and found[sku].location:
                values = values._replace(location=found[sku].location)
            found[sku] = values
    return found
