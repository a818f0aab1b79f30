"""Custom Store v1 XML <-> dataclasses. Pure functions: no I/O, no Django.

Export pipeline (one page):

    bytes --size cap--> encoding fix-ups --defusedxml (no DTD, no entities)--> <Orders> tree
          --per <Order>--> ExportOrder (required elements checked, quirks in docs/custom-store-v1.md tolerated)
          --> ExportPage(orders, pages, page)

Ship notices go the other way: `build_ship_notice(ShipNotice) -> bytes`. `parse_ship_notice` reads
one back (the sandbox store and the tests use it).

Everything a store sends is untrusted: the size is checked before any parsing, and DTDs are refused
outright because a store export never needs one and entity expansion / external entities are the
classic XML attacks.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import pyexpat
import re
import xml.etree.ElementTree as ET  # noqa: S405 - only used to *build* documents; parsing is defused
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import TypeVar
from xml.etree.ElementTree import Element  # noqa: S405

import defusedxml.ElementTree as SafeET
from defusedxml.common import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from .errors import (
    NotAShipStationExport,
    StoreAuthError,
    StoreDocumentError,
    StoreMalformedXML,
    StorePermissionError,
    StoreRejected,
    gettext,
)
from .types import (
    Address,
    Customer,
    Dimensions,
    ExportItem,
    ExportLimits,
    ExportOrder,
    ExportPage,
    ItemOption,
    ShipNotice,
    ShipNoticeItem,
    WeightUnits,
)

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# `pages` is an xs:short in the newer XSD (docs/custom-store-v1.md#paging).
MAX_PAGES = 32767
_T = TypeVar("_T")

__all__ = [
    "DEFAULT_MAX_BYTES",
    "build_ship_notice",
    "check_document_size",
    "format_store_date",
    "format_store_datetime",
    "parse_export",
    "parse_ship_notice",
    "parse_xml_fault",
    "parse_store_datetime",
]


# --- dates -----------------------------------------------------------------------------------------

_US_DATETIME = re.compile(
    r"^(?P<mo>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{2}|\d{4})"
    r"(?:[ T]+(?P<h>\d{1,2}):(?P<mi>\d{1,2})(?::(?P<s>\d{1,2})(?:\.\d+)?)?"
    r"\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?$"
)
# WooCommerce accepts MMDDYYYY?HHMM and craft-shipper says ShipStation "sometimes" sends it
# (docs/custom-store-v1.md#dates).
_COMPACT_DATETIME = re.compile(r"^(?P<mo>\d{2})(?P<d>\d{2})(?P<y>\d{4}).(?P<h>\d{2})(?P<mi>\d{2})$")


def parse_store_datetime(text: str) -> dt.datetime:
    """Parse any date format seen in real exports into an aware UTC datetime.

    Accepted: `MM/dd/yyyy HH:mm` (one or two digits, optional seconds), real 12-hour times
    (`9:56 PM`), 24-hour times with a stray suffix (`21:56 PM`, the protocol's own sample),
    date only, `YYYY-MM-DD HH:MM:SS` (Magento), ISO 8601 / W3C with or without offset (Drupal).
    Times without a zone are UTC, as the protocol says. Raises ValueError otherwise.
    """
    value = text.strip()
    match = _US_DATETIME.match(value) or _COMPACT_DATETIME.match(value)
    if match:
        parts = match.groupdict()
        year = int(parts["y"])
        if len(parts["y"]) == 2:
            year += 2000
        hour = int(parts["h"] or 0)
        ampm = (parts.get("ampm") or "").replace(".", "").lower()
        # "21:56 PM": a 24-hour clock with a suffix that means nothing; only 1..12 are 12-hour times.
        if ampm == "pm" and 1 <= hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        return dt.datetime(
            year,
            int(parts["mo"]),
            int(parts["d"]),
            hour,
            int(parts["mi"] or 0),
            int(parts.get("s") or 0),
            tzinfo=dt.UTC,
        )
    if not value or not value[:1].isdigit():
        raise ValueError(f"not a date: {text!r}")
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def format_store_datetime(value: dt.datetime) -> str:
    """`MM/dd/yyyy HH:mm`, 24-hour, UTC: what the protocol asks for in URLs and documents."""
    if value.tzinfo is None or value.utcoffset() is None:
        # A naive datetime is how server-local time sneaks into the window (docs/custom-store-v1.md#dates); refuse it.
        raise ValueError("format_store_datetime needs an aware datetime")
    return value.astimezone(dt.UTC).strftime("%m/%d/%Y %H:%M")


def format_store_date(value: dt.date) -> str:
    return value.strftime("%m/%d/%Y")


# --- scalar helpers --------------------------------------------------------------------------------

_BOOLEANS = {
    "1": True, "true": True, "yes": True, "y": True, "on": True,
    "0": False, "false": False, "no": False, "n": False, "off": False, "": False,
}  # fmt: skip

_WEIGHT_UNITS: dict[str, WeightUnits] = {
    "": "",
    "lb": "Pounds", "lbs": "Pounds", "pound": "Pounds", "pounds": "Pounds",
    "oz": "Ounces", "ounce": "Ounces", "ounces": "Ounces",
    "g": "Grams", "gm": "Grams", "gms": "Grams", "gram": "Grams", "grams": "Grams",
}  # fmt: skip
# Kilograms are not in the protocol; stores convert them to grams (Magento, WooCommerce), so do we.
_KILOGRAMS = {"kg", "kgs", "kilo", "kilos", "kilogram", "kilograms"}
_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")


def _parse_decimal(text: str) -> Decimal:
    value = text.strip()
    if _THOUSANDS.match(value):
        value = value.replace(",", "")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(text) from None
    if not number.is_finite():
        raise ValueError(text)
    return number


def _parse_bool(text: str) -> bool:
    try:
        return _BOOLEANS[text.strip().lower()]
    except KeyError:
        raise ValueError(text) from None


def _parse_int(text: str) -> int:
    number = _parse_decimal(text)
    if number != number.to_integral_value():
        raise ValueError(text)
    return int(number)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(element: Element | None) -> str:
    # itertext() also merges CDATA sections; "&amp;" written *inside* CDATA (Magento) stays as is.
    return "".join(element.itertext()).strip() if element is not None else ""


def _excerpt(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class _Fields:
    """The children of one xs:all element, looked up by name in any order and any case."""

    def __init__(self, element: Element, where: str, known: Iterable[str]) -> None:
        self.where = where
        known_lower = {name.lower() for name in known}
        self.elements: dict[str, Element] = {}
        self.extra: dict[str, str] = {}
        for child in element:
            name = _local(child.tag)
            if not name:
                continue
            if name.lower() in known_lower:
                # xs:all allows each element once; if a store repeats one, the first wins.
                self.elements.setdefault(name.lower(), child)
            else:
                self.extra.setdefault(name, _text(child))

    def element(self, name: str, *, required: bool = False) -> Element | None:
        found = self.elements.get(name.lower())
        if found is None and required:
            raise StoreDocumentError(f"{self.where} has no <{name}> element, which the protocol requires.")
        return found

    def text(self, name: str, *, required: bool = False) -> str:
        return _text(self.element(name, required=required))

    def _convert(self, name: str, kind: str, parse: Callable[[str], _T], *, required: bool) -> _T | None:
        raw = self.text(name, required=required)
        if not raw and not required:
            return None
        try:
            return parse(raw)
        except (ValueError, OverflowError):
            shown = f"'{_excerpt(raw)}'" if raw else "empty"
            raise StoreDocumentError(f"{self.where}: <{name}> is {shown}, which is not {kind}.") from None

    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        return self._convert(name, "a number", _parse_decimal, required=required)

    def integer(self, name: str, *, required: bool = False) -> int | None:
        return self._convert(name, "a whole number", _parse_int, required=required)

    def datetime(self, name: str, *, required: bool = False) -> dt.datetime | None:
        return self._convert(name, "a date Outbound understands", parse_store_datetime, required=required)

    def boolean(self, name: str) -> bool:
        return bool(self._convert(name, "true or false", _parse_bool, required=False))


# --- document level --------------------------------------------------------------------------------

_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*([\"'])([A-Za-z0-9._-]+)\1[^>]*\?>", re.IGNORECASE)
_XML_DECL_TEXT = re.compile(r"^\s*<\?xml[^>]*\?>")
_WIDE_ENCODINGS = {"utf-16", "utf-16le", "utf-16be", "utf16", "ucs-2", "unicode", "utf-32", "utf-32le", "utf-32be"}


def _normalise_encoding(body: bytes) -> bytes:
    """Return UTF-8 (or correctly declared) bytes that expat will read the way the store meant."""
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return _reencode(body, codec)
    if body[:2] == b"<\x00":
        return _reencode(body, "utf-16-le")
    if body[:2] == b"\x00<":
        return _reencode(body, "utf-16-be")
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    declared = _XML_DECL.match(body)
    encoding = declared.group(2).decode("ascii").lower() if declared else ""
    if encoding in _WIDE_ENCODINGS:
        # Magento declares utf-16 while writing UTF-8 bytes (docs/custom-store-v1.md#encoding); believe the bytes.
        start, end = declared.span(2)
        return body[:start] + b"utf-8" + body[end:]
    if encoding in {"", "utf-8", "utf8"}:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            # Old PHP stores send Windows-1252 text under a UTF-8 (or no) declaration. Reading it as
            # such beats failing the whole import over an accented letter.
            return _reencode(body, "cp1252")
    return body


def _reencode(body: bytes, codec: str) -> bytes:
    try:
        text = body.decode(codec, errors="strict" if codec.startswith("utf") else "replace")
    except UnicodeDecodeError:
        raise StoreDocumentError(f"the document is not valid {codec.upper()} text.") from None
    return _XML_DECL_TEXT.sub("", text.lstrip("\ufeff"), count=1).encode("utf-8")


def _size_text(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


def check_document_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise StoreDocumentError(
            f"the store sent {_size_text(size)} for one page; Outbound accepts at most "
            f"{_size_text(max_bytes)} per page. Lower the number of orders per page in the store."
        )


# Any markup declaration (<!DOCTYPE, <!ENTITY, <!ELEMENT …) sends a document down defusedxml's strict path;
# "<!" that only opens CDATA or a comment does not.
_DECLARATION = re.compile(rb"<!(?!\[CDATA\[|--)", re.IGNORECASE)


def _prepare(body: bytes | None, *, max_bytes: int) -> bytes:
    """The checks every answer gets before any parser sees it; returns the body as UTF-8 bytes."""
    if not body or not body.strip():
        raise NotAShipStationExport(gettext("not a ShipStation export: the store sent an empty answer."))
    # Before anything else: a 50 MB document is refused without being read into a parser.
    check_document_size(len(body), max_bytes)
    body = _normalise_encoding(body)
    head = body[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise NotAShipStationExport(
            gettext("not a ShipStation export: the store answered with a web page (HTML) instead of XML.")
        )
    if not head.startswith(b"<"):
        raise NotAShipStationExport(
            gettext("not a ShipStation export: the answer is not XML (it begins '%(start)s').")
            % {"start": _excerpt(body[:200].decode("utf-8", "replace"), 60)}
        )
    return body


def _declares(body: bytes) -> bool:
    return b"<!" in body and _DECLARATION.search(body) is not None


def _parse_root(body: bytes | None, *, max_bytes: int, expected: str) -> Element:
    return _check_root(_tree(_prepare(body, max_bytes=max_bytes)), expected)


def _tree(body: bytes) -> Element:
    try:
        if not _declares(body):
            # No DTD, so no entity can be declared and none can point outside: nothing for defusedxml to
            # refuse. Expat's C tree builder is then safe and about three times faster than defusedxml's
            # pure-Python one (a page is parsed on every import, changed or not).
            root = ET.fromstring(body)  # noqa: S314 - no DTD present, see above
        else:
            root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DTDForbidden:
        raise StoreDocumentError(
            "refused: the document declares a DTD (<!DOCTYPE …>). Store exports never need one, and "
            'DTDs carry entity-expansion ("billion laughs") and external-file attacks.'
        ) from None
    except EntitiesForbidden:
        raise StoreDocumentError("refused: the document declares XML entities, which store exports never need.")
    except ExternalReferenceForbidden:
        raise StoreDocumentError("refused: the document refers to an external file or URL.") from None
    except DefusedXmlException:
        raise StoreDocumentError("refused: the document uses XML features Outbound does not accept.") from None
    except ET.ParseError as exc:
        raise StoreMalformedXML(f"the store's XML is not well-formed ({exc}).") from None
    return root


def _check_root(root: Element, expected: str) -> Element:
    name = _local(root.tag)
    if name.lower() == "fault":
        _raise_fault(root)
    if name.lower() != expected.lower():
        raise NotAShipStationExport(
            gettext("not a ShipStation export: the document's root element is <%(name)s>, expected <%(expected)s>.")
            % {"name": name, "expected": expected}
        )
    return root


def _raise_fault(root: Element) -> None:
    # Magento answers errors with 200 and <fault><faultcode>401</faultcode>…</fault> (docs/custom-store-v1.md#faults).
    fields = _Fields(root, "the store's error answer", ["faultcode", "faultstring"])
    code = fields.text("faultcode")
    detail = _excerpt(fields.text("faultstring"), 200)
    if code == "401":
        raise StoreAuthError(
            (gettext("The store refused the username or password (%(detail)s).") % {"detail": detail} if detail
             else gettext("The store refused the username or password.")), status=401
        )
    if code == "403":
        raise StorePermissionError(
            gettext("The store refused access: the user must be an administrator of the store."), status=403
        )
    raise StoreRejected(f"The store reported an error: {detail or 'no details given'} (fault code {code or '?'}).")


# --- export ----------------------------------------------------------------------------------------

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
                return ExportPage(orders=[], pages=_export_pages(root_tag[1].get("pages"), bool(ids)),
                                  page=page, unchanged=list(ids))
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
    return ExportPage(orders=orders, pages=_export_pages(root.get("pages"), bool(elements)), page=page,
                      unchanged=skipped)


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


class _Poison(Exception):
    """A value Outbound cannot hold or compute with: the order is rejected, the page goes on."""


def _length(where: str, name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise _Poison(f"{where}: <{name}> is {len(value)} characters long; Outbound holds at most {limit}.")


def _bounded(where: str, name: str, value: Decimal | int | None, limit: Decimal | int) -> None:
    if value is not None and abs(value) >= limit:
        raise _Poison(f"{where}: <{name}> is {_excerpt(str(value), 30)}, beyond what Outbound holds "
                      f"(less than {limit:,}).")


def _check_limits(order: ExportOrder, limits: ExportLimits, where: str) -> None:
    _length(where, "OrderID", order.order_id, limits.order_id_length)
    _length(where, "OrderNumber", order.order_number, limits.order_number_length)
    customer = order.customer
    _length(where, "CustomerCode", customer.customer_code, limits.customer_code_length)
    _length(where, "Email", customer.bill_to.email, limits.email_length)
    phone = customer.bill_to.phone or (customer.ship_to.phone if customer.ship_to else "")
    _length(where, "Phone", phone, limits.phone_length)
    for name, amount in (("OrderTotal", order.order_total), ("TaxAmount", order.tax_amount),
                         ("ShippingAmount", order.shipping_amount)):
        _bounded(where, name, amount, limits.money_max)
    discount = Decimal(0)
    for number, item in enumerate(order.items, start=1):
        at = f"{where}, item {number}"
        _length(at, "LineItemID", item.line_item_id, limits.line_item_id_length)
        _bounded(at, "Quantity", item.quantity, limits.quantity_max + 1)
        _bounded(at, "UnitPrice", item.unit_price, limits.money_max)
        _bounded(at, "Weight", item.weight, limits.weight_max)
        if item.adjustment:
            discount += item.unit_price * item.quantity
    _bounded(where, "UnitPrice × Quantity of its discount lines", discount, limits.money_max)
    for name in ("TotalWeight", "Weight"):
        if order.extra.get(name):
            try:
                _bounded(where, name, _parse_decimal(order.extra[name]), limits.weight_max)
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
    except _Poison as exc:
        reason = str(exc)
    # Only what identifies the order is kept: enough to list it as skipped, and to recognise it later.
    f = _Fields(element, where, _ORDER_FIELDS)
    order_number = f.text("OrderNumber", required=True)
    last_modified = f.datetime("LastModified", required=True)
    assert last_modified is not None
    return ExportOrder(
        order_id=f.text("OrderID") or order_number, order_number=order_number,
        order_date=f.datetime("OrderDate") or last_modified, order_status=f.text("OrderStatus"),
        last_modified=last_modified, shipping_method="", payment_method="", currency_code="",
        order_total=Decimal(0), tax_amount=None, shipping_amount=None, customer_notes="", internal_notes="",
        gift=False, gift_message="", custom_field1="", custom_field2="", custom_field3="", requested_warehouse="",
        source="", dimensions=None, customer=Customer("", Address(), None), items=[], rejected=reason,
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
        raise _Poison(f"{where}: <Weight> is {_excerpt(str(weight), 30)}, too large to compute with.") from None


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
                    name=o.text("Name", required=True),
                    value=o.text("Value", required=True),
                    weight=option_weight,
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


def parse_xml_fault(body: bytes) -> None:
    """Raise the StoreError that a Magento-style `<fault>` answer stands for; ignore any other body."""
    head = body[:512].lstrip().lower()
    if b"<fault" not in head:
        return
    try:
        _parse_root(body, max_bytes=1024 * 1024, expected="fault")
    except StoreDocumentError:
        return  # not a readable fault after all; the HTTP status already said 2xx
