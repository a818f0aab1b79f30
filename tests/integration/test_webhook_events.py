"""Webhook events are queued by the import engine and the shipment services, not only by the API."""

import datetime as dt

import pytest
from django.utils import timezone

from orders.models import Order
from orders.services import import_store_now
from shipments.services import shipment_create, shipment_mark_delivered
from tests.orders.conftest import connect
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_subscription_create

pytestmark = pytest.mark.django_db

EVENTS = ["order.imported", "order.updated", "shipment.created", "shipment.delivered", "store_update.failed"]


def test_imports_and_shipments_emit_the_subscribed_events(sandbox_factory, tenant_a, tenant_b, alice):
    server = sandbox_factory(orders=30, seed=4, page_size=10)
    store = connect(tenant_a, server)
    webhook_subscription_create(tenant=tenant_a, url="https://hooks.example.com/outbound", events=EVENTS)
    webhook_subscription_create(tenant=tenant_b, url="https://hooks.example.com/other", events=EVENTS)
    import_store_now(store=store, since=timezone.now() - dt.timedelta(days=90))
    imported = WebhookDelivery.objects.filter(event="order.imported")
    assert imported.count() == Order.objects.filter(store=store).count() > 0
    assert {d.subscription.tenant_id for d in imported} == {tenant_a.pk}
    order = Order.objects.filter(store=store, status="awaiting_shipment").first()
    shipment = shipment_create(
        order=order, lines=None, carrier="UPS", service="Ground", tracking_number="1Z1", user=alice
    )
    shipment_mark_delivered(shipment=shipment)
    events = set(WebhookDelivery.objects.values_list("event", flat=True))
    assert {"order.imported", "shipment.created", "shipment.delivered"} <= events
    payload = WebhookDelivery.objects.get(event="shipment.created").payload
    assert payload["tracking_number"] == "1Z1"


def test_no_subscription_costs_one_query_per_page(sandbox_factory, tenant_a, django_assert_max_num_queries):
    from webhooks.services import webhook_emit_orders

    with django_assert_max_num_queries(1):
        assert webhook_emit_orders(tenant_id=tenant_a.pk, created=[1, 2, 3], updated=[4]) == 0
