"""Orders as CSV, streamed: rows are read in chunks and written line by line, so 10,000 orders never sit in
memory at once. The columns are stable and documented (docs/csv.md); add new ones at the end only."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from core.csv_cells import Echo as _Echo
from core.csv_cells import is_formula as _is_formula

# (header, how to read it from a row of ORDER_VALUES)
ORDER_COLUMNS = (
    "order_number",
    "order_date",
    "status",
    "store_status",
    "store",
    "storefront",
    "customer_name",
    "email",
    "phone",
    "ship_to_company",
    "ship_to_address1",
    "ship_to_address2",
    "ship_to_city",
    "ship_to_state",
    "ship_to_postal_code",
    "ship_to_country",
    "requested_shipping",
    "order_total",
    "shipping_amount",
    "tax_amount",
    "currency",
    "is_gift",
    "shipping",
    "needs_attention",
    "outbound_id",
    "tags",
    "shipping_preset",
)
ORDER_VALUES = (
    "number",
    "order_date",
    "status",
    "store_status",
    "store__name",
    "storefront__name",
    "ship_to_name",
    "email",
    "phone",
    "ship_to",
    "shipping_method",
    "order_total",
    "shipping_amount",
    "tax_amount",
    "currency",
    "is_gift",
    "shipping",
    "needs_attention",
    "pk",
    "shipping_preset__name",
)
CHUNK = 2_000


@dataclass(frozen=True)
class ExcelFlavour:
    """The file as a spreadsheet opens it well (docs/csv.md#excel): `;` between cells where the decimal is a
    comma (so Excel in French splits the columns), amounts with that decimal sign, times in `tz` as
    `2026-11-30 14:05:00` (a form Excel reads as a date), and beside each status code its words
    (`label`, in the user's language)."""

    decimal_comma: bool
    tz: dt.tzinfo
    label: Callable[[str], str]

    @property
    def delimiter(self) -> str:
        return ";" if self.decimal_comma else ","


def with_labels(header: Iterable[str], coded: Iterable[str], flavour: ExcelFlavour | None):
    """`header` with, in the Excel flavour, a `<column>_text` column after each of `coded`."""
    out = []
    for name in header:
        out.append(name)
        if flavour is not None and name in coded:
            out.append(f"{name}_text")
    return out


def labelled(row: list, header: Iterable[str], coded: Iterable[str], flavour: ExcelFlavour | None) -> list:
    """A row of `header` with, in the Excel flavour, each coded value followed by its words."""
    if flavour is None:
        return row
    out = []
    for name, value in zip(header, row, strict=True):
        out.append(value)
        if name in coded:
            out.append(flavour.label(value) if value else "")
    return out


def _cell(value, flavour: ExcelFlavour | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if flavour is not None:
        if isinstance(value, dt.datetime):
            return value.astimezone(flavour.tz).strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(value, Decimal | float) and flavour.decimal_comma:
            return str(value).replace(".", ",")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    # A cell that a spreadsheet would run as a formula is written as text (CSV injection).
    return "'" + text if _is_formula(text) else text


def csv_lines(header: Iterable[str], rows: Iterable[Iterable], flavour: ExcelFlavour | None = None) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=flavour.delimiter if flavour else ",")
    yield "\ufeff" + writer.writerow(list(header))  # the BOM makes spreadsheets read UTF-8
    for row in rows:
        yield writer.writerow([_cell(v, flavour) for v in row])


def _chunks(values: Iterator, size: int) -> Iterator[list]:
    chunk = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _tag_names(order_ids: list[int]) -> dict[int, str]:
    """{order id: its tags' names, "; "-separated, by name}, in one query per chunk."""
    from .models import OrderTag

    found: dict[int, list[str]] = {}
    for order_id, name in (
        OrderTag.objects.filter(order_id__in=order_ids).order_by("tag__name").values_list("order_id", "tag__name")
    ):
        found.setdefault(order_id, []).append(name)
    return {k: "; ".join(v) for k, v in found.items()}


def order_rows(orders) -> Iterator[list]:
    """ORDER_COLUMNS for each order of the queryset `orders`, read CHUNK at a time."""
    for chunk in _chunks(orders.values_list(*ORDER_VALUES).iterator(chunk_size=CHUNK), CHUNK):
        tags = _tag_names([values[ORDER_VALUES.index("pk")] for values in chunk])
        yield from _rows(chunk, tags)


def _rows(chunk: list, tags: dict[int, str]) -> Iterator[list]:
    for values in chunk:
        row = dict(zip(ORDER_VALUES, values, strict=True))
        ship_to = row["ship_to"] or {}
        yield [
            row["number"],
            row["order_date"],
            row["status"],
            row["store_status"],
            row["store__name"],
            row["storefront__name"],
            row["ship_to_name"],
            row["email"],
            row["phone"],
            ship_to.get("company", ""),
            ship_to.get("address1", ""),
            ship_to.get("address2", ""),
            ship_to.get("city", ""),
            ship_to.get("state", ""),
            ship_to.get("postal_code", ""),
            ship_to.get("country", ""),
            row["shipping_method"],
            row["order_total"],
            row["shipping_amount"],
            row["tax_amount"],
            row["currency"],
            row["is_gift"],
            row["shipping"],
            row["needs_attention"],
            row["pk"],
            tags.get(row["pk"], ""),
            row["shipping_preset__name"] or "",
        ]


# Columns holding a status code: the Excel flavour writes its words beside it.
ORDER_CODED = ("status", "shipping")


def orders_csv(orders, flavour: ExcelFlavour | None = None) -> Iterator[str]:
    rows = (labelled(row, ORDER_COLUMNS, ORDER_CODED, flavour) for row in order_rows(orders))
    return csv_lines(with_labels(ORDER_COLUMNS, ORDER_CODED, flavour), rows, flavour)
