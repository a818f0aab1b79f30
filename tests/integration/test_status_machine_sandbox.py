"""The two portal scenarios of the status machine, end to end against the sandbox with the scheduled
imports running: the merchant ships and voids in the portal, the outbox tells the sandbox (which, like
the AmeriCommerce add-on, applies the storefront's shipped status on every ship notice), and the
minute tick's task (import_tick_task → import_run_task, django-q2 in sync mode) imports the store.

    ship part of an order → next import → still Awaiting Shipment, marked partially shipped
    ship all, void        → next import → still Awaiting Shipment, the history says why
"""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, OrderStatus, Shipping
from orders.tasks import import_tick_task
from shipments.models import Shipment
from tests import factories
from tests.orders.conftest import connect
from tests.shipments.conftest import relay_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(sandbox_factory, tenant_a, settings):
    settings.IMPORT_FIRST_DAYS = 400  # the first scheduled import reaches back over the sandbox's history
    server = sandbox_factory(orders=80, seed=12, page_size=20)
    return server, connect(tenant_a, server)


def scheduled_import(store, capture):
    """What the next minute's tick does once the store's next slot has come. In sync mode a batch checks
    its slots at once instead of waiting for them, so the previous tick may have recorded a slot still to
    come (import_scheduled_at): the check of an earlier slot would then be skipped as done already."""
    factories.import_state_set(store, next_import_at=None, import_queued_until=None, import_scheduled_at=None)
    with capture(execute=True):
        import_tick_task()
    store.refresh_from_db()
    assert factories.import_state(store).last_import_ok, factories.import_state(store).last_import_message


def store_status(server, number):
    return next(o for o in server.truth()["orders"] if o["OrderNumber"] == number)["OrderStatus"]


def shippable(order):
    return list(order.lines.filter(is_shippable=True, is_adjustment=False).order_by("position"))


def ship_in_portal(client, order, quantities, tracking):
    data = {
        "carrier": "UPS",
        "service": "Ground",
        "tracking_number": tracking,
        "ship_date": timezone.localdate().isoformat(),
        "notify_buyer": "on",
    }
    data.update({f"qty_{line.pk}": str(qty) for line, qty in quantities})
    response = client.post(reverse("portal:order_ship", args=[order.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.fixture
def merchant(alice):
    client = Client()
    client.force_login(alice)
    return client


def test_partial_shipment_stays_in_the_work_queue(shop, merchant, django_capture_on_commit_callbacks):
    server, store = shop
    scheduled_import(store, django_capture_on_commit_callbacks)
    order = next(
        o for o in Order.objects.filter(store=store, status=OrderStatus.AWAITING_SHIPMENT) if len(shippable(o)) >= 2
    )
    first = shippable(order)[0]
    ship_in_portal(merchant, order, [(first, first.quantity)], "1ZPART")
    assert relay_all() >= 1
    assert store_status(server, order.number) in ("Shipped", "Completed, Shipped")  # the add-on's behaviour

    scheduled_import(store, django_capture_on_commit_callbacks)
    order.refresh_from_db()
    assert order.store_status in ("Shipped", "Completed, Shipped")
    assert (order.status, order.shipping, order.partially_shipped) == (
        OrderStatus.AWAITING_SHIPMENT,
        Shipping.PARTIAL,
        True,
    )
    history = [e.message for e in order.events.all()]
    assert any(
        "Status stays Awaiting Shipment: the store shows Shipped after Outbound's partial shipment" in m
        for m in history
    ), history

    # The portal: in the Awaiting Shipment tab, under its "Partially shipped" filter, with the badge.
    url = reverse("portal:order_list")
    tab = merchant.get(url, {"status": "awaiting_shipment"})
    assert f"#{order.number}" in tab.content.decode()
    partial = merchant.get(url, {"status": "awaiting_shipment", "partially_shipped": "true"})
    body = partial.content.decode()
    assert [o.pk for o in partial.context["orders"]] == [order.pk]
    assert "Partially shipped" in body
    assert "Partially shipped" in merchant.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    assert "#" + order.number not in merchant.get(url, {"status": "shipped"}).content.decode()

    # Shipping the rest closes it, and the store's Shipped then agrees.
    ship_in_portal(merchant, order, [(line, line.quantity) for line in shippable(order)[1:]], "1ZREST")
    relay_all()
    scheduled_import(store, django_capture_on_commit_callbacks)
    order.refresh_from_db()
    assert (order.status, order.shipping, order.partially_shipped) == (OrderStatus.SHIPPED, Shipping.FULL, False)


def test_a_void_is_not_undone_by_the_store_s_unchanged_shipped(shop, merchant, django_capture_on_commit_callbacks):
    server, store = shop
    scheduled_import(store, django_capture_on_commit_callbacks)
    order = Order.objects.filter(store=store, status=OrderStatus.AWAITING_SHIPMENT).first()
    ship_in_portal(merchant, order, [(line, line.quantity) for line in shippable(order)], "1ZVOID")
    relay_all()
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    shipment = Shipment.objects.get(order=order)

    page = merchant.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    assert "it will keep showing this shipment and its tracking number" in page
    assert "The buyer may already have the e-mail with the old tracking number." in page
    response = merchant.post(reverse("portal:shipment_void", args=[shipment.pk]))
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.shipping) == (OrderStatus.AWAITING_SHIPMENT, Shipping.VOIDED)

    assert store_status(server, order.number) in ("Shipped", "Completed, Shipped")  # the protocol has no void
    scheduled_import(store, django_capture_on_commit_callbacks)
    order.refresh_from_db()
    assert order.store_status in ("Shipped", "Completed, Shipped")
    assert (order.status, order.partially_shipped) == (OrderStatus.AWAITING_SHIPMENT, False)
    history = [e.message for e in order.events.all()]
    assert any("the store still shows the old shipment and tracking" in m and "new tracking" in m for m in history), (
        history
    )
    assert (
        f"#{order.number}"
        in merchant.get(reverse("portal:order_list"), {"status": "awaiting_shipment"}).content.decode()
    )


NEXT_IMPORT_NOTE = "the store's new status arrives with the next import"


def test_the_next_import_note_goes_once_the_import_brought_the_store_s_status(
    shop, merchant, django_capture_on_commit_callbacks
):
    """Issue 25 item 18: the order header's "arrives with the next import" note stayed after that import
    (the store dates its change to the minute, before Outbound recorded the shipment to the second)."""
    server, store = shop
    scheduled_import(store, django_capture_on_commit_callbacks)
    order = Order.objects.filter(store=store, status=OrderStatus.AWAITING_SHIPMENT).first()
    ship_in_portal(merchant, order, [(line, line.quantity) for line in shippable(order)], "1ZNOTE")
    detail = reverse("portal:order_detail", args=[order.pk])
    assert NEXT_IMPORT_NOTE in merchant.get(detail).content.decode()  # not sent to the store yet
    relay_all()
    assert store_status(server, order.number) in ("Shipped", "Completed, Shipped")
    assert NEXT_IMPORT_NOTE in merchant.get(detail).content.decode()  # sent; no import since

    scheduled_import(store, django_capture_on_commit_callbacks)
    order.refresh_from_db()
    assert order.store_status in ("Shipped", "Completed, Shipped")
    page = merchant.get(detail).content.decode()
    assert NEXT_IMPORT_NOTE not in page and order.store_status in page
