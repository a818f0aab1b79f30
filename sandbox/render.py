"""How an order leaves the store: the Custom Store v1 `<Order>` element and the truth JSON.

Both are built from the same `Order`, with the same field names, so a test can compare what a client
parsed with what the store holds. Text goes in CDATA (split around `]]>`), numbers, dates, booleans
and units go plain, dates are `MM/dd/yyyy HH:mm` in UTC.
"""

from __future__ import annotations

import time
from typing import Any

from .catalog import Storefront
from .orders import Address, Item, Order


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def xml_date(ts: int) -> str:
    return time.strftime("%m/%d/%Y %H:%M", time.gmtime(ts))


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def cdata(text: str) -> str:
    # "]]>" cannot appear inside a CDATA section: close the section between "]]" and ">".
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _t(name: str, text: str) -> str:
    return f"<{name}>{cdata(text)}</{name}>"


def _p(name: str, value: str) -> str:
    return f"<{name}>{value}</{name}>"


def _address_xml(tag: str, a: Address, with_email: bool) -> str:
    parts = [_t("Name", a.name), _t("Company", a.company)]
    if with_email:
        parts += [_t("Phone", a.phone), _t("Email", a.email)]
    parts += [
        _t("Address1", a.address1),
        _t("Address2", a.address2),
        _t("City", a.city),
        _t("State", a.state),
        _t("PostalCode", a.postal_code),
        _p("Country", a.country),
    ]
    if not with_email:
        parts.append(_t("Phone", a.phone))
    return f"<{tag}>{''.join(parts)}</{tag}>"


def _item_xml(i: Item) -> str:
    opts = "".join(
        "<Option>"
        + _t("Name", o.name)
        + _t("Value", o.value)
        + (_p("Weight", f"{o.weight:.2f}") if o.weight is not None else "")
        + "</Option>"
        for o in i.options
    )
    return (
        "<Item>"
        + _p("LineItemID", str(i.line_item_id))
        + _t("SKU", i.sku)
        + _t("Name", i.name)
        + _t("ImageUrl", i.image_url)
        + _p("Weight", f"{i.weight:.2f}")
        + _p("WeightUnits", i.weight_units)
        + _p("Quantity", str(i.quantity))
        + _p("UnitPrice", money(i.unit_price_cents))
        + _t("UPC", i.upc)
        + _t("Location", i.location)
        + _p("Adjustment", "true" if i.adjustment else "false")
        # ASSUMPTION, not in any source we hold (custom-store-v1.md lists no such elements): the
        # add-on also exports the product's e_product_type and is_non_shipping_item as extra elements
        # (stores send unknown elements and readers tolerate them, docs/custom-store-v1.md#export-fields), only on
        # items that do not ship like goods.
        + (_p("EProductType", i.e_product_type) if i.kind == "eproduct" else "")
        + (_p("IsNonShippingItem", "true") if i.is_non_shipping_item else "")
        + f"<Options>{opts}</Options>"
        + "</Item>"
    )


def order_xml(o: Order, storefront: Storefront) -> str:
    # A missing ship-to address is a missing <ShipTo> element: e-product and local-pickup orders
    # have none, and the add-on exports them anyway (ShipStation skips them on import).
    ship_to = _address_xml("ShipTo", o.ship_to, with_email=False) if o.ship_to is not None else ""
    return (
        "<Order>"
        + _p("OrderID", str(o.order_id))
        + _t("OrderNumber", o.order_number)
        + _p("OrderDate", xml_date(o.order_date))
        + _t("OrderStatus", o.status)
        + _p("LastModified", xml_date(o.last_modified))
        + _t("ShippingMethod", o.shipping_method)
        + _t("PaymentMethod", o.payment_method)
        + _p("CurrencyCode", o.currency)
        + _p("OrderTotal", money(o.total_cents))
        + _p("TaxAmount", money(o.tax_cents))
        + _p("ShippingAmount", money(o.shipping_cents))
        + _t("CustomerNotes", o.customer_notes)
        + _t("InternalNotes", o.internal_notes)
        + _p("Gift", "true" if o.gift else "false")
        + _t("GiftMessage", o.gift_message)
        + _t("CustomField1", o.custom_field1)
        + _t("CustomField2", o.custom_field2)
        + _t("CustomField3", o.custom_field3)
        + _t("RequestedWarehouse", o.requested_warehouse)
        + _t("Source", storefront.name)
        + "<Customer>"
        + _t("CustomerCode", o.customer_code)
        + _address_xml("BillTo", o.bill_to, with_email=True)
        + ship_to
        + "</Customer>"
        + "<Items>"
        + "".join(_item_xml(i) for i in o.items)
        + "</Items>"
        + "</Order>"
    )


XML_PROLOG = '<?xml version="1.0" encoding="utf-8"?>\n'


def orders_document(pages: int, fragments: list[bytes]) -> bytes:
    """The export document around `<Order>` fragments already encoded as UTF-8."""
    if not fragments:
        return (XML_PROLOG + f'<Orders pages="{pages}"/>').encode()
    return b"".join([(XML_PROLOG + f'<Orders pages="{pages}">').encode(), *fragments, b"</Orders>"])


# --- truth --------------------------------------------------------------------------------------


def _address_truth(a: Address, with_email: bool) -> dict[str, str]:
    d = {
        "Name": a.name,
        "Company": a.company,
        "Phone": a.phone,
        "Address1": a.address1,
        "Address2": a.address2,
        "City": a.city,
        "State": a.state,
        "PostalCode": a.postal_code,
        "Country": a.country,
    }
    if with_email:
        d["Email"] = a.email
    return d


def _item_truth(i: Item) -> dict[str, Any]:
    return {
        "LineItemID": str(i.line_item_id),
        "SKU": i.sku,
        "Name": i.name,
        "ImageUrl": i.image_url,
        "Weight": f"{i.weight:.2f}",
        "WeightUnits": i.weight_units,
        "Quantity": i.quantity,
        "UnitPrice": money(i.unit_price_cents),
        "UPC": i.upc,
        "Location": i.location,
        "Adjustment": i.adjustment,
        "Options": [
            {"Name": o.name, "Value": o.value, "Weight": f"{o.weight:.2f}" if o.weight is not None else None}
            for o in i.options
        ],
        "ProductID": i.product_id,
        "ProductKind": i.kind,
        "EProductType": i.e_product_type,
        "IsNonShippingItem": i.is_non_shipping_item,
    }


def order_truth(o: Order, storefront: Storefront) -> dict[str, Any]:
    return {
        "OrderID": str(o.order_id),
        "OrderNumber": o.order_number,
        "OrderDate": iso(o.order_date),
        "OrderStatus": o.status,
        "LastModified": iso(o.last_modified),
        "ShippingMethod": o.shipping_method,
        "PaymentMethod": o.payment_method,
        "CurrencyCode": o.currency,
        "OrderTotal": money(o.total_cents),
        "TaxAmount": money(o.tax_cents),
        "ShippingAmount": money(o.shipping_cents),
        "CustomerNotes": o.customer_notes,
        "InternalNotes": o.internal_notes,
        "Gift": o.gift,
        "GiftMessage": o.gift_message,
        "CustomField1": o.custom_field1,
        "CustomField2": o.custom_field2,
        "CustomField3": o.custom_field3,
        "RequestedWarehouse": o.requested_warehouse,
        "Source": storefront.name,
        "Storefront": {"id": storefront.id, "name": storefront.name},
        "Customer": {
            "CustomerCode": o.customer_code,
            "BillTo": _address_truth(o.bill_to, with_email=True),
            "ShipTo": _address_truth(o.ship_to, with_email=False) if o.ship_to is not None else None,
        },
        "Items": [_item_truth(i) for i in o.items],
        "Shipments": [{**s, "Items": [dict(x) for x in s["Items"]]} for s in o.shipments],
    }
