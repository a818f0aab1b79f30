"""Orders as CSV, streamed: rows are read in chunks and written line by line, so 10,000 orders never sit in
memory at once. The columns are stable and documented (docs/csv.md); add new ones at the end only."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

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
)
CHUNK = 2_000


class _Echo:
    """A file-like object whose write returns what it was given (csv.writer → one string per row)."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    # A cell that a spreadsheet would run as a formula is written as text (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_lines(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(list(header))  # the BOM makes spreadsheets read UTF-8
    for row in rows:
        yield writer.writerow([_cell(v) for v in row])


def order_rows(orders) -> Iterator[list]:
    """ORDER_COLUMNS for each order of the queryset `orders`, read CHUNK at a time."""
    for values in orders.values_list(*ORDER_VALUES).iterator(chunk_size=CHUNK):
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
        ]


def orders_csv(orders) -> Iterator[str]:
    return csv_lines(ORDER_COLUMNS, order_rows(orders))
