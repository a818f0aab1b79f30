"""The portal's labels: Get rates on the order page, pick one, a confirmation that shows the price, buy,
reprint, void (a confirmation); an uncertain purchase's "void and retry". Plain forms, no JavaScript."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from labels.models import LabelPurchase, PurchaseState
from orders.models import OrderStatus
from tests.factories import make_detailed_order
from tests.portal.conftest import signed_in

from .test_buy import pdf_text

pytestmark = pytest.mark.django_db


def _buy_through_the_pages(client, order, pick=None):
    page = client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    assert reverse("portal:order_rates", args=[order.pk]) in page
    rates = client.get(reverse("portal:order_rates", args=[order.pk])).content.decode()
    choices = re.findall(r'name="rate" value="([^"]+)"', rates)
    assert len(choices) == 9
    confirm = client.post(reverse("portal:order_label_confirm", args=[order.pk]), {"rate": pick or choices[0]})
    text = confirm.content.decode()
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', text))
    assert f"{fields['price']} {fields['currency']}" in text  # the price, shown before paying
    return fields, client.post(reverse("portal:order_label_buy", args=[order.pk]), {**fields, "format": "pdf"})


def test_get_rates_buy_reprint_and_void(alice, accounts_a, store_a, carrier_sandbox):
    client = signed_in(alice)
    order = make_detailed_order(store_a)
    fields, bought = _buy_through_the_pages(client, order)
    assert bought.status_code == 302
    purchase = LabelPurchase.objects.get()
    assert purchase.state == PurchaseState.BOUGHT and str(purchase.price) == fields["price"]
    # The same confirmation posted again (back button, double click): the first label, no second one.
    client.post(reverse("portal:order_label_buy", args=[order.pk]), {**fields, "format": "pdf"})
    assert LabelPurchase.objects.count() == 1 and len(carrier_sandbox.labels_sold()) == 1
    page = client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    assert purchase.tracking_number in page and "Print PDF" in page
    pdf = client.get(reverse("portal:shipment_label", args=[purchase.shipment_id, "pdf"]))
    assert pdf["Content-Type"] == "application/pdf" and purchase.tracking_number in pdf_text(pdf.content)
    assert client.get(reverse("portal:shipment_label", args=[purchase.shipment_id, "zpl"])).status_code == 404
    question = client.get(reverse("portal:label_void", args=[purchase.pk])).content.decode()
    assert purchase.tracking_number in question and LabelPurchase.objects.get().state == PurchaseState.BOUGHT
    client.post(reverse("portal:label_void", args=[purchase.pk]))
    purchase.refresh_from_db()
    order.refresh_from_db()
    assert purchase.state == PurchaseState.VOIDED and order.status == OrderStatus.AWAITING_SHIPMENT
    assert "refund requested" in client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()


def test_an_uncertain_purchase_is_flagged_with_void_and_retry(alice, accounts_a, store_a, carrier_sandbox):
    carrier_sandbox.set_faults("ship", "usps", lose_rate=1.0)
    client = signed_in(alice)
    order = make_detailed_order(store_a)
    rates = client.get(reverse("portal:order_rates", args=[order.pk])).content.decode()
    usps = next(c for c in re.findall(r'name="rate" value="([^"]+)"', rates) if c.endswith("usps_ground_advantage"))
    _buy_through_the_pages(client, order, pick=usps)
    purchase = LabelPurchase.objects.get()
    page = client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    assert purchase.state == PurchaseState.UNCERTAIN
    assert "Purchase uncertain — check with the carrier" in page and "Void and retry" in page
    client.post(reverse("portal:label_void", args=[purchase.pk]))
    purchase.refresh_from_db()
    assert purchase.state == PurchaseState.RELEASED and len(carrier_sandbox.labels_sold()) == 1


def test_rates_name_what_the_parcel_lacks_and_a_failing_carrier(alice, accounts_a, store_a, carrier_sandbox):
    client = signed_in(alice)
    carrier_sandbox.set_faults("rate", "ups", error_rate=1.0)
    page = client.get(reverse("portal:order_rates", args=[make_detailed_order(store_a).pk])).content.decode()
    assert "busy" in page and len(re.findall(r'name="rate"', page)) == 6
    order = make_detailed_order(store_a)
    order.lines.filter(sku="MUG-RED").update(unit_weight=None)
    page = client.get(reverse("portal:order_rates", args=[order.pk])).content.decode()
    assert "no weight for 1 of 1 line: MUG-RED" in page and 'name="rate"' not in page
