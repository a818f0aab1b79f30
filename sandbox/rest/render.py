"""How the sandbox's orders, addresses, customers, products, statuses and storefronts look on the REST face.

The same `Order` objects as the XML face, in the field names of AmeriCommerce's REST API (acapi.yaml's
schemas; docs/americommerce-rest.md). Money is a JSON number with two decimals, datetimes ISO 8601 UTC.

Where the XML export has a field the REST model has no place for, the sandbox chose (and the connector
reads it back from there):
    CustomField1 (coupon)     orders.coupon_code
    CustomField2 (PO number)  the order custom field "PO Number"
    CustomField3 (campaign)   orders.campaign_code
    RequestedWarehouse        the order custom field "Requested Warehouse"
    InternalNotes             orders.admin_comments
    CustomerNotes             orders.special_instructions
    PaymentMethod             the first payment's payment_method_name
    CustomerCode / e-mail     the customer's email (GET /customers)
    item Weight               order_items.weight: the unit weight, the chosen options' extra weight included
                              (variants carry no weight on this road)
    item Location, UPC, image the product: custom field ShipStationWarehouseLocation, gtin, primary picture
    CurrencyCode              no field on this road (the connector leaves it empty)
"""

from __future__ import annotations

import time
import zlib
from typing import Any

from ..catalog import STATUSES, WAREHOUSE_LOCATION_FIELD, Product, Storefront
from ..orders import Address, Item, Order

PO_FIELD = "PO Number"
WAREHOUSE_FIELD = "Requested Warehouse"
# ShipStation weight units (the sandbox's items) -> AmeriCommerce's weight_unit names.
REST_WEIGHT_UNITS = {"Pounds": "Lbs", "Ounces": "Oz", "Grams": "Grams"}
STATUS_IDS = {s.name: s.id for s in STATUSES}
STATUS_NAMES_BY_ID = {s.id: s.name for s in STATUSES}


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def amount(cents: int) -> float:
    return round(cents / 100, 2)


def customer_id_for(email: str) -> int:
    """A customer's id: stable for an e-mail address (the sandbox has no customer table)."""
    return zlib.crc32(email.lower().encode()) % 9_000_000 + 1000


def bill_address_id(order: Order) -> int:
    return order.order_id * 2


def ship_address_id(order: Order) -> int | None:
    return order.order_id * 2 + 1 if order.ship_to is not None else None


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = name.partition(" ")
    return first, last


def address_json(address_id: int, customer_id: int, a: Address, stamp: str) -> dict[str, Any]:
    first, last = _split_name(a.name)
    return {
        "id": address_id,
        "customer_id": customer_id,
        "company": a.company,
        "address_line_1": a.address1,
        "address_line_2": a.address2,
        "city": a.city,
        "state": a.state,
        "postal_code": a.postal_code,
        "country": a.country,
        "phone": a.phone,
        "alternate_phone": "",
        "fax": "",
        "comments": "",
        "updated_at": stamp,
        "created_at": stamp,
        "first_name": first,
        "last_name": last,
        "address_type": "Default",
        "state_code": a.state,
        "country_code": a.country,
    }


def order_addresses(order: Order) -> list[dict[str, Any]]:
    customer_id = customer_id_for(order.customer_code)
    stamp = iso(order.last_modified)
    rows = [address_json(bill_address_id(order), customer_id, order.bill_to, stamp)]
    if order.ship_to is not None:
        rows.append(address_json(ship_address_id(order) or 0, customer_id, order.ship_to, stamp))
    return rows


def customer_json(order: Order) -> dict[str, Any]:
    first, last = _split_name(order.bill_to.name)
    stamp = iso(order.order_date)
    return {
        "id": customer_id_for(order.customer_code),
        "customer_number": order.customer_code,
        "last_name": last,
        "first_name": first,
        "email": order.customer_code,
        "phone_number": order.bill_to.phone,
        "company": order.bill_to.company,
        "store_id": order.storefront_id,
        "created_at": stamp,
        "updated_at": stamp,
    }


def item_json(order: Order, item: Item) -> dict[str, Any]:
    stamp = iso(order.order_date)
    extra = sum(o.weight or 0 for o in item.options)
    return {
        "id": item.line_item_id,
        "order_id": order.order_id,
        "product_id": item.product_id,
        "item_number": item.sku,
        "item_name": item.name,
        "price": amount(item.unit_price_cents),
        "cost": 0,
        "quantity": item.quantity,
        "is_discount_item": item.adjustment,
        "weight": round(item.weight + extra, 2),
        "is_taxable": item.kind != "eproduct",
        "weight_unit": REST_WEIGHT_UNITS.get(item.weight_units, "Lbs"),
        "is_non_shipping_item": item.is_non_shipping_item,
        "variant_inventory_id": None,
        "parent_order_item_id": None,
        "is_quantity_bound_to_parent": False,
        "updated_at": stamp,
        "created_at": stamp,
        "height": None,
        "length": None,
        "width": None,
        "size_unit": "In",
        "item_number_full": item.sku,
        "line_item_note": "",
        "warehouse_id": 0,
        "description": "",
        "variants": [
            {
                "id": (item.line_item_id * 10 + n) % 2_000_000_000,
                "description": f"{o.name}: {o.value}",
                "variant_group_id": n + 1,
            }
            for n, o in enumerate(item.options)
        ],
        "personalizations": None,
    }


def payment_json(order: Order) -> dict[str, Any]:
    stamp = iso(order.order_date)
    return {
        "id": order.order_id,
        "customer_id": customer_id_for(order.customer_code),
        "order_id": order.order_id,
        "payment_type": "CreditCard" if order.payment_method == "Credit Card" else "Other",
        "is_approved": True,
        "is_declined": False,
        "payment_method_name": order.payment_method,
        "amount": amount(order.total_cents),
        "paid_at": stamp,
        "updated_at": stamp,
        "created_at": stamp,
        "is_void": False,
        "is_captured": True,
    }


def shipment_json(order: Order, s: dict[str, Any]) -> dict[str, Any]:
    received = s.get("ReceivedAt") or iso(order.last_modified)
    cost = s.get("ShippingCost") or ""
    try:
        cost_value = float(cost) if cost else None
    except ValueError:
        cost_value = None
    return {
        "id": s["ShipmentID"],
        "order_id": order.order_id,
        "shipped_at": s.get("ShipDate") or received,
        "tracking_numbers": s.get("TrackingNumber", ""),
        "tracking_url": s.get("TrackingUrl", ""),
        "shipping_method": s.get("Service", ""),
        "number_of_packages": s.get("Packages"),
        "provider_total_shipping_cost": cost_value,
        "email_sent": False,
        "private_comment": s.get("InternalNotes", ""),
        "shipping_comment": s.get("NotesToCustomer", ""),
        "created_at": received,
        "updated_at": received,
        "shipping_method_type": "provider",
        "shipment_name": s.get("ShipmentName") or str(s["ShipmentID"]),
        "shipping_provider_name": s.get("Carrier", ""),
    }


def custom_fields_json(order: Order) -> list[dict[str, str]]:
    fields = []
    if order.custom_field2:
        fields.append({"name": PO_FIELD, "value": order.custom_field2})
    if order.requested_warehouse:
        fields.append({"name": WAREHOUSE_FIELD, "value": order.requested_warehouse})
    return fields


EXPANSIONS = ("items", "payments", "shipments", "custom_fields")


def order_json(order: Order, expand: frozenset[str] = frozenset()) -> dict[str, Any]:
    discounts = -sum(i.unit_price_cents * i.quantity for i in order.items if i.adjustment)
    row: dict[str, Any] = {
        "id": order.order_id,
        "customer_id": customer_id_for(order.customer_code),
        "customer_type_id": 0,
        "adcode": "",
        "ordered_at": iso(order.order_date),
        "order_status_id": STATUS_IDS[order.status],
        "special_instructions": order.customer_notes,
        "subtotal": amount(sum(i.unit_price_cents * i.quantity for i in order.items if not i.adjustment)),
        "tax_total": amount(order.tax_cents),
        "shipping_total": amount(order.shipping_cents),
        "discount_total": amount(discounts),
        "grand_total": amount(order.total_cents),
        "cost_total": 0,
        "selected_shipping_method": order.shipping_method,
        "ip_address": "",
        "referrer": "",
        "order_shipping_address_id": ship_address_id(order),
        "order_billing_address_id": bill_address_id(order),
        "admin_comments": order.internal_notes,
        "source": "[none]",
        "store_id": order.storefront_id,
        "handling_total": 0,
        "is_payment_order_only": False,
        "additional_fees": 0,
        "updated_at": iso(order.last_modified),
        "created_at": iso(order.order_date),
        "is_gift": order.gift,
        "gift_message": order.gift_message,
        "public_comments": "",
        "instructions": "",
        "order_number": order.order_number,
        "coupon_code": order.custom_field1,
        "order_type": "Order",
        "campaign_code": order.custom_field3,
        "channel": "Online",
        "device": "None",
        "entered_by": order.customer_code,
        "entered_by_type": "Customer",
    }
    if "items" in expand:
        row["items"] = [item_json(order, i) for i in order.items]
    if "payments" in expand:
        row["payments"] = [payment_json(order)] if order.payment_method else []
    if "shipments" in expand:
        row["shipments"] = [shipment_json(order, s) for s in order.shipments]
    if "custom_fields" in expand:
        row["custom_fields"] = custom_fields_json(order)
    return row


def product_json(p: Product, expand: frozenset[str] = frozenset()) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": p.id,
        "item_number": p.sku,
        "item_name": p.name,
        "weight": p.weight,
        "weight_unit": p.weight_unit,
        "price": amount(p.price_cents),
        "cost": 0,
        "size_unit": "In",
        "height": "",
        "length": "",
        "width": "",
        "e_product_type": p.e_product_type,
        "is_non_shipping_item": p.is_non_shipping_item,
        "gtin": p.upc,
        "warehouse_id": 0,
        "is_hidden": 0,
        "is_discontinued": False,
    }
    if "custom_fields" in expand:
        row["custom_fields"] = (
            [{"name": WAREHOUSE_LOCATION_FIELD, "value": p.warehouse_location}] if p.warehouse_location else []
        )
    if "pictures" in expand:
        row["pictures"] = (
            [
                {
                    "id": p.id,
                    "product_id": p.id,
                    "image_file": p.image_url,
                    "is_primary": True,
                    "is_hidden": False,
                    "sort_order": 0,
                }
            ]
            if p.image_url
            else []
        )
    return row


def status_json(s: Any) -> dict[str, Any]:
    return {
        "id": s.id,
        "name": s.name,
        "is_open": s.is_open,
        "is_declined": s.is_declined,
        "is_cancelled": s.is_cancelled,
        "is_shipped": s.is_shipped,
        "color": "#A4E065",
        "is_fully_refunded": s.is_fully_refunded,
        "is_partially_refunded": False,
        "is_quote_status": False,
        "is_partially_shipped": s.is_partially_shipped,
    }


def store_json(s: Storefront) -> dict[str, Any]:
    return {
        "id": s.id,
        "name": s.name,
        "domain_name": s.domain,
        "email": f"orders@{s.domain}",
        "is_micro_store": False,
        "parent_store_id": 0,
        "all_catalog": True,
    }
