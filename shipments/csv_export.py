"""Shipments as CSV, streamed (docs/csv.md lists the columns; new ones go at the end only)."""

from __future__ import annotations

from collections.abc import Iterator

from orders.csv_export import CHUNK, ExcelFlavour, csv_lines, labelled, with_labels

from .models import Shipment

SHIPMENT_COLUMNS = (
    "shipment_id",
    "order_number",
    "store",
    "carrier",
    "service",
    "tracking_number",
    "tracking_url",
    "ship_date",
    "carrier_fee",
    "state",
    "notify_buyer",
    "store_update",
    "created_at",
    "created_by",
    "delivered_at",
    "voided_at",
    "outbound_order_id",
    "label_cost",
    "label_currency",
    "shipping_paid",
)
_VALUES = (
    "pk",
    "order__number",
    "order__store__name",
    "carrier",
    "service",
    "tracking_number",
    "tracking_url",
    "ship_date",
    "carrier_fee",
    "state",
    "notify_buyer",
    "store_update_state",
    "created_at",
    "created_by_user__username",
    "created_by_label",
    "delivered_at",
    "voided_at",
    "order_id",
    "label_purchase__price",  # the carrier's charge for the label bought through Outbound (none: empty)
    "label_purchase__currency",
    "order__shipping_amount",  # what the buyer paid for shipping, apart from the label's cost
)


def shipment_rows(shipments) -> Iterator[list]:
    for values in shipments.values_list(*_VALUES).iterator(chunk_size=CHUNK):
        row = list(values)
        user, label = row[13], row[14]
        yield row[:13] + [user or label] + row[15:]


# Columns holding a state code: the Excel flavour writes its words beside it.
SHIPMENT_CODED = ("state", "store_update")


def shipments_csv(shipments, flavour: ExcelFlavour | None = None) -> Iterator[str]:
    """The queryset `shipments` (tenant-scoped by the caller) as CSV lines."""
    rows = (
        labelled(row, SHIPMENT_COLUMNS, SHIPMENT_CODED, flavour)
        for row in shipment_rows(shipments.order_by("order_id", "pk"))
    )
    return csv_lines(with_labels(SHIPMENT_COLUMNS, SHIPMENT_CODED, flavour), rows, flavour)


def shipments_of_orders(*, tenant, orders):
    """The tenant's shipments of the orders in the queryset `orders` (a subquery: one statement)."""
    return Shipment.objects.for_tenant(tenant).filter(order__in=orders.order_by().values("pk"))
