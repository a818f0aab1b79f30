"""Hostile stores against the import (issue 14): poison values, repeated pages, dripping answers."""

import datetime as dt

import pytest
from django.utils import timezone

from orders.importing.mapping import SKIP_INVALID
from orders.models import ImportState, Order, OrderLine, SkippedOrder
from orders.services import import_store_now
from tests import factories
from tests.hostile import HostileStore, export_xml, first_import_only, order_xml

SINCE = timezone.now() - dt.timedelta(days=3650)

POISONS = {
    "OrderID": lambda: order_xml("X" * 51),
    "OrderNumber": lambda: order_xml("P-number", number="N" * 51),
    "Phone": lambda: order_xml("P-phone", phone="5" * 51),
    "Quantity": lambda: order_xml("P-qty", quantity="3000000000"),
    "UnitPrice": lambda: order_xml("P-price", price="10000000000"),
    "Weight": lambda: order_xml("P-weight", weight="1E+100000000"),
}


@pytest.fixture
def hostile():
    stores = []

    def make(answer, **options):
        store = HostileStore(answer=answer, **options).start()
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.stop()


@pytest.mark.django_db
@pytest.mark.parametrize("field", list(POISONS))
def test_a_poison_order_is_skipped_with_its_field_and_the_page_still_imports(hostile, tenant_a, field):
    page = {"body": export_xml([order_xml("GOOD-1"), POISONS[field](), order_xml("GOOD-2")])}
    server = hostile(first_import_only(lambda: page["body"]))
    store = server.connect(tenant_a)

    run = import_store_now(store=store, since=SINCE)
    assert run.state == ImportState.SUCCEEDED, run.error
    assert sorted(Order.objects.filter(store=store).values_list("external_id", flat=True)) == ["GOOD-1", "GOOD-2"]
    [skipped] = SkippedOrder.objects.filter(store=store)
    assert skipped.reason == SKIP_INVALID and f"<{field}>" in skipped.detail
    assert run.skipped == {SKIP_INVALID: 1}

    # The next run goes on (the watermark moved), and is not blocked by the same order again.
    store.refresh_from_db()
    assert factories.import_state(store).import_watermark is not None
    again = import_store_now(store=store)
    assert again.state == ImportState.SUCCEEDED, again.error


@pytest.mark.django_db
def test_a_fixed_order_leaves_the_skipped_list(hostile, tenant_a):
    page = {"body": export_xml([order_xml("P-1", quantity="3000000000")])}
    server = hostile(first_import_only(lambda: page["body"]))
    store = server.connect(tenant_a)
    import_store_now(store=store, since=SINCE)
    assert SkippedOrder.objects.filter(store=store, reason=SKIP_INVALID).count() == 1

    page["body"] = export_xml([order_xml("P-1", quantity="3", modified="01/03/2024 10:00")])
    run = import_store_now(store=store, since=SINCE)
    assert run.state == ImportState.SUCCEEDED, run.error
    assert not SkippedOrder.objects.filter(store=store).exists()
    assert OrderLine.objects.get(order__store=store).quantity == 3


@pytest.mark.django_db
def test_two_long_order_ids_sharing_a_start_are_two_skipped_orders(hostile, tenant_a):
    body = export_xml([order_xml("L" * 60 + "1"), order_xml("L" * 60 + "2"), order_xml("OK")])
    server = hostile(first_import_only(lambda: body))
    store = server.connect(tenant_a)
    run = import_store_now(store=store, since=SINCE)
    assert run.state == ImportState.SUCCEEDED, run.error
    assert SkippedOrder.objects.filter(store=store).count() == 2
    assert Order.objects.filter(store=store).count() == 1


@pytest.mark.django_db
def test_a_store_serving_the_same_orders_on_every_page_is_stopped(hostile, tenant_a):
    body = export_xml([order_xml("SAME-1"), order_xml("SAME-2")], pages=32767)
    server = hostile(lambda request: (200, body, {}))
    store = server.connect(tenant_a)
    run = import_store_now(store=store, since=SINCE)
    assert run.state == ImportState.FAILED and "already sent on 3 pages" in run.error
    assert len(server.requests) <= 6  # the first page, three repeats, and at most the prefetched next one


@pytest.mark.django_db
def test_an_order_whose_total_weight_is_beyond_the_column_imports_without_a_total(hostile, tenant_a):
    # Each line's weight fits its column; their sum does not: the order imports, its total is left unknown.
    body = export_xml([order_xml("HEAVY", weight="900000000", quantity="10"), order_xml("LIGHT")])
    server = hostile(first_import_only(lambda: body))
    store = server.connect(tenant_a)
    run = import_store_now(store=store, since=SINCE)
    assert run.state == ImportState.SUCCEEDED, run.error
    heavy = Order.objects.get(store=store, external_id="HEAVY")
    assert heavy.total_weight is None and heavy.lines.get().unit_weight == 900000000
    assert Order.objects.get(store=store, external_id="LIGHT").total_weight is not None
