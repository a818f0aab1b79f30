"""orders.importing.mapping: an export order → the rows the import writes, without a database.

These tests carry no django_db mark: a query from any function under test fails them."""

import dataclasses
import datetime as dt
from decimal import Decimal

from orders.importing.mapping import (
    latest_versions,
    line_rows,
    order_fields,
    product_values,
    skipped_key,
    total_weight,
    visible_hash,
)
from orders.models import ProductKind, SkippedOrder
from tests.orders.test_import_connector import make_order

MODIFIED = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def item(
    sku, *, weight="1", units="Pounds", quantity=1, price="10.00", location="", adjustment=False, extra=None, options=()
):
    from stores.connector.types import ExportItem

    return ExportItem(
        line_item_id=f"L-{sku}",
        sku=sku,
        name=f"Thing {sku}",
        image_url="",
        weight=None if weight is None else Decimal(weight),
        weight_units=units,
        quantity=quantity,
        unit_price=Decimal(price),
        location=location,
        adjustment=adjustment,
        extra=extra or {},
        options=list(options),
    )


def order_with(*items, **changes):
    return dataclasses.replace(make_order(1, modified=MODIFIED), items=list(items), **changes)


def test_the_latest_version_of_an_order_served_twice_wins():
    old, new, other = (
        make_order(1, modified=MODIFIED),
        make_order(1, modified=MODIFIED + dt.timedelta(minutes=1)),
        make_order(2, modified=MODIFIED),
    )
    assert latest_versions([new, other, old]) == {"M1": new, "M2": other}
    assert latest_versions([old, new])["M1"] is new


def test_the_total_weight_adds_physical_lines_in_grams_and_converts_to_the_unit():
    from stores.connector.types import ItemOption

    order = order_with(
        item("A", weight="1", units="Pounds", quantity=2, options=[ItemOption("Box", "big", Decimal("0.5"))]),
        item("B", weight="500", units="Grams"),
        item("C", weight="9", extra={"EProductType": "download"}),  # electronic: no weight
        item("D", weight="9", adjustment=True, price="-1.00"),
    )
    weight, unit, from_lines = total_weight(order, "Pounds")
    # 2 × 1.5 lb + 500 g = 3 lb + 1.102 lb
    assert (weight, unit, from_lines) == (Decimal("4.102"), "Pounds", True)


def test_a_total_weight_the_store_sends_wins_over_the_lines():
    order = order_with(item("A", weight="100"), extra={"TotalWeight": "2.5", "WeightUnits": "Ounces"})
    assert total_weight(order, "Pounds") == (Decimal("2.5"), "Ounces", False)
    assert total_weight(order_with(item("A", weight=None)), "Pounds") == (None, "", True)


def test_order_fields_derive_the_discount_and_fall_back_for_a_missing_ship_to():
    order = order_with(item("A", price="10.00", quantity=2), item("", price="-3.00", adjustment=True))
    order = dataclasses.replace(order, customer=dataclasses.replace(order.customer, ship_to=None))
    fields = order_fields(order, "Pounds")
    assert fields["discount_total"] == Decimal("3.00")
    assert fields["ship_to"] == {} and fields["ship_to_name"] == ""
    assert fields["bill_to"]["address1"] == "1 Main St"
    assert "status" not in fields and "external_id" not in fields


def test_line_rows_fill_a_missing_location_from_the_product_and_keep_the_stores():
    order = order_with(
        item("A"),
        item("B", location="SHELF-9"),
        item("C", extra={"IsNonShippingItem": "true"}),
        item("", price="-1.00", adjustment=True),
    )
    rows = line_rows(order, {"A": "BIN-1", "B": "BIN-2"})
    assert [r["warehouse_location"] for r in rows] == ["BIN-1", "SHELF-9", "", ""]
    assert [r["is_shippable"] for r in rows] == [True, True, False, False]
    assert rows[2]["product_kind"] == ProductKind.NO_SHIP
    assert [r["position"] for r in rows] == [0, 1, 2, 3]


def test_product_values_never_let_an_empty_location_wipe_another_lines():
    first = order_with(item("A", location="BIN-1"))
    second = dataclasses.replace(make_order(2, modified=MODIFIED), items=[item("A", location="")])
    values = product_values([first, second])
    assert values["A"].location == "BIN-1"
    assert set(product_values([order_with(item("", price="-1.00", adjustment=True))])) == set()


def test_the_visible_hash_follows_the_locations_filled_in_but_not_the_status():
    order = order_with(item("A"))
    fields = order_fields(order, "Pounds")
    here = visible_hash(order, {**fields, "status": "shipped"}, line_rows(order, {"A": "BIN-1"}))
    assert here == visible_hash(order, {**fields, "status": "on_hold"}, line_rows(order, {"A": "BIN-1"}))
    assert here != visible_hash(order, fields, line_rows(order, {"A": "BIN-2"}))


def test_a_skipped_order_id_too_long_for_its_column_keeps_two_ids_apart():
    limit = SkippedOrder._meta.get_field("external_id").max_length
    one, two = "x" * limit + "1", "x" * limit + "2"
    assert skipped_key("short") == "short"
    assert len(skipped_key(one)) == limit and skipped_key(one) != skipped_key(two)
