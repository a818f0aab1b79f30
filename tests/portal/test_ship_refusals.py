"""Issue 28, acceptance: an order that may not ship is refused with the same words from the single ship form,
the batch, the CSV import and the API (orders.actions.order_actions decides; every entry point words it).

One table: each kind of refused order × each entry point. Every cell goes through the real request path
(the portal's views, the batch's worker run inline, the CSV preview, the API with a key) and reads the words a
person or a program sees.
"""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape
from django.utils.timezone import now

from api.services import api_key_create
from orders.models import OrderStatus
from shipments.models import Shipment
from tests.factories import make_line, make_order, make_shipment

from .test_batch import _key, _open_ship_form, _ship


def _cancelled(store):
    return make_order(store, status=OrderStatus.CANCELLED)


def _on_hold(store):
    return make_order(store, status=OrderStatus.ON_HOLD)


def _awaiting_payment(store):
    return make_order(store, status=OrderStatus.AWAITING_PAYMENT)


def _fully_shipped(store):
    order = make_order(store)
    make_shipment(order, tracking_number="1ZFIRST")
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    return order


def _shipped_by_the_store(store):
    return make_order(store, status=OrderStatus.SHIPPED)  # marked shipped in the store, nothing shipped here


def _nothing_that_ships(store):
    order = make_order(store, lines=0)
    make_line(order, line_key="E", position=0, sku="EBOOK", is_shippable=False, product_kind="electronic")
    return order


ORDERS = {
    "cancelled": (_cancelled, "Order {n} cannot be shipped: it is cancelled."),
    "on hold": (_on_hold, "Order {n} cannot be shipped: it is on hold."),
    "awaiting payment": (_awaiting_payment, "Order {n} cannot be shipped: it is awaiting payment."),
    "fully shipped": (_fully_shipped, "Order {n} cannot be shipped: it is already shipped."),
    "shipped by the store": (_shipped_by_the_store, "Order {n} cannot be shipped: it is already shipped."),
    "nothing that ships": (_nothing_that_ships, "Order {n} cannot be shipped: nothing on it is left to ship."),
}


def single_form(client, tenant, order) -> str:
    data = {"carrier": "UPS", "tracking_number": "1ZNEW", "ship_date": now().date(), "notify_buyer": "on"}
    data.update({f"qty_{line.pk}": "1" for line in order.lines.all()})
    response = client.post(reverse("portal:order_ship", args=[order.pk]), data)
    assert response.status_code == 400
    return response.content.decode()


def batch(client, tenant, order) -> str:
    key = _key(_open_ship_form(client, [order]))
    done = _ship(client, [order], key, ["1ZNEW"])
    return client.get(done["Location"]).content.decode()


def csv_import(client, tenant, order) -> str:
    out = io.StringIO()
    csv.writer(out).writerows([["Order #", "Carrier", "Tracking Number"], [order.number, "UPS", "1ZNEW"]])
    upload = SimpleUploadedFile("tracking.csv", out.getvalue().encode(), "text/csv")
    preview = client.get(client.post(reverse("portal:tracking_import"), {"file": upload})["Location"])
    assert preview.context["will_ship"] == 0
    return preview.content.decode()


def api(client, tenant, order) -> str:
    from rest_framework.test import APIClient

    caller = APIClient()
    key = api_key_create(tenant=tenant, name="warehouse", read_only=False, user=None)[1]
    caller.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = caller.post("/api/v1/shipments/", {"order": order.pk, "carrier": "UPS", "tracking_number": "1ZNEW"})
    assert response.status_code == 400
    return escape(response.json()["error"]["message"])  # compared as the pages show it


ENTRY_POINTS = {"single form": single_form, "batch": batch, "csv import": csv_import, "api": api}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("kind", ORDERS)
def test_a_refused_order_is_refused_in_the_same_words_everywhere(alice_client, tenant_a, store_a, kind, entry):
    make, words = ORDERS[kind]
    order = make(store_a)
    before = Shipment.objects.filter(order=order).count()
    seen = ENTRY_POINTS[entry](alice_client, tenant_a, order)
    assert escape(words.format(n=order.number)) in seen
    assert Shipment.objects.filter(order=order).count() == before


def test_the_ship_button_and_form_follow_what_the_order_allows(alice_client, store_a):
    held, ready = _on_hold(store_a), make_order(store_a)
    held_page = alice_client.get(reverse("portal:order_detail", args=[held.pk])).content.decode()
    assert 'id="ship-button"' not in held_page and 'id="release-button"' in held_page
    assert 'id="hold-button"' not in held_page
    ready_page = alice_client.get(reverse("portal:order_detail", args=[ready.pk])).content.decode()
    assert 'id="ship-button"' in ready_page and 'id="hold-button"' in ready_page
    assert 'id="release-button"' not in ready_page
    form = alice_client.get(reverse("portal:order_ship", args=[held.pk])).content.decode()
    assert f"Order {held.number} cannot be shipped: it is on hold." in form
    assert 'id="create-shipment"' not in form and 'id="ship-and-next"' not in form  # nothing to submit
