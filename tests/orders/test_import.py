from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import ImportRun, Order, OrderLine, Product, ProductKind, SkippedOrder, UnmappedStatus
from orders.services import import_store_now
from stores import statuses
from tests import factories
from tests.orders.conftest import ROADS
from tests.orders.truth import expected_orders, mismatches

pytestmark = pytest.mark.django_db


def SINCE():  # noqa: N802  (the sandbox's orders go back about 60 days)
    import datetime as dt

    from django.utils import timezone

    return timezone.now() - dt.timedelta(days=90)


def _import(store, server):
    run = import_store_now(store=store, since=SINCE())
    assert run.state == "succeeded", run.error
    orders = {o.external_id: o for o in Order.objects.filter(store=store).prefetch_related("lines")}
    return store, server, run, server.truth(), orders


@pytest.fixture(scope="module", params=ROADS)
def imported_once(request, django_db_setup, django_db_blocker):
    """The 120-order sandbox store imported once for the whole module, inside a transaction rolled back at
    the module's end. Each test runs in a savepoint of it (pytest-django's `db`, as any test), so whatever
    a test writes is undone before the next one. The store's own data never changes: a test that changes
    the store imports its own (`connected`). Once per road. Yields (store id, server, run id, truth, the
    requests the store had served on the road when the import finished)."""
    from django.db import transaction

    from sandbox.server import run_sandbox
    from tests.factories import make_tenant
    from tests.orders.conftest import connect

    server = run_sandbox(orders=120, seed=7, page_size=25)
    with django_db_blocker.unblock():
        block = transaction.atomic()
        block.__enter__()
        try:
            store = connect(make_tenant("Acme Goods"), server, road=request.param)
            store, _server, run, truth, _orders = _import(store, server)
        except BaseException:
            transaction.set_rollback(True)
            block.__exit__(None, None, None)
            server.stop()
            raise
    try:
        yield store.pk, server, run.pk, truth, server.requests_served["rest" if store.road == "rest" else "export"]
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            block.__exit__(None, None, None)
        server.stop()


@pytest.fixture
def imported(imported_once, db):
    """(store, server, run, truth, {external id: order with its lines}), fresh objects for each test."""
    import copy

    from stores.models import Store

    store_pk, server, run_pk, truth, _requests = imported_once
    store = Store.objects.get(pk=store_pk)
    orders = {o.external_id: o for o in Order.objects.filter(store=store).prefetch_related("lines")}
    return store, server, ImportRun.objects.get(pk=run_pk), copy.deepcopy(truth), orders


def truth_pairs(imported):
    """The store's orders paired with the imported ones; never empty, so an `all(...)` over it proves something."""
    _store, _server, _run, truth, orders = imported
    pairs = [(t, orders[t["OrderID"]]) for t in truth["orders"] if t["OrderID"] in orders]
    assert pairs, "nothing was imported"
    return pairs


def test_s7_customer_email(imported):
    pairs = truth_pairs(imported)
    assert all(o.email == t["Customer"]["BillTo"]["Email"] for t, o in pairs)


def test_s8_customer_phone(imported):
    for t, o in truth_pairs(imported):
        assert o.phone == (t["Customer"]["BillTo"]["Phone"] or (t["Customer"]["ShipTo"] or {}).get("Phone", ""))


def test_s9_requested_shipping_method(imported):
    assert all(o.shipping_method == t["ShippingMethod"] for t, o in truth_pairs(imported))


def test_s10_payment_method(imported):
    assert all(o.payment_method == t["PaymentMethod"] for t, o in truth_pairs(imported))


def test_s11_discounts_and_coupons_are_adjustment_lines(imported):
    seen = 0
    for t, o in truth_pairs(imported):
        adjustments = [i for i in t["Items"] if i["Adjustment"]]
        lines = [li for li in o.lines.all() if li.is_adjustment]
        assert len(lines) == len(adjustments)
        assert all(li.unit_price < 0 and not li.is_shippable for li in lines)
        assert o.discount_total == -sum((Decimal(i["UnitPrice"]) * i["Quantity"] for i in adjustments), Decimal(0))
        seen += len(lines)
    assert seen > 0


def test_s12_gift_flag_and_message(imported):
    pairs = truth_pairs(imported)
    assert any(o.is_gift for _, o in pairs)
    assert all(o.is_gift == t["Gift"] and o.gift_message == t["GiftMessage"] for t, o in pairs)


def test_s13_internal_notes(imported):
    pairs = truth_pairs(imported)
    assert any(o.internal_notes for _, o in pairs)
    assert all(o.internal_notes == t["InternalNotes"] for t, o in pairs)


def test_s14_customer_notes(imported):
    pairs = truth_pairs(imported)
    assert any(o.customer_notes for _, o in pairs)
    assert all(o.customer_notes == t["CustomerNotes"] for t, o in pairs)


def test_s15_total_weight_computed_from_lines(imported):
    grams = {"Pounds": Decimal("453.59237"), "Ounces": Decimal("28.349523125"), "Grams": Decimal(1)}
    store = imported[0]
    unit = store.settings.default_weight_unit
    for t, o in truth_pairs(imported):
        total = sum(
            (
                (Decimal(i["Weight"]) + sum(Decimal(x["Weight"] or 0) for x in i["Options"]))
                * i["Quantity"]
                * grams[i["WeightUnits"]]
            )
            for i in t["Items"]
            if not i["Adjustment"] and i["ProductKind"] == "physical"
        )
        if total:
            assert o.total_weight_from_lines and o.weight_unit == unit
            assert abs(o.total_weight - total / grams[unit]) < Decimal("0.01")


def test_s16_per_item_weight_with_units(imported):
    rest = imported[0].road == "rest"
    for t, o in truth_pairs(imported):
        by_id = {li.line_item_id: li for li in o.lines.all()}
        for i in t["Items"]:
            line = by_id[i["LineItemID"]]
            # The REST road's item weight is the unit's whole weight (variants carry none of their own): the
            # chosen options' extra weight is in it, as the XML road's options add it on top.
            options = sum(Decimal(x["Weight"] or 0) for x in i["Options"]) if rest else 0
            assert line.unit_weight == Decimal(i["Weight"]) + options
            assert line.weight_unit == i["WeightUnits"]


def test_s17_item_image_url(imported):
    seen = 0
    for t, o in truth_pairs(imported):
        by_id = {li.line_item_id: li for li in o.lines.all()}
        for i in t["Items"]:
            assert by_id[i["LineItemID"]].image_url == i["ImageUrl"]
            seen += bool(i["ImageUrl"])
    assert seen > 0


def test_s18_item_options(imported):
    seen = 0
    for t, o in truth_pairs(imported):
        by_id = {li.line_item_id: li for li in o.lines.all()}
        for i in t["Items"]:
            got = [(x["name"], x["value"]) for x in by_id[i["LineItemID"]].options]
            assert got == [(x["Name"], x["Value"]) for x in i["Options"]]
            seen += len(got)
    assert seen > 0


def test_s19_item_warehouse_location_from_custom_field(imported):
    seen = 0
    for t, o in truth_pairs(imported):
        by_id = {li.line_item_id: li for li in o.lines.all()}
        for i in t["Items"]:
            assert by_id[i["LineItemID"]].warehouse_location == i["Location"]
            seen += bool(i["Location"])
    assert seen > 0


def test_s22_every_product_kept_and_flagged(imported):
    kinds = {"physical": ProductKind.PHYSICAL, "eproduct": ProductKind.ELECTRONIC, "non_shipping": ProductKind.NO_SHIP}
    flagged = set()
    for t, o in truth_pairs(imported):
        by_id = {li.line_item_id: li for li in o.lines.all()}
        for i in t["Items"]:
            if i["Adjustment"]:
                continue
            line = by_id[i["LineItemID"]]
            assert line.product_kind == kinds[i["ProductKind"]]
            assert line.is_shippable == (i["ProductKind"] == "physical")
            flagged.add(line.product_kind)
    assert {ProductKind.ELECTRONIC, ProductKind.NO_SHIP} <= flagged
    assert Product.objects.filter(store=imported[0], kind=ProductKind.ELECTRONIC).exists()


def test_a_products_weight_is_its_own_without_the_chosen_options(imported):
    # On the REST road a line's weight includes its options' (docs/americommerce-rest.md#field-map); the
    # product row keeps the product's own, as the XML road's item weight gives it.
    held = {p.sku: p.weight for p in Product.objects.filter(store=imported[0])}
    own = {i["SKU"]: Decimal(i["Weight"]) for t, _o in truth_pairs(imported) for i in t["Items"] if not i["Adjustment"]}
    assert own and all(held[sku] == weight for sku, weight in own.items()), [
        (sku, held[sku], weight) for sku, weight in own.items() if held[sku] != weight
    ][:3]
    assert any(x["Weight"] for t, _o in truth_pairs(imported) for i in t["Items"] for x in i["Options"])


def test_fields_show_in_the_admin(imported, client, operator):
    store, _server, _run, truth, orders = imported
    order = next(o for o in orders.values() if o.is_gift and o.lines.count() > 1)
    factories.operator_sign_in(client, operator)
    html = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    for value in (
        order.email,
        order.shipping_method,
        order.payment_method,
        order.gift_message[:20],
        order.lines.first().sku,
    ):
        assert value.replace("'", "&#x27;")[:20] in html or value[:20] in html


def test_s5_orders_without_ship_to_are_skipped_and_counted(imported):
    store, _server, run, truth, orders = imported
    without = [t for t in truth["orders"] if t["Customer"]["ShipTo"] is None]
    assert without and run.skipped["no_ship_to"] == len(without)
    assert not any(t["OrderID"] in orders for t in without)


def test_skipped_orders_are_listed_recognised_again_and_imported_once_they_can_ship(imported):
    import dataclasses

    from orders.importing.page import import_page
    from orders.importing.snapshot import ImportContext
    from stores.connector.registry import client_for_store

    store, _server, _run, truth, _orders = imported
    without = {t["OrderID"] for t in truth["orders"] if t["Customer"]["ShipTo"] is None}
    listed = SkippedOrder.objects.filter(store=store, reason="no_ship_to")
    assert {s.external_id for s in listed} == without
    assert {s.get_reason_display() for s in listed} == {"no ship-to address"}
    # Orders with an unmapped status are kept too, with their own reason.
    gift_wrap = {
        t["OrderID"]
        for t in truth["orders"]
        if t["OrderStatus"] == "Gift Wrap Queue" and t["Customer"]["ShipTo"] is not None
    }
    unmapped = SkippedOrder.objects.filter(store=store, reason="unmapped_status")
    assert gift_wrap and {s.external_id for s in unmapped} == gift_wrap

    factories.import_state_set(store, import_watermark=None)
    again = import_store_now(store=store, since=SINCE())
    assert again.skipped["no_ship_to"] == len(without)  # recognised from their bytes, still counted

    # The store gives one of them a ship-to address: it is imported, and leaves the list.
    skipped = listed.first()
    with client_for_store(store) as client:
        page = next(client.export_pages(skipped.modified_at, skipped.modified_at))
    export = next(e for e in page.orders if e.order_id == skipped.external_id)
    shippable = dataclasses.replace(
        export, customer=dataclasses.replace(export.customer, ship_to=export.customer.bill_to), raw_digest=""
    )
    ctx = ImportContext.for_store(store)
    ctx.load_held()
    import_page(ctx, [shippable])
    assert Order.objects.filter(store=store, external_id=skipped.external_id).exists()
    assert not SkippedOrder.objects.filter(pk=skipped.pk).exists()


def test_s4_mapping_applied(imported):
    store, _server, _run, truth, orders = imported
    lookup = store.status_mapping.lookup()
    for t, o in truth_pairs(imported):
        assert o.status == statuses.map_status(lookup, t["OrderStatus"])
    assert any(
        o.store_status == "Approved, Pending Shipping" and o.status == "awaiting_shipment" for o in orders.values()
    )


def test_unmapped_statuses_listed_with_counts(imported):
    store, _server, run, truth, _orders = imported
    gift_wrap = [t for t in truth["orders"] if t["OrderStatus"] == "Gift Wrap Queue" and t["Customer"]["ShipTo"]]
    row = UnmappedStatus.objects.get(store=store, key="gift wrap queue")
    assert row.order_count == len(gift_wrap) > 0
    assert run.skipped["unmapped_status"] == len(gift_wrap)


def test_adding_an_unmapped_status_brings_its_orders_in(imported, django_capture_on_commit_callbacks):
    from orders.services import unmapped_status_add_to_mapping

    store, _server, _run, truth, _orders = imported
    row = UnmappedStatus.objects.get(store=store, key="gift wrap queue")
    with django_capture_on_commit_callbacks(execute=True):
        unmapped_status_add_to_mapping(unmapped=row, outbound_status="on_hold")
    store.refresh_from_db()
    ids = {t["OrderID"] for t in truth["orders"] if t["OrderStatus"] == "Gift Wrap Queue" and t["Customer"]["ShipTo"]}
    held = Order.objects.filter(store=store, external_id__in=ids)
    assert held.count() == len(ids) and {o.status for o in held} == {"on_hold"}
    assert mismatches(store, truth) == []


def test_import_matches_truth(imported):
    store, _server, _run, truth, orders = imported
    assert mismatches(store, truth) == []
    assert len(orders) == len(expected_orders(truth, store.status_mapping))


def test_second_import_of_same_window_writes_nothing(imported):
    store, _server, first, _truth, _orders = imported
    before = dict(Order.objects.filter(store=store).values_list("id", "updated_at"))
    lines_before = OrderLine.objects.filter(order__store=store).count()
    store.refresh_from_db()
    factories.import_state_set(store, import_watermark=None)
    with CaptureQueriesContext(connection) as ctx:
        second = import_store_now(store=store, since=SINCE())
    # Store data; the run's own row and the unmapped-status log ("last seen") record the run itself.
    store_data = ("orders_order", "orders_orderline", "orders_product", "orders_orderevent", "orders_skippedorder")
    writes = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and any(f'"{table}"' in q["sql"] for table in store_data)
    ]
    assert second.state == "succeeded"
    assert second.orders_created == second.orders_updated == 0
    assert second.orders_unchanged >= first.orders_created + first.orders_updated
    assert writes == []
    assert dict(Order.objects.filter(store=store).values_list("id", "updated_at")) == before
    assert OrderLine.objects.filter(order__store=store).count() == lines_before


def test_store_changes_arrive_on_the_next_import(connected):
    store, server, _run, _truth, _orders = _import(*connected)  # its own store: this test changes it
    server.mutate(change=10, add=5)
    store.refresh_from_db()
    run = import_store_now(store=store)
    assert run.state == "succeeded", run.error
    assert run.orders_created + run.orders_updated > 0
    assert mismatches(store, server.truth()) == []


def test_a_store_cancellation_of_an_unshipped_order_applies(imported):
    from orders.importing.page import import_page
    from orders.importing.snapshot import ImportContext
    from stores.connector.registry import client_for_store

    store, server, *_ = imported
    order = Order.objects.filter(store=store, status="awaiting_shipment").first()
    with client_for_store(store) as client:
        page = next(client.export_pages(order.modified_at, order.modified_at))
    export = next(e for e in page.orders if e.order_id == order.external_id)
    import dataclasses

    cancelled = dataclasses.replace(export, order_status="Cancelled", raw_digest="")
    import_page(ImportContext.for_store(store), [cancelled])
    order.refresh_from_db()
    assert order.status == "cancelled"
    order.shipped_in_outbound, order.shipping, order.status = True, "full", "shipped"
    order.save()
    import_page(ImportContext.for_store(store), [dataclasses.replace(export, order_status="Processing", raw_digest="")])
    order.refresh_from_db()
    assert order.status == "shipped"  # a store update never undoes a shipment recorded in Outbound


def test_queries_per_page_are_constant(sandbox_factory, tenant_a, monkeypatch):
    from tests.orders.conftest import page_queries, page_to_import

    _store, ctx, exports = page_to_import(sandbox_factory, tenant_a, monkeypatch)
    counts = {label: len(queries) for label, queries in page_queries(ctx, exports).items()}
    assert counts["new 10"] == counts["new 100"], counts
    assert counts["changed 10"] == counts["changed 100"], counts


def test_failed_run_is_loud_and_keeps_the_watermark(connected):
    from stores.services import store_set_api_token, store_set_password

    store, server = connected
    # the store now answers 401
    if store.road == "rest":
        store_set_api_token(store=store, api_token="revoked-in-the-store")
    else:
        store_set_password(store=store, password="changed-in-the-store")
    run = import_store_now(store=store)
    store.refresh_from_db()
    assert run.state == "failed" and ("token" if store.road == "rest" else "password") in run.error.lower()
    assert (
        factories.import_state(store).import_watermark is None and factories.import_state(store).last_import_ok is False
    )
    assert factories.import_state(store).consecutive_failures == 1 and not factories.import_state(store).needs_attention
    import_store_now(store=store)
    import_store_now(store=store)
    store.refresh_from_db()
    assert factories.import_state(store).needs_attention and store.is_active  # never switched off silently


def test_runs_record_progress(imported, imported_once):
    _store, server, run, truth, orders = imported
    export_requests = imported_once[-1]  # what the store had served when the import finished
    assert run.pages_done == run.pages_total >= 5, (run.pages_done, run.pages_total)  # 120 orders, pages of 25
    assert run.orders_seen == len(truth["orders"]) and run.orders_created == len(orders)
    assert run.progress_percent == 100 and run.http_requests == export_requests


def test_a_long_first_import_keeps_its_progress_when_cut_off(connected, settings):
    store, server = connected
    settings.IMPORT_SPAN_MAX_ORDERS = 20  # 120 orders → spans of about 20
    from stores.connector.client import MALFORMED_PAGE_ATTEMPTS

    # The store breaks a few spans in (a broken page is asked again a few times before the run fails).
    server.set_faults(sequence=["ok"] * 8 + ["malformed"] * MALFORMED_PAGE_ATTEMPTS)
    failed = import_store_now(store=store, since=SINCE())
    store.refresh_from_db()
    assert failed.state == "failed" and "well-formed" in failed.error
    assert (
        factories.import_state(store).import_watermark is not None
        and factories.import_state(store).import_watermark > SINCE()
    )  # spans done are kept
    kept = factories.import_state(store).import_watermark
    server.reset_faults()
    second = import_store_now(store=store)
    assert second.state == "succeeded", second.error
    assert second.window_start < kept  # resumed where the first stopped, not from scratch
    assert second.window_start > SINCE()
    assert mismatches(store, server.truth()) == []
