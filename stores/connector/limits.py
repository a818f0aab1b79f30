"""What Outbound can hold of one exported order, checked the same way on both roads (the XML add-on's page,
xmlparse/export.py, and the REST API, rest/mapping.py): an order beyond a limit is rejected with the field
named, and the page goes on (docs/custom-store-v1.md#export-fields)."""

from __future__ import annotations

from decimal import Decimal

from .types import ExportLimits, ExportOrder


class OverLimit(Exception):
    """A value Outbound cannot hold or compute with: the order is rejected, the page goes on."""


def excerpt(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def check_length(where: str, name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise OverLimit(f"{where}: <{name}> is {len(value)} characters long; Outbound holds at most {limit}.")


def check_bounded(where: str, name: str, value: Decimal | int | None, limit: Decimal | int) -> None:
    if value is not None and abs(value) >= limit:
        raise OverLimit(
            f"{where}: <{name}> is {excerpt(str(value), 30)}, beyond what Outbound holds (less than {limit:,})."
        )


def check_limits(order: ExportOrder, limits: ExportLimits, where: str) -> None:
    """Raise OverLimit for the first field of `order` beyond `limits` (the importer's columns)."""
    check_length(where, "OrderID", order.order_id, limits.order_id_length)
    check_length(where, "OrderNumber", order.order_number, limits.order_number_length)
    customer = order.customer
    check_length(where, "CustomerCode", customer.customer_code, limits.customer_code_length)
    check_length(where, "Email", customer.bill_to.email, limits.email_length)
    phone = customer.bill_to.phone or (customer.ship_to.phone if customer.ship_to else "")
    check_length(where, "Phone", phone, limits.phone_length)
    for name, amount in (
        ("OrderTotal", order.order_total),
        ("TaxAmount", order.tax_amount),
        ("ShippingAmount", order.shipping_amount),
    ):
        check_bounded(where, name, amount, limits.money_max)
    discount = Decimal(0)
    for number, item in enumerate(order.items, start=1):
        at = f"{where}, item {number}"
        check_length(at, "LineItemID", item.line_item_id, limits.line_item_id_length)
        check_bounded(at, "Quantity", item.quantity, limits.quantity_max + 1)
        check_bounded(at, "UnitPrice", item.unit_price, limits.money_max)
        check_bounded(at, "Weight", item.weight, limits.weight_max)
        check_bounded(at, "Weight", item.product_weight, limits.weight_max)
        if item.adjustment:
            discount += item.unit_price * item.quantity
    check_bounded(where, "UnitPrice × Quantity of its discount lines", discount, limits.money_max)
