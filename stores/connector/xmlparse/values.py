"""Custom Store v1 values: the store's dates, decimals, booleans and integers, read leniently where the
protocol's stores differ (docs/custom-store-v1.md), and `_Fields`, one element's children read by name."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import TypeVar
from xml.etree.ElementTree import Element  # noqa: S405

from ..errors import StoreDocumentError
from ..limits import excerpt as _excerpt
from ..types import WeightUnits

_T = TypeVar("_T")


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
