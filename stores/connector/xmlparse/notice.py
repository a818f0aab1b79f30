"""Custom Store v1 ship notices: `build_ship_notice(ShipNotice) -> bytes`, and `parse_ship_notice` to
read one back (the sandbox store and the tests use it)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - only used to *build* documents; parsing is defused
from xml.etree.ElementTree import Element  # noqa: S405

from ..errors import StoreDocumentError
from ..types import ShipNotice, ShipNoticeItem
from .document import _parse_root
from .export import _parse_address
from .values import _Fields, _local, format_store_date, format_store_datetime

# XML 1.0 cannot carry most control characters, even escaped; a stray one in a note would make the
# whole notice unreadable for the store.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _add(parent: Element, name: str, value: str) -> Element:
    child = ET.SubElement(parent, name)
    child.text = _XML_INVALID.sub("", value)
    return child


def build_ship_notice(notice: ShipNotice) -> bytes:
    """The `<ShipNotice>` body of a `?action=shipnotify` POST (docs/custom-store-v1.md#shipnotify), UTF-8."""
    root = ET.Element("ShipNotice")
    _add(root, "OrderID", notice.order_id or notice.order_number)
    _add(root, "OrderNumber", notice.order_number)
    _add(root, "CustomerCode", notice.customer_code)
    _add(root, "CustomerNotes", notice.customer_notes)
    _add(root, "InternalNotes", notice.internal_notes)
    _add(root, "NotesToCustomer", notice.notes_to_customer)
    _add(root, "NotifyCustomer", "true" if notice.notify_customer else "false")
    _add(root, "LabelCreateDate", format_store_datetime(notice.label_create_date) if notice.label_create_date else "")
    _add(root, "ShipDate", format_store_date(notice.ship_date) if notice.ship_date else "")
    _add(root, "Carrier", notice.carrier)
    _add(root, "Service", notice.service)
    _add(root, "TrackingNumber", notice.tracking_number)
    _add(root, "ShippingCost", f"{notice.shipping_cost:.2f}" if notice.shipping_cost is not None else "")
    if notice.recipient is not None:
        recipient = ET.SubElement(root, "Recipient")
        for name in ("Name", "Company", "Address1", "Address2", "City", "State", "PostalCode", "Country"):
            _add(recipient, name, getattr(notice.recipient, _snake(name)))
    items = ET.SubElement(root, "Items")
    for line in notice.items:
        item = ET.SubElement(items, "Item")
        _add(item, "LineItemID", line.line_item_id)
        _add(item, "SKU", line.sku)
        _add(item, "Name", line.name)
        _add(item, "Quantity", str(line.quantity))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _snake(name: str) -> str:
    return {"PostalCode": "postal_code", "Address1": "address1", "Address2": "address2"}.get(name, name.lower())


def parse_ship_notice(body: bytes, *, max_bytes: int = 1024 * 1024) -> ShipNotice:
    """Read a `<ShipNotice>` body. Lenient: only an order number or id is required
    (docs/custom-store-v1.md#shipnotify)."""
    root = _parse_root(body, max_bytes=max_bytes, expected="ShipNotice")
    known = [
        "OrderID", "OrderNumber", "CustomerCode", "CustomerNotes", "InternalNotes", "NotesToCustomer",
        "NotifyCustomer", "LabelCreateDate", "ShipDate", "Carrier", "Service", "TrackingNumber",
        "ShippingCost", "Recipient", "Items",
    ]  # fmt: skip
    f = _Fields(root, "The ship notice", known)
    order_number = f.text("OrderNumber") or f.text("OrderID")
    if not order_number:
        raise StoreDocumentError("The ship notice has neither <OrderNumber> nor <OrderID>.")
    recipient_el = f.element("Recipient")
    items: list[ShipNoticeItem] = []
    if (items_el := f.element("Items")) is not None:
        for number, item_el in enumerate((c for c in items_el if _local(c.tag).lower() == "item"), 1):
            i = _Fields(item_el, f"The ship notice, item {number}", ["LineItemID", "SKU", "Name", "Quantity"])
            items.append(
                ShipNoticeItem(
                    line_item_id=i.text("LineItemID"),
                    sku=i.text("SKU"),
                    name=i.text("Name"),
                    quantity=i.integer("Quantity", required=True) or 0,
                )
            )
    ship_date = f.datetime("ShipDate")
    return ShipNotice(
        order_id=f.text("OrderID") or order_number,
        order_number=order_number,
        customer_code=f.text("CustomerCode"),
        customer_notes=f.text("CustomerNotes"),
        internal_notes=f.text("InternalNotes"),
        notes_to_customer=f.text("NotesToCustomer"),
        notify_customer=f.boolean("NotifyCustomer"),
        label_create_date=f.datetime("LabelCreateDate"),
        ship_date=ship_date.date() if ship_date else None,
        carrier=f.text("Carrier"),
        service=f.text("Service"),
        tracking_number=f.text("TrackingNumber"),
        shipping_cost=f.decimal("ShippingCost"),
        recipient=_parse_address(recipient_el, "The ship notice, <Recipient>") if recipient_el is not None else None,
        items=items,
    )
