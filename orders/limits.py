"""What the import can store, read off the model columns: the one source the store parser checks against.

An order holding a value beyond these (an id longer than its column, a quantity beyond an integer, a
price or weight beyond its decimal) is skipped with the field named, instead of failing its page.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from django.db.backends.base.operations import BaseDatabaseOperations

from stores.connector.types import ExportLimits

from .models import Order, OrderLine, SkippedOrder


def _length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _decimal_max(model, name: str) -> Decimal:
    field = model._meta.get_field(name)
    return Decimal(10) ** (field.max_digits - field.decimal_places)


@cache
def export_limits() -> ExportLimits:
    # The portable integer range (PostgreSQL's), whatever the backend: SQLite would accept more, and an
    # order must import the same on every database.
    quantity_type = OrderLine._meta.get_field("quantity").get_internal_type()
    _low, quantity_max = BaseDatabaseOperations.integer_field_ranges[quantity_type]
    return ExportLimits(
        order_id_length=min(_length(Order, "external_id"), _length(SkippedOrder, "external_id")),
        order_number_length=_length(Order, "number"),
        customer_code_length=_length(Order, "customer_code"),
        email_length=_length(Order, "email"),
        phone_length=_length(Order, "phone"),
        # The id is kept in line_item_id and keys the line (line_key); cut, it would name another line.
        line_item_id_length=min(_length(OrderLine, "line_item_id"), _length(OrderLine, "line_key")),
        quantity_max=quantity_max,
        money_max=min(
            _decimal_max(Order, n) for n in ("order_total", "tax_amount", "shipping_amount", "discount_total")
        ),
        weight_max=min(_decimal_max(Order, "total_weight"), _decimal_max(OrderLine, "unit_weight")),
    )
