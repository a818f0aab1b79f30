"""Custom Store v1 export pages: `<Orders>` -> ExportPage, order by order, an order the page cannot
hold skipped with the field named rather than failing the page."""

from __future__ import annotations

import hashlib
import pyexpat
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from xml.etree.ElementTree import Element  # noqa: S405

from ..errors import StoreDocumentError
from ..limits import OverLimit, check_bounded, check_limits
from ..types import (
    Address,
    Customer,
    Dimensions,
    ExportItem,
    ExportLimits,
    ExportOrder,
    ExportPage,
    ItemOption,
    WeightUnits,
)
from .document import DEFAULT_MAX_BYTES, _check_root, _declares, _prepare, _tree
from .values import _KILOGRAMS, _WEIGHT_UNITS, _excerpt, _Fields, _local, _parse_decimal, _parse_int, _text

# `pages` is an xs:short in the newer XSD (docs/custom-store-v1.md#paging).
MAX_PAGES = 32767


_ORDER_FIELDS = [
    "OrderID", "OrderNumber", "OrderDate", "OrderStatus", "LastModified", "ShippingMethod", "PaymentMethod",
    "CurrencyCode", "OrderTotal", "TaxAmount", "ShippingAmount", "CustomerNotes", "InternalNotes", "Gift",
    "GiftMessage", "CustomField1", "CustomField2", "CustomField3", "RequestedWarehouse", "Source",
    "Dimensions", "Customer", "Items",
]  # fmt: skip
_ADDRESS_FIELDS = [
    "Name", "Company", "Address1", "Address2", "City", "State", "PostalCode", "Country", "Phone", "Email",
]  # fmt: skip
_ITEM_FIELDS = [
    "LineItemID", "SKU", "Name", "ImageUrl", "Weight", "WeightUnits", "Quantity", "UnitPrice", "UPC",
    "Location", "Adjustment", "Options",
]  # fmt: skip


# An <Order> element's bytes, for digests: from an opening <Order …> to the first </Order> after it.
# Text that itself holds "</Order>" (in CDATA or a comment) would cut an order short, so the split is
# trusted only when every chunk closes the CDATA sections it opens and holds no comment or processing
# instruction, and the chunks tile the root's content (nothing but whitespace between them and after
# the last); otherwise there are no digests and every order is converted.
_ORDER_TAG = re.compile(rb"<(/?)Order\b[^>]*>")
_ROOT_END = re.compile(rb"\s*</[\w.:-]*\s*>\s*\Z")
_CHUNK_ID = re.compile(rb"<OrderID>\s*(?:<!\[CDATA\[\s*)?([^<\]]*?)\s*(?:\]\]>\s*)?</OrderID>")

SkipTest = Callable[[dict[str, str]], "set[str]"]


@dataclass(frozen=True, slots=True)
class _Split:
    digests: list[str]
    ids: list[str]  # read off each chunk's first <OrderID>; "" where there is none to read quickly


def _order_split(body: bytes) -> _Split | None:
    spans: list[tuple[int, int]] = []
    start = None
    for match in _ORDER_TAG.finditer(body):
        if match.group(1):
            if start is not None:
                spans.append((start, match.end()))
                start = None
        elif start is None:
            start = match.start()
    if not spans:
        return _Split([], [])
    if start is not None or not _ROOT_END.match(body, spans[-1][1]):
        return None
    for (_, end), (next_start, _) in zip(spans, spans[1:], strict=False):
        if body[end:next_start].strip():
            return None
    digests, ids = [], []
    for a, b in spans:
        chunk = body[a:b]
        if chunk.count(b"<![CDATA[") != chunk.count(b"]]>") or b"<!--" in chunk or b"<?" in chunk:
            return None
        digests.append(hashlib.sha1(chunk, usedforsecurity=False).hexdigest())
        found = _CHUNK_ID.search(chunk)
        ids.append(found.group(1).decode("utf-8", "replace") if found else "")
    return _Split(digests, ids)


def _quick_order_id(element: Element) -> str:
    quick = element.findtext("OrderID")  # the usual spelling, found in C
    if quick and quick.strip():
        return quick.strip()
    found = {"orderid": "", "ordernumber": ""}
    for child in element:
        tag = _local(child.tag).lower()
        if tag in found:
            found[tag] = _text(child)
    return found["orderid"] or found["ordernumber"]


def parse_export(
    body: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    page: int = 1,
    skip: SkipTest | None = None,
    limits: ExportLimits | None = None,
) -> ExportPage:
    """Parse one `?action=export` answer. `page` is the page number that was requested.

    Every document is checked whole by expat (well-formed, no DTD, no entity) before anything in it is
    believed. `skip`, when given, receives {order id: digest of the order's bytes} and returns the ids
    the caller already holds unchanged; those are listed in `ExportPage.unchanged` instead of being
    converted to dataclasses. When that is every order on the page, no element tree is built at all.
    An order holding a value beyond `limits` (or a number too large to compute with) is returned with
    `rejected` saying which field, so that one poison order never fails the page around it.
    """
    body = _prepare(body, max_bytes=max_bytes)
    declared = _declares(body)
    split = None if declared else _order_split(body)
    unchanged: set[str] = set()
    ids: list[str] = []
    if skip is not None and split is not None and all(split.ids):
        # Every order's id could be read off its bytes: ask once, before any tree is built.
        ids = split.ids
        unchanged = set(skip(dict(zip(ids, split.digests, strict=True))))
        if unchanged.issuperset(ids) and len(set(ids)) == len(ids):
            root_tag = _root_tag(body)
            if root_tag is not None and root_tag[0].rsplit(":", 1)[-1].lower() == "orders":
                return ExportPage(
                    orders=[], pages=_export_pages(root_tag[1].get("pages"), bool(ids)), page=page, unchanged=list(ids)
                )
    root = _check_root(_tree(body), "Orders")
    elements = [c for c in root if _local(c.tag).lower() == "order"]
    digests = split.digests if split is not None and len(split.digests) == len(elements) else []
    if not digests:
        unchanged, ids = set(), []
    elif skip is not None and not ids:
        ids = [_quick_order_id(element) for element in elements]
        unchanged = set(skip({oid: digest for oid, digest in zip(ids, digests, strict=True) if oid}))
    orders = []
    skipped = []
    for index, element in enumerate(elements, start=1):
        if unchanged and ids[index - 1] in unchanged:
            skipped.append(ids[index - 1])
            continue
        order = _parse_order(element, index, page, limits)
        if digests:
            order = replace(order, raw_digest=digests[index - 1])
        orders.append(order)
    return ExportPage(
        orders=orders, pages=_export_pages(root.get("pages"), bool(elements)), page=page, unchanged=skipped
    )


def _export_pages(raw: str | None, has_orders: bool) -> int:
    raw_pages = (raw or "").strip()
    if not raw_pages:
        # nopCommerce sends no `pages` at all (docs/custom-store-v1.md#paging): whatever came is the only page.
        return 1 if has_orders else 0
    try:
        pages = _parse_int(raw_pages)
    except ValueError:
        raise StoreDocumentError(f'the export\'s pages="{_excerpt(raw_pages)}" is not a number.') from None
    if not 0 <= pages <= MAX_PAGES:
        raise StoreDocumentError(f"the export claims {pages} pages; the protocol allows 0 to {MAX_PAGES}.")
    # WooCommerce says pages="0" on an empty result; a page with orders is at least one page.
    return max(pages, 1) if has_orders else pages


def _root_tag(body: bytes) -> tuple[str, dict[str, str]] | None:
    """(name, attributes) of the root element, once expat has read the whole document without error;
    None when it is not well-formed. Only the first element reaches Python: about a fifth of the
    cost of building the tree. Callers have ruled out any DTD (so any entity) beforehand."""
    parser = pyexpat.ParserCreate()
    found: list[tuple[str, dict[str, str]]] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        found.append((name, attributes))
        parser.StartElementHandler = None

    parser.StartElementHandler = start
    try:
        parser.Parse(body, True)
    except pyexpat.ExpatError:
        return None
    return found[0] if found else None


def _order_ref(element: Element, index: int, page: int) -> str:
    for tag in ("ordernumber", "orderid"):
        for child in element:
            if _local(child.tag).lower() == tag and _text(child):
                return f"Order {_excerpt(_text(child), 50)}"
    return f"Order #{index} on page {page}"


def _check_limits(order: ExportOrder, limits: ExportLimits, where: str) -> None:
    check_limits(order, limits, where)
    # The add-on's extra weight elements (the REST road has none).
    for name in ("TotalWeight", "Weight"):
        if order.extra.get(name):
            try:
                check_bounded(where, name, _parse_decimal(order.extra[name]), limits.weight_max)
            except ValueError:
                pass  # not a number: the importer computes the weight from the lines instead


def _parse_order(element: Element, index: int, page: int, limits: ExportLimits | None = None) -> ExportOrder:
    where = _order_ref(element, index, page)
    try:
        order = _parse_order_fields(element, where)
        if limits is not None:
            _check_limits(order, limits, where)
        return order
    except ArithmeticError:
        reason = f"{where}: a number in it is too large to compute with."
    except OverLimit as exc:
        reason = str(exc)
    # Only what identifies the order is kept: enough to list it as skipped, and to recognise it later.
    f = _Fields(element, where, _ORDER_FIELDS)
    order_number = f.text("OrderNumber", required=True)
    last_modified = f.datetime("LastModified", required=True)
    assert last_modified is not None
    return ExportOrder(
        order_id=f.text("OrderID") or order_number,
        order_number=order_number,
        order_date=f.datetime("OrderDate") or last_modified,
        order_status=f.text("OrderStatus"),
        last_modified=last_modified,
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
        rejected=reason,
    )


def _parse_order_fields(element: Element, where: str) -> ExportOrder:
    f = _Fields(element, where, _ORDER_FIELDS)
    order_number = f.text("OrderNumber", required=True)
    if not order_number:
        raise StoreDocumentError(f"{where} has an empty <OrderNumber>.")
    dimensions = None
    if (dims_el := f.element("Dimensions")) is not None:
        d = _Fields(dims_el, f"{where}, <Dimensions>", ["DimensionUnits", "Length", "Width", "Height"])
        dimensions = Dimensions(
            units=d.text("DimensionUnits"),
            length=d.decimal("Length"),
            width=d.decimal("Width"),
            height=d.decimal("Height"),
        )
    items_el = f.element("Items", required=True)
    assert items_el is not None
    items = [
        _parse_item(item, f"{where}, item {number}")
        for number, item in enumerate((c for c in items_el if _local(c.tag).lower() == "item"), start=1)
    ]
    order_date = f.datetime("OrderDate", required=True)
    last_modified = f.datetime("LastModified", required=True)
    order_total = f.decimal("OrderTotal", required=True)
    assert order_date is not None and last_modified is not None and order_total is not None
    return ExportOrder(
        order_id=f.text("OrderID") or order_number,
        order_number=order_number,
        order_date=order_date,
        order_status=f.text("OrderStatus", required=True),
        last_modified=last_modified,
        shipping_method=f.text("ShippingMethod"),
        payment_method=f.text("PaymentMethod"),
        currency_code=f.text("CurrencyCode").upper(),
        order_total=order_total,
        tax_amount=f.decimal("TaxAmount"),
        shipping_amount=f.decimal("ShippingAmount"),
        customer_notes=f.text("CustomerNotes"),
        internal_notes=f.text("InternalNotes"),
        gift=f.boolean("Gift"),
        gift_message=f.text("GiftMessage"),
        custom_field1=f.text("CustomField1"),
        custom_field2=f.text("CustomField2"),
        custom_field3=f.text("CustomField3"),
        requested_warehouse=f.text("RequestedWarehouse"),
        source=f.text("Source"),
        dimensions=dimensions,
        customer=_parse_customer(f.element("Customer", required=True), where),
        items=items,
        extra=f.extra,
    )


def _parse_customer(element: Element | None, where: str) -> Customer:
    assert element is not None
    f = _Fields(element, f"{where}, <Customer>", ["CustomerCode", "BillTo", "ShipTo"])
    bill_to_el = f.element("BillTo", required=True)
    assert bill_to_el is not None
    bill_to = _parse_address(bill_to_el, f"{where}, <BillTo>", require_name=True)
    ship_to_el = f.element("ShipTo")
    # No ShipTo is legitimate (docs/custom-store-v1.md#ship-to): such orders are skipped by the import, visibly, not
    # refused here.
    ship_to = _parse_address(ship_to_el, f"{where}, <ShipTo>") if ship_to_el is not None else None
    return Customer(customer_code=f.text("CustomerCode", required=True), bill_to=bill_to, ship_to=ship_to)


def _parse_address(element: Element, where: str, *, require_name: bool = False) -> Address:
    f = _Fields(element, where, _ADDRESS_FIELDS)
    return Address(
        name=f.text("Name", required=require_name),
        company=f.text("Company"),
        address1=f.text("Address1"),
        address2=f.text("Address2"),
        city=f.text("City"),
        state=f.text("State"),
        postal_code=f.text("PostalCode"),
        country=f.text("Country").upper(),
        phone=f.text("Phone"),
        email=f.text("Email"),
    )


def _web_url(text: str) -> str:
    """An image address is kept only when it is http(s): `javascript:`, `data:` and the rest are dropped."""
    return text if text.lower().startswith(("https://", "http://")) else ""


def _scaled(where: str, weight: Decimal | None, factor: Decimal) -> Decimal | None:
    try:
        return weight * factor if weight is not None else None
    except ArithmeticError:
        raise OverLimit(f"{where}: <Weight> is {_excerpt(str(weight), 30)}, too large to compute with.") from None


def _parse_item(element: Element, where: str) -> ExportItem:
    f = _Fields(element, where, _ITEM_FIELDS)
    sku = f.text("SKU")
    if sku:
        where = f"{where} (SKU {_excerpt(sku, 50)})"
        f.where = where
    adjustment = f.boolean("Adjustment")
    # Adjustment and fee lines often come without SKU or name (docs/custom-store-v1.md#adjustments); product lines must
    # have both.
    f.element("SKU", required=not adjustment)
    f.element("Name", required=not adjustment)
    quantity = f.integer("Quantity", required=True)
    unit_price = f.decimal("UnitPrice", required=True)
    assert quantity is not None and unit_price is not None
    if quantity < 0:
        raise StoreDocumentError(f"{where}: <Quantity> is {quantity}; it cannot be negative.")
    weight = f.decimal("Weight")
    raw_units = f.text("WeightUnits")
    units_key = raw_units.lower().rstrip(".").strip()
    factor = Decimal(1)
    if units_key in _KILOGRAMS:
        units: WeightUnits = "Grams"
        factor = Decimal(1000)
    elif units_key in _WEIGHT_UNITS:
        units = _WEIGHT_UNITS[units_key]
    else:
        raise StoreDocumentError(
            f"{where}: weight unit '{_excerpt(raw_units, 30)}' is not one Outbound understands "
            "(pounds, ounces, grams or kilograms)."
        )
    options: list[ItemOption] = []
    if (options_el := f.element("Options")) is not None:
        for number, option_el in enumerate((c for c in options_el if _local(c.tag).lower() == "option"), 1):
            o = _Fields(option_el, f"{where}, option {number}", ["Name", "Value", "Weight"])
            option_weight = _scaled(o.where, o.decimal("Weight"), factor)
            options.append(
                ItemOption(
                    name=o.text("Name", required=True), value=o.text("Value", required=True), weight=option_weight
                )
            )
    return ExportItem(
        line_item_id=f.text("LineItemID"),
        sku=sku,
        name=f.text("Name"),
        image_url=_web_url(f.text("ImageUrl")),
        weight=_scaled(where, weight, factor),
        weight_units=units,
        quantity=quantity,
        unit_price=unit_price,
        upc=f.text("UPC"),
        location=f.text("Location"),
        adjustment=adjustment,
        options=options,
        extra=f.extra,
    )


# --- ship notices ----------------------------------------------------------------------------------

# XML 1.0 cannot carry most control characters, even escaped; a stray one in a note would make the
