"""Webhooks in bulk: an import page's order events cost a constant number of queries, its deliveries
and outbox rows are one INSERT each, and they are relayed by the outbox's relay (one task, not one per
row), still signed, logged and retried like any other delivery."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from orders.models import Order
from outbox import claim as outbox_claim
from outbox import services as outbox
from outbox.models import OutboxMessage, OutboxState
from outbox.services import outbox_deliver_batch, outbox_enqueue_many, outbox_relay_due
from shipments.services import shipment_create
from tests.api.test_webhooks import Receiver, verify
from tests.factories import make_order
from tests.orders.conftest import page_queries, page_to_import
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_emit_orders, webhook_subscription_create

pytestmark = pytest.mark.django_db

ORDER_EVENTS = ["order.imported", "order.updated"]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def tasks(monkeypatch):
    """The django-q tasks queued, recorded instead of run."""
    queued = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda func, *args, **kwargs: queued.append((func, args)))
    return queued


def _inserts(captured, table):
    return [q for q in captured if q["sql"].lstrip().upper().startswith("INSERT") and f'"{table}"' in q["sql"]]


def test_an_import_page_with_a_subscriber_costs_the_same_queries_for_10_or_100_orders(
    sandbox_factory, tenant_a, alice, monkeypatch
):
    webhook_subscription_create(tenant=tenant_a, url="https://hooks.example.com/a", events=ORDER_EVENTS)
    store, ctx, exports = page_to_import(sandbox_factory, tenant_a, monkeypatch)
    assert ctx.webhook_events() == set(ORDER_EVENTS)
    shipped_ids = []

    def ship_one_order_of_each_page():  # so that the payloads' shipments are prefetched too
        for batch in (exports[:10], exports[10:110]):
            order = Order.objects.filter(
                store=store, external_id__in=[e.order_id for e in batch], status="awaiting_shipment"
            ).first()
            shipment_create(order=order, carrier="UPS", tracking_number=f"1Z{order.number}", user=alice)
            shipped_ids.append(order.external_id)

    queries = page_queries(ctx, exports, before_changes=ship_one_order_of_each_page)
    counts = {label: len(q) for label, q in queries.items()}
    assert counts["new 10"] == counts["new 100"], counts
    assert counts["changed 10"] == counts["changed 100"], counts
    for label, captured in queries.items():
        assert len(_inserts(captured, "api_webhookdelivery")) == 1, label
        assert len(_inserts(captured, "shipments_outboxmessage")) == 1, label
    assert WebhookDelivery.objects.filter(event="order.imported").count() == 110
    updated = WebhookDelivery.objects.filter(event="order.updated")
    assert updated.count() == 110
    shipped = updated.get(payload__external_id=shipped_ids[0]).payload
    assert shipped["shipments"][0]["tracking_number"].startswith("1Z")


def test_the_payload_is_the_order_as_the_api_shows_it(api_a, store_a, alice):
    order = make_order(store_a, lines=3)
    shipment_create(order=order, lines={order.lines.first().pk: 1}, carrier="UPS", tracking_number="1ZP", user=alice)
    webhook_subscription_create(tenant=store_a.tenant, url="https://hooks.example.com/a", events=ORDER_EVENTS)
    assert webhook_emit_orders(tenant_id=store_a.tenant_id, created=[], updated=[order.pk]) == 1
    assert WebhookDelivery.objects.get().payload == api_a.get(f"/api/v1/orders/{order.pk}/").json()


def test_only_the_subscribed_event_and_tenant_are_queued(store_a, store_b):
    webhook_subscription_create(tenant=store_a.tenant, url="https://hooks.example.com/a", events=["order.updated"])
    webhook_subscription_create(tenant=store_b.tenant, url="https://hooks.example.com/b", events=ORDER_EVENTS)
    mine, theirs = make_order(store_a), make_order(store_b)
    # An id of another tenant's order is never serialised into this tenant's deliveries.
    assert webhook_emit_orders(tenant_id=store_a.tenant_id, created=[mine.pk], updated=[mine.pk, theirs.pk]) == 1
    assert list(WebhookDelivery.objects.values_list("event", "payload__id")) == [("order.updated", mine.pk)]


def test_deliveries_are_relayed_by_one_relay_task_not_a_task_per_row(
    store_a, tasks, django_capture_on_commit_callbacks
):
    for n in range(2):
        webhook_subscription_create(tenant=store_a.tenant, url=f"https://hooks.example.com/{n}", events=ORDER_EVENTS)
    orders = [make_order(store_a, lines=0) for _ in range(60)]
    with django_capture_on_commit_callbacks(execute=True):
        sent = webhook_emit_orders(tenant_id=store_a.tenant_id, created=[o.pk for o in orders], updated=[])
    assert sent == 120 == OutboxMessage.objects.filter(kind="webhook", state=OutboxState.PENDING).count()
    assert tasks == [("outbox.tasks.outbox_relay_task", ())]
    # A second page while that relay still waits for a worker queues nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        webhook_emit_orders(tenant_id=store_a.tenant_id, created=[], updated=[o.pk for o in orders[:5]])
    assert len(tasks) == 1 and OutboxMessage.objects.filter(kind="webhook").count() == 130


def test_a_batch_is_delivered_signed_logged_and_retried(store_a, receiver, django_capture_on_commit_callbacks):
    failing = Receiver(status=503)
    try:
        ok, secret = webhook_subscription_create(tenant=store_a.tenant, url=receiver.url, events=ORDER_EVENTS)
        down, _ = webhook_subscription_create(tenant=store_a.tenant, url=failing.url, events=ORDER_EVENTS)
        orders = [make_order(store_a) for _ in range(3)]
        # The test settings run django-q tasks synchronously: the batch task runs at commit.
        with django_capture_on_commit_callbacks(execute=True):
            webhook_emit_orders(tenant_id=store_a.tenant_id, created=[o.pk for o in orders], updated=[])
        assert len(receiver.requests) == 3 and len(failing.requests) == 3
        for headers, body in receiver.requests:
            assert verify(secret, headers["Outbound-Signature"], body)
            assert headers["Outbound-Event"] == "order.imported" == json.loads(body)["event"]
        assert sorted(json.loads(body)["data"]["id"] for _, body in receiver.requests) == sorted(o.pk for o in orders)
        assert set(ok.deliveries.values_list("state", "attempts", "response_status")) == {("delivered", 1, 200)}
        waiting = down.deliveries.all()
        assert {(d.state, d.attempts) for d in waiting} == {("pending", 1)} and all("503" in d.error for d in waiting)
        # The retries fall due later and go through the ordinary sweep.
        later = timezone.now() + dt.timedelta(days=1)
        assert outbox.outbox_relay(now=later) == 3
    finally:
        failing.stop()
    assert len(failing.requests) == 6
    assert {(d.state, d.attempts) for d in down.deliveries.all()} == {("pending", 2)}


def test_a_batch_passes_over_rows_held_elsewhere_and_stops_at_its_budget(store_a, receiver, tasks):
    webhook_subscription_create(tenant=store_a.tenant, url=receiver.url, events=ORDER_EVENTS)
    orders = [make_order(store_a) for _ in range(4)]
    webhook_emit_orders(tenant_id=store_a.tenant_id, created=[o.pk for o in orders], updated=[])
    ids = list(OutboxMessage.objects.order_by("pk").values_list("pk", flat=True))
    held = outbox_claim._claim(
        OutboxMessage.objects.filter(pk=ids[0]), limit=1, worker="another relay", now=timezone.now()
    )
    assert held == [ids[0]]
    assert outbox_deliver_batch(ids, budget_seconds=0) == {"skipped": 4}
    assert outbox_deliver_batch(ids) == {"skipped": 1, "sent": 3}
    assert len(receiver.requests) == 3
    assert OutboxMessage.objects.get(pk=ids[0]).state == OutboxState.SENDING  # still the other relay's


def test_rows_a_batch_left_are_sent_by_the_sweep(store_a, receiver, tasks):
    webhook_subscription_create(tenant=store_a.tenant, url=receiver.url, events=ORDER_EVENTS)
    orders = [make_order(store_a) for _ in range(2)]
    webhook_emit_orders(tenant_id=store_a.tenant_id, created=[o.pk for o in orders], updated=[])
    ids = list(OutboxMessage.objects.values_list("pk", flat=True))
    assert outbox_deliver_batch(ids, budget_seconds=0) == {"skipped": 2}
    assert outbox_relay_due() == 2
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"delivered"}


def test_enqueue_many_keeps_the_dedupe_rule(tenant_a, tasks, django_capture_on_commit_callbacks):
    first = outbox.outbox_enqueue(tenant=tenant_a, kind="webhook", payload={"n": 1}, dedupe_key="k1")
    with django_capture_on_commit_callbacks(execute=True):
        messages = outbox_enqueue_many(
            tenant=tenant_a,
            kind="webhook",
            payloads=[{"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}],
            dedupe_keys=["k1", "k2", "k3", "k2"],
        )
    assert messages[0].pk == first.pk and messages[1].pk == messages[3].pk and len({m.pk for m in messages}) == 3
    assert [m.payload for m in messages] == [{"n": 1}, {"n": 2}, {"n": 3}, {"n": 2}]
    assert [m.payload for m in OutboxMessage.objects.order_by("pk")] == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert tasks[-1] == ("outbox.tasks.outbox_relay_task", ())
    with pytest.raises(ValueError):
        outbox_enqueue_many(tenant=tenant_a, kind="webhook", payloads=[{}], dedupe_keys=[None])


def test_a_new_orders_payload_built_from_the_page_is_the_order_as_the_api_shows_it(
    sandbox_factory, tenant_a, api_a, monkeypatch
):
    """An import page serialises its new orders from the rows it has just written, not read back: each
    payload must still equal what the API shows of the order, read from the database afterwards."""
    from orders.importing.page import import_page

    webhook_subscription_create(tenant=tenant_a, url="https://hooks.example.com/a", events=ORDER_EVENTS)
    store, ctx, exports = page_to_import(sandbox_factory, tenant_a, monkeypatch)
    import_page(ctx, exports[:40])
    deliveries = WebhookDelivery.objects.filter(event="order.imported")
    assert deliveries.count() == 40
    with_decimals = 0
    for delivery in deliveries:
        shown = api_a.get(f"/api/v1/orders/{delivery.payload['id']}/").json()
        assert delivery.payload == shown
        with_decimals += bool(shown["lines"]) and shown["total_weight"] is not None
    assert with_decimals  # lines, line ids and decimals were compared, not only empty orders


def test_an_updated_orders_payload_is_the_order_as_the_api_shows_it(
    sandbox_factory, tenant_a, api_a, alice, monkeypatch
):
    """An import page's updated orders (read back with their lines and shipments, serialised together):
    each order.updated payload equals what the API shows of the order afterwards, and what DRF's own
    OrderDetailSerializer gives of it, shipments and Outbound's own columns included."""
    import dataclasses

    from api.serializers import OrderDetailSerializer
    from orders.importing.page import import_page

    webhook_subscription_create(tenant=tenant_a, url="https://hooks.example.com/a", events=ORDER_EVENTS)
    store, ctx, exports = page_to_import(sandbox_factory, tenant_a, monkeypatch)
    import_page(ctx, exports[:40])
    shipped = Order.objects.filter(store=store, status="awaiting_shipment").first()
    shipment_create(order=shipped, carrier="UPS", tracking_number=f"1Z{shipped.number}".replace("-", ""), user=alice)
    changed = [
        dataclasses.replace(e, internal_notes=e.internal_notes + " (edited)", raw_digest="") for e in exports[:40]
    ]
    import_page(ctx, changed)
    deliveries = WebhookDelivery.objects.filter(event="order.updated")
    assert deliveries.count() == 40
    for delivery in deliveries:
        order = OrderDetailSerializer.prefetch(Order.objects.filter(pk=delivery.payload["id"])).get()
        assert delivery.payload == api_a.get(f"/api/v1/orders/{order.pk}/").json()
        assert delivery.payload == json.loads(json.dumps(OrderDetailSerializer(order).data))
    payload = deliveries.get(payload__id=shipped.pk).payload
    assert payload["shipments"][0]["tracking_number"] == f"1Z{shipped.number}".replace("-", "")
    assert "(edited)" in payload["internal_notes"]


def test_the_compiled_serializer_gives_what_drf_gives(store_a, alice):
    from api.payloads import order_payload
    from api.serializers import OrderDetailSerializer

    order = make_order(store_a, lines=3)
    shipment_create(order=order, lines={order.lines.first().pk: 1}, carrier="UPS", tracking_number="1ZC", user=alice)
    order = OrderDetailSerializer.prefetch(Order.objects.filter(pk=order.pk)).get()
    assert order_payload(order) == OrderDetailSerializer(order).data
    assert order_payload(order)["shipments"][0]["lines"]
