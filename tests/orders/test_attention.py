"""A store cancellation after Outbound shipped is flagged, not applied: the order keeps the status its
shipments give it and shows up on the dashboard, in the admin's filter, in the API and as the
`order.attention` webhook event."""

import dataclasses
import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.services import api_key_create
from orders.importing.page import import_page
from orders.importing.snapshot import ImportContext
from orders.models import Order, OrderStatus, Shipping
from orders.services import import_store_now
from shipments.services import shipment_create
from stores.connector.registry import client_for_store
from tests.api.conftest import bearer
from tests.factories import operator_sign_in
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_subscription_create

pytestmark = pytest.mark.django_db


def store_sends(store, order, status):
    """Import the order as the store would send it with `status` (a new version of its bytes)."""
    with client_for_store(store) as client:
        # The minute up to the order's time: the order as the store holds it (a store_sends before this one
        # moved Outbound's copy a second past it; the REST road's windows are exact, not whole minutes).
        page = next(client.export_pages(order.modified_at - dt.timedelta(minutes=1), order.modified_at))
    export = next(e for e in page.orders if e.order_id == order.external_id)
    changed = dataclasses.replace(
        export, order_status=status, raw_digest="", last_modified=export.last_modified + dt.timedelta(seconds=1)
    )
    ctx = ImportContext.for_store(store)
    import_page(ctx, [changed])
    order.refresh_from_db()
    return order


@pytest.fixture
def shipped(connected, tenant_a):
    store, _server = connected
    run = import_store_now(store=store, since=timezone.now() - dt.timedelta(days=90))
    assert run.state == "succeeded", run.error
    webhook_subscription_create(tenant=tenant_a, url="https://hooks.example.com/a", events=["order.attention"])
    order = next(
        o
        for o in Order.objects.filter(store=store, status=OrderStatus.AWAITING_SHIPMENT)
        if o.lines.filter(is_shippable=True, is_adjustment=False).exists()
    )
    shipment_create(order=order, carrier="UPS", tracking_number="1ZALL")
    order.refresh_from_db()
    assert (order.status, order.shipping) == (OrderStatus.SHIPPED, Shipping.FULL)
    return store, order


def test_a_cancellation_after_shipping_is_flagged_not_applied(shipped, tenant_a, alice, operator):
    store, order = shipped
    order = store_sends(store, order, "Cancelled")
    assert order.status == OrderStatus.SHIPPED
    assert order.needs_attention and "after Outbound shipped it" in order.attention_reason
    last = order.events.order_by("-id").first()
    assert "Status stays Shipped: the store cancelled the order after Outbound shipped all of it" in last.message
    assert last.data["reason"] == "cancelled_after_full"
    delivery = WebhookDelivery.objects.get(event="order.attention")
    assert delivery.payload["id"] == order.pk and delivery.payload["needs_attention"] is True

    # The same store status again does not flag (nor notify) twice.
    store_sends(store, order, "Refunded")
    assert WebhookDelivery.objects.filter(event="order.attention").count() == 1

    portal = Client()
    portal.force_login(alice)
    dashboard = portal.get(reverse("portal:dashboard")).content.decode()
    assert f"Order {order.number}" in dashboard and "after Outbound shipped it" in dashboard
    flagged = portal.get(reverse("portal:order_list"), {"needs_attention": "true"})
    assert [o.pk for o in flagged.context["orders"]] == [order.pk]
    assert "after Outbound shipped it" in portal.get(reverse("portal:order_detail", args=[order.pk])).content.decode()

    api_a = bearer(api_key_create(tenant=tenant_a, name="erp", read_only=True, user=alice)[1])
    rows = api_a.get("/api/v1/orders/?needs_attention=true").json()["results"]
    assert [r["id"] for r in rows] == [order.pk] and rows[0]["attention_reason"] == order.attention_reason

    admin = Client()
    operator_sign_in(admin, operator)
    listed = admin.get("/admin/orders/order/", {"needs_attention__exact": "1"})
    assert listed.status_code == 200 and order.number in listed.content.decode()
    admin.post("/admin/orders/order/", {"action": "clear_attention", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert not order.needs_attention and order.events.filter(kind="attention_cleared").exists()


def test_a_cancellation_before_outbound_shipped_applies(connected):
    store, _server = connected
    import_store_now(store=store, since=timezone.now() - dt.timedelta(days=90))
    order = Order.objects.filter(store=store, status=OrderStatus.AWAITING_SHIPMENT).first()
    order = store_sends(store, order, "Cancelled")
    assert order.status == OrderStatus.CANCELLED and not order.needs_attention
