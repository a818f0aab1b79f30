"""core.bulk: the import's one-statement writes, on whichever database the suite runs."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import bulk
from orders.models import Order, Product, SkippedOrder

NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def _order(store, external_id, **values):
    return {
        "tenant_id": store.tenant_id,
        "store_id": store.pk,
        "external_id": external_id,
        "number": f"N{external_id}",
        "store_status": "Paid",
        "status": "awaiting_shipment",
        "order_date": NOW,
        "modified_at": NOW,
        "order_total": Decimal("12.50"),
        "bill_to": {"name": "Ann"},
        **values,
    }


@pytest.mark.django_db
def test_rows_are_inserted_with_the_model_defaults_and_their_ids_returned(store_a):
    ids = bulk.upsert(
        Order,
        [_order(store_a, "1"), _order(store_a, "2")],
        unique=("store", "external_id"),
        update=("number",),
        key="external_id",
    )
    held = {o.external_id: o for o in Order.objects.filter(store=store_a)}
    assert ids == {oid: o.pk for oid, o in held.items()}
    one = held["1"]
    assert (one.order_total, one.bill_to, one.ship_to, one.shipped_in_outbound, one.hold_reason) == (
        Decimal("12.50"),
        {"name": "Ann"},
        {},
        False,
        "",
    )
    assert one.order_date == NOW


@pytest.mark.django_db
def test_an_upsert_updates_only_the_fields_it_names(store_a):
    first = bulk.upsert(
        Order, [_order(store_a, "1")], unique=("store", "external_id"), update=("number",), key="external_id"
    )
    Order.objects.filter(pk=first["1"]).update(hold_reason="kept")
    again = bulk.upsert(
        Order,
        [_order(store_a, "1", number="NEW", order_total=Decimal("99"))],
        unique=("store", "external_id"),
        update=("number",),
        key="external_id",
    )
    order = Order.objects.get(store=store_a)
    assert again == first
    assert (order.number, order.order_total, order.hold_reason) == ("NEW", Decimal("12.50"), "kept")


@pytest.mark.django_db
def test_several_tables_go_in_one_statement_on_postgresql(store_a):
    skipped = {
        "store_id": store_a.pk,
        "external_id": "9",
        "number": "N9",
        "reason": "no_ship_to",
        "modified_at": NOW,
        "content_hash": "x",
    }
    product = {"store_id": store_a.pk, "sku": "SKU-1", "name": "Mug", "weight": Decimal("0.5"), "updated_at": NOW}
    with CaptureQueriesContext(connection) as captured:
        ids = bulk.write(
            bulk.Rows(SkippedOrder, [skipped]),
            bulk.Rows(Product, [product]),
            bulk.Rows(Order, [_order(store_a, "1")], key="external_id"),
        )
    assert ids == {"1": Order.objects.get(store=store_a).pk}
    assert SkippedOrder.objects.filter(store=store_a, external_id="9").exists()
    assert Product.objects.get(store=store_a, sku="SKU-1").weight == Decimal("0.5")
    writes = [q for q in captured.captured_queries if "INSERT" in q["sql"]]
    assert len(writes) == (1 if connection.vendor == "postgresql" else 3)


@pytest.mark.django_db
def test_nothing_to_write_costs_nothing(store_a, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert bulk.write(bulk.Rows(Order, [], key="external_id"), bulk.Rows(Product, [])) == {}
