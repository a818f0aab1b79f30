"""What an import derives besides the store's bytes: warehouse locations, the status mapping, history.

- a line keeps the location the store sent for it; the product's location fills the lines sent empty;
- orders skipped for an unmapped status come back however the status gets mapped;
- a settings or mapping change rewrites rows without rewriting history.
"""

import dataclasses
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.importing.page import import_page
from orders.importing.snapshot import ImportContext
from orders.models import Order, OrderEvent, OrderLine, Product, SkippedOrder, UnmappedStatus
from orders.services import import_store_now
from stores import statuses
from stores.connector.registry import client_for_store
from stores.models import StatusMapping, StoreSettings
from tests import factories
from tests.orders.conftest import EXTRA_AWAITING, EXTRA_SHIPPED, connect
from tests.orders.truth import expected_orders, mismatches
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_subscription_create

pytestmark = pytest.mark.django_db


def SINCE():  # noqa: N802
    return timezone.now() - dt.timedelta(days=90)


def _exports(store, count):
    """`count` importable orders as the store exports them, each with a physical, SKU-carrying line."""
    lookup = store.status_mapping.lookup()
    with client_for_store(store) as client:
        page = next(client.export_pages(SINCE(), timezone.now()))
    found = [
        e
        for e in page.orders
        if e.has_ship_to
        and statuses.map_status(lookup, e.order_status)
        and any(i.sku and not i.adjustment for i in e.items)
    ]
    assert len(found) >= count
    return found[:count]


def _with_item(export, item, line_item_id, location):
    line = dataclasses.replace(item, line_item_id=line_item_id, location=location)
    return dataclasses.replace(export, items=[line], raw_digest="")


def _line(export) -> OrderLine:
    return OrderLine.objects.get(order__store__pk__isnull=False, order__external_id=export.order_id)


# --- warehouse locations ---------------------------------------------------------------------------------


def test_lines_keep_the_location_the_store_sent_and_the_product_fills_empty_ones(connected):
    store, _server = connected
    a, b, c, d, e = _exports(store, 5)
    item = next(i for i in a.items if i.sku and not i.adjustment)
    ctx = ImportContext.for_store(store)
    ctx.load_held()

    # Two orders in one page, one SKU: one line says A-1, the other says nothing.
    import_page(ctx, [_with_item(a, item, "L-a", "A-1"), _with_item(b, item, "L-b", "")])
    assert _line(a).warehouse_location == "A-1"
    assert _line(b).warehouse_location == "A-1"  # filled from the product
    assert Product.objects.get(store=store, sku=item.sku).warehouse_location == "A-1"

    # The same the other way round (the empty line first), and another location on another order.
    import_page(ctx, [_with_item(c, item, "L-c", ""), _with_item(d, item, "L-d", "B-2")])
    assert _line(d).warehouse_location == "B-2"
    assert _line(a).warehouse_location == "A-1"  # untouched: the store sent A-1 for that line
    assert Product.objects.get(store=store, sku=item.sku).warehouse_location == "B-2"
    assert _line(c).warehouse_location == "B-2"

    # A page where the store sends nothing for the SKU wipes nothing.
    import_page(ImportContext.for_store(store), [_with_item(e, item, "L-e", "")])
    assert Product.objects.get(store=store, sku=item.sku).warehouse_location == "B-2"
    assert _line(e).warehouse_location == "B-2"


def test_the_setting_decides_whose_product_location_fills_empty_lines(connected):
    store, _server = connected
    a, b, c = _exports(store, 3)
    item = next(i for i in a.items if i.sku and not i.adjustment)
    Product.objects.update_or_create(
        store=store, sku=item.sku, defaults={"warehouse_location": "OUTBOUND-9", "location_set_in_outbound": True}
    )
    StoreSettings.objects.filter(store=store).update(store_location_overwrites=False)
    store.refresh_from_db()
    import_page(ImportContext.for_store(store), [_with_item(a, item, "L-a", "STORE-1"), _with_item(b, item, "L-b", "")])
    assert _line(a).warehouse_location == "STORE-1"  # what the store sent for that line
    assert _line(b).warehouse_location == "OUTBOUND-9"  # Outbound's location wins for the product
    assert Product.objects.get(store=store, sku=item.sku).warehouse_location == "OUTBOUND-9"

    StoreSettings.objects.filter(store=store).update(store_location_overwrites=True)
    store = type(store).objects.get(pk=store.pk)
    import_page(ImportContext.for_store(store), [_with_item(a, item, "L-a", "STORE-1"), _with_item(c, item, "L-c", "")])
    assert _line(c).warehouse_location == "STORE-1"  # the store's location wins for the product now
    assert Product.objects.get(store=store, sku=item.sku).warehouse_location == "STORE-1"


# --- settings changes do not rewrite history -----------------------------------------------------------


def test_switching_location_overwrites_on_updates_exactly_the_orders_that_change(sandbox_factory, tenant_a):
    server = sandbox_factory(orders=120, seed=7, page_size=25)
    store = connect(tenant_a, server)
    StoreSettings.objects.filter(store=store).update(store_location_overwrites=False)
    assert import_store_now(store=store, since=SINCE()).state == "succeeded"
    webhook_subscription_create(
        tenant=tenant_a, url="https://hooks.example.com/outbound", events=["order.imported", "order.updated"]
    )
    # A product the store gives no location, located in Outbound meanwhile: its orders' lines change.
    no_location = (
        OrderLine.objects.filter(
            order__store=store, warehouse_location="", product_kind="physical", is_adjustment=False
        )
        .exclude(sku="")
        .first()
    )
    Product.objects.filter(store=store, sku=no_location.sku).update(
        warehouse_location="SHELF-7", location_set_in_outbound=True
    )
    changed = set(Order.objects.filter(store=store, lines__sku=no_location.sku).values_list("pk", flat=True))
    untouched = dict(Order.objects.filter(store=store).exclude(pk__in=changed).values_list("pk", "updated_at"))
    events_before = OrderEvent.objects.count()

    StoreSettings.objects.filter(store=store).update(store_location_overwrites=True)
    store.refresh_from_db()
    factories.import_state_set(store, import_watermark=None)
    run = import_store_now(store=store, since=SINCE())

    assert run.state == "succeeded", run.error
    assert run.orders_updated == len(changed) > 0
    new_events = OrderEvent.objects.order_by("pk")[events_before:]
    assert {ev.order_id for ev in new_events} == changed
    assert all(ev.message.startswith("Updated from the store") for ev in new_events)
    updated = WebhookDelivery.objects.filter(event="order.updated")
    assert sorted(d.payload["id"] for d in updated) == sorted(changed)
    assert dict(Order.objects.filter(pk__in=untouched).values_list("pk", "updated_at")) == untouched
    assert set(
        OrderLine.objects.filter(order__store=store, sku=no_location.sku).values_list("warehouse_location", flat=True)
    ) == {"SHELF-7"}

    # Switching it back off changes nothing a user sees: rows re-derived, no history, no webhook.
    StoreSettings.objects.filter(store=store).update(store_location_overwrites=False)
    store.refresh_from_db()
    factories.import_state_set(store, import_watermark=None)
    events_before, deliveries_before = OrderEvent.objects.count(), WebhookDelivery.objects.count()
    again = import_store_now(store=store, since=SINCE())
    assert again.orders_updated == 0 and again.orders_unchanged > 0
    assert (OrderEvent.objects.count(), WebhookDelivery.objects.count()) == (events_before, deliveries_before)


def test_a_mapping_list_edit_adds_history_only_where_the_status_moves(sandbox_factory, tenant_a):
    server = sandbox_factory(orders=120, seed=7, page_size=25)
    store = connect(tenant_a, server)
    assert import_store_now(store=store, since=SINCE()).state == "succeeded"
    moved = set(Order.objects.filter(store=store, store_status="Backordered").values_list("pk", flat=True))
    assert moved
    events_before = OrderEvent.objects.count()
    mapping = store.status_mapping
    mapping.awaiting_shipment = mapping.awaiting_shipment.replace("Backordered, ", "")
    mapping.on_hold += ", Backordered, Some Status Nobody Uses"
    mapping.save()
    store = type(store).objects.get(pk=store.pk)
    factories.import_state_set(store, import_watermark=None)
    run = import_store_now(store=store, since=SINCE())
    assert run.orders_updated == len(moved)
    assert {ev.order_id for ev in OrderEvent.objects.order_by("pk")[events_before:]} == moved
    assert set(Order.objects.filter(pk__in=moved).values_list("status", flat=True)) == {"on_hold"}


# --- orders skipped for an unmapped status come back ------------------------------------------------------


@pytest.fixture
def new_store(sandbox_factory, tenant_a, django_capture_on_commit_callbacks):
    """A store connected with AmeriCommerce's default mapping: its first import skips the custom statuses."""
    server = sandbox_factory(orders=120, seed=7, page_size=25)
    default = {f: StatusMapping._meta.get_field(f).default for f in StatusMapping.FIELDS}
    store = connect(tenant_a, server, mapping=default)
    run = import_store_now(store=store, since=SINCE())
    assert run.state == "succeeded" and run.skipped["unmapped_status"] > 0
    skipped = SkippedOrder.objects.filter(store=store, reason="unmapped_status")
    truth = server.truth()
    custom = {
        t["OrderID"]
        for t in truth["orders"]
        if t["Customer"]["ShipTo"] is not None and store.status_mapping.map(t["OrderStatus"]) is None
    }
    assert {s.external_id for s in skipped} == custom
    return store, server


def _all_in(store, server):
    store = type(store).objects.get(pk=store.pk)
    truth = server.truth()
    assert mismatches(store, truth) == []
    assert Order.objects.filter(store=store).count() == len(expected_orders(truth, store.status_mapping))
    assert not SkippedOrder.objects.filter(store=store, reason="unmapped_status").exists()
    assert not UnmappedStatus.objects.filter(store=store).exists()


def test_custom_statuses_given_through_the_api_bring_every_order_in(new_store, django_capture_on_commit_callbacks):
    from api.services import api_key_create
    from tests.api.conftest import bearer

    store, server = new_store
    _key, plaintext = api_key_create(tenant=store.tenant, name="setup", read_only=False)
    mapping = store.status_mapping
    body = {
        "awaiting_shipment": mapping.awaiting_shipment + EXTRA_AWAITING,
        "shipped": mapping.shipped + EXTRA_SHIPPED,
        "on_hold": mapping.on_hold + ", Gift Wrap Queue",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = bearer(plaintext).patch(f"/api/v1/stores/{store.pk}/status-mapping/", body, format="json")
    assert response.status_code == 200
    _all_in(store, server)


def test_custom_statuses_typed_in_the_portal_form_bring_every_order_in(
    new_store, alice, django_capture_on_commit_callbacks
):
    from tests.portal.conftest import signed_in

    store, server = new_store
    mapping = store.status_mapping
    data = {"section": "mapping", **{f"mapping-{f}": getattr(mapping, f) for f in StatusMapping.FIELDS}}
    data["mapping-awaiting_shipment"] += EXTRA_AWAITING
    data["mapping-shipped"] += EXTRA_SHIPPED
    data["mapping-on_hold"] += ", Gift Wrap Queue"
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(alice).post(reverse("portal:store_settings", args=[store.pk]), data)
    assert response.status_code == 302
    _all_in(store, server)


def test_any_mapping_change_rereads_from_the_earliest_order_skipped_for_a_status_mapped_now(
    new_store, django_capture_on_commit_callbacks
):
    from django.db.models import Min

    from orders.services import skipped_orders_remap

    store, server = new_store
    gift_wrap = SkippedOrder.objects.filter(store=store, store_status="Gift Wrap Queue", reason="unmapped_status")
    earliest = gift_wrap.aggregate(m=Min("modified_at"))["m"]
    mapping = store.status_mapping
    mapping.on_hold += ", Gift Wrap Queue"
    mapping.save()
    with django_capture_on_commit_callbacks(execute=True):
        run = skipped_orders_remap(store=store)
    assert run.since == earliest and run.state == "queued"  # the object as queued; the task ran it
    run.refresh_from_db()
    assert run.state == "succeeded" and run.window_start <= earliest
    assert not gift_wrap.exists()
    assert not UnmappedStatus.objects.filter(store=store, key="gift wrap queue").exists()
    assert UnmappedStatus.objects.filter(store=store).exists()  # the statuses still unmapped stay listed
    with django_capture_on_commit_callbacks(execute=True):
        assert skipped_orders_remap(store=store) is None  # nothing mapped is left to bring in


def test_the_unmapped_add_action_clears_the_row_and_brings_the_orders_in(new_store, django_capture_on_commit_callbacks):
    from orders.services import unmapped_status_add_to_mapping

    store, server = new_store
    row = UnmappedStatus.objects.get(store=store, key="gift wrap queue")
    with django_capture_on_commit_callbacks(execute=True):
        unmapped_status_add_to_mapping(unmapped=row, outbound_status="on_hold")
    assert not UnmappedStatus.objects.filter(store=store, key="gift wrap queue").exists()
    gift_wrap = SkippedOrder.objects.filter(store=store, reason="unmapped_status", store_status="Gift Wrap Queue")
    assert not gift_wrap.exists()
    assert Order.objects.filter(store=store, store_status="Gift Wrap Queue", status="on_hold").exists()
    assert UnmappedStatus.objects.filter(store=store).exists()  # the other custom statuses are still unmapped


def test_a_mapping_edited_while_a_run_goes_is_applied_by_a_follow_up_run(
    sandbox_factory, tenant_a, monkeypatch, django_capture_on_commit_callbacks
):
    server = sandbox_factory(orders=120, seed=7, page_size=25)
    default = {f: StatusMapping._meta.get_field(f).default for f in StatusMapping.FIELDS}
    store = connect(tenant_a, server, mapping=default)
    real = ImportContext.for_store.__func__
    edited = []

    def for_store_then_edit(cls, store, actor="import"):
        ctx = real(cls, store, actor)
        if not edited:  # the merchant saves the mapping while the first import is paging
            mapping = StatusMapping.objects.get(store=store)
            mapping.awaiting_shipment += EXTRA_AWAITING
            mapping.shipped += EXTRA_SHIPPED
            mapping.on_hold += ", Gift Wrap Queue"
            mapping.save()
            edited.append(True)
        return ctx

    monkeypatch.setattr(ImportContext, "for_store", classmethod(for_store_then_edit))
    with django_capture_on_commit_callbacks(execute=True):
        first = import_store_now(store=store, since=SINCE())
    assert first.skipped["unmapped_status"] > 0  # the run went on with the mapping it started with
    _all_in(store, server)  # and the follow-up run brought those orders in


def test_a_mapping_edited_in_the_admin_brings_the_skipped_orders_in(
    new_store, operator, client, django_capture_on_commit_callbacks
):
    store, server = new_store
    mapping = store.status_mapping
    lists = {f: getattr(mapping, f) for f in StatusMapping.FIELDS}
    lists["awaiting_shipment"] += EXTRA_AWAITING
    lists["shipped"] += EXTRA_SHIPPED
    lists["on_hold"] += ", Gift Wrap Queue"
    data = {
        "tenant": store.tenant_id,
        "name": store.name,
        "platform": "americommerce",
        "url": store.url,
        "endpoint_path": store.endpoint_path,
        "username": store.username,
        "password": "",
        "is_active": "on",
        "import_interval_minutes": 15,
        "reconcile_every_hours": 24,
        "reconcile_days": 30,
        "storefronts-TOTAL_FORMS": 0,
        "storefronts-INITIAL_FORMS": 0,
        "status_mapping-TOTAL_FORMS": 1,
        "status_mapping-INITIAL_FORMS": 1,
        "status_mapping-0-id": mapping.pk,
        "status_mapping-0-store": store.pk,
        **{f"status_mapping-0-{f}": v for f, v in lists.items()},
        "settings-TOTAL_FORMS": 0,
        "settings-INITIAL_FORMS": 0,
    }
    factories.operator_sign_in(client, operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/stores/store/{store.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    _all_in(store, server)


def test_the_admin_reconcile_action_queues_a_sweep(store_a, operator, client, monkeypatch):
    monkeypatch.setattr("orders.services.enqueue_import", lambda run_id: None)
    factories.operator_sign_in(client, operator)
    response = client.post("/admin/stores/store/", {"action": "reconcile_now", "_selected_action": [store_a.pk]})
    assert response.status_code == 302
    assert store_a.import_runs.get().trigger == "reconcile"
    assert "orders_recovered" in client.get("/admin/stores/store/").content.decode()  # the count column


def test_the_admin_run_list_counts_recovered_orders(store_a, operator, client):
    from orders.models import ImportRun

    ImportRun.objects.create(store=store_a, trigger="reconcile", state="succeeded", recovered=["AC-7", "AC-9"])
    factories.operator_sign_in(client, operator)
    html = client.get("/admin/orders/importrun/").content.decode()
    assert '<td class="field-recovered_count">2</td>' in html
    run = ImportRun.objects.get()
    assert "AC-7" in client.get(f"/admin/orders/importrun/{run.pk}/change/").content.decode()


def test_an_order_shipped_in_outbound_is_not_updated_by_a_settings_change(sandbox_factory, tenant_a):
    server = sandbox_factory(orders=60, seed=7, page_size=25)
    store = connect(tenant_a, server)
    assert import_store_now(store=store, since=SINCE()).state == "succeeded"
    order = Order.objects.filter(store=store, status="awaiting_shipment").first()
    # as a shipment does:
    Order.objects.filter(pk=order.pk).update(status="shipped", shipped_in_outbound=True, shipping="full")
    mapping = store.status_mapping
    mapping.on_hold += ", Some Status Nobody Uses"  # a mapping edit: every order is converted again
    mapping.save()
    store = type(store).objects.get(pk=store.pk)
    factories.import_state_set(store, import_watermark=None)
    events_before = OrderEvent.objects.count()
    run = import_store_now(store=store, since=SINCE())
    order.refresh_from_db()
    assert order.status == "shipped"
    assert run.orders_updated == 0 and run.orders_unchanged > 0
    assert OrderEvent.objects.count() == events_before
