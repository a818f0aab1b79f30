"""The API's rates and labels: POST /api/v1/orders/{id}/rates/ and /labels/ (Idempotency-Key: one label),
GET /api/v1/shipments/{id}/label/?format=pdf|zpl, POST /api/v1/shipments/{id}/void-label/; outsiders 404."""

from __future__ import annotations

import pytest

from labels.models import LabelPurchase
from tests.factories import make_detailed_order

from .test_buy import pdf_text

pytestmark = pytest.mark.django_db


def test_rates_then_a_label_then_its_document_then_void(api_a, accounts_a, store_a, carrier_sandbox):
    order = make_detailed_order(store_a)
    answer = api_a.post(f"/api/v1/orders/{order.pk}/rates/", {}, format="json").json()
    assert len(answer["rates"]) == 9 and answer["errors"] == [] and answer["problems"] == []
    cheapest = answer["rates"][0]
    body = {k: cheapest[k] for k in ("account", "service", "price", "currency")}
    response = api_a.post(f"/api/v1/orders/{order.pk}/labels/", body, format="json", HTTP_IDEMPOTENCY_KEY="buy-1")
    assert response.status_code == 201, response.content
    purchase = response.json()
    assert purchase["state"] == "bought" and purchase["formats"] == ["pdf"] and purchase["price"] == cheapest["price"]
    again = api_a.post(f"/api/v1/orders/{order.pk}/labels/", body, format="json", HTTP_IDEMPOTENCY_KEY="buy-1")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true" and again.json()["id"] == purchase["id"]
    other = api_a.post(f"/api/v1/orders/{order.pk}/labels/", body, format="json")  # a second click, no key
    assert other.status_code == 409 and other.json()["purchase"]["id"] == purchase["id"]
    assert len(carrier_sandbox.labels_sold()) == 1 and LabelPurchase.objects.count() == 1

    pdf = api_a.get(f"/api/v1/shipments/{purchase['shipment']}/label/?format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert purchase["tracking_number"] in pdf_text(pdf.content)
    assert api_a.get(f"/api/v1/shipments/{purchase['shipment']}/label/?format=zpl").status_code == 404

    voided = api_a.post(f"/api/v1/shipments/{purchase['shipment']}/void-label/")
    assert voided.status_code == 200 and voided.json()["state"] == "voided"
    assert voided.json()["refund_state"] == "requested"
    again = api_a.post(f"/api/v1/shipments/{purchase['shipment']}/void-label/")
    assert again.status_code == 400


def test_what_the_parcel_lacks_and_a_refused_void(api_a, accounts_a, store_a, carrier_sandbox):
    order = make_detailed_order(store_a)
    order.lines.filter(sku="MUG-RED").update(unit_weight=None)
    answer = api_a.post(f"/api/v1/orders/{order.pk}/rates/", {}, format="json").json()
    assert answer["rates"] == [] and answer["problems"] == ["no weight for 1 of 1 line: MUG-RED"]
    order = make_detailed_order(store_a)
    response = api_a.post(
        f"/api/v1/orders/{order.pk}/labels/", {"account": accounts_a["UPS"].pk, "service": "ups_ground"}, format="json"
    )
    shipment = response.json()["shipment"]
    carrier_sandbox.advance(4)
    refused = api_a.post(f"/api/v1/shipments/{shipment}/void-label/")
    assert refused.status_code == 400 and "scanned" in refused.json()["error"]["message"]


def test_outsiders_get_404(api_a, api_b, accounts_a, store_a, tenant_b, store_b, carrier_sandbox):
    order = make_detailed_order(store_a)
    bought = api_a.post(
        f"/api/v1/orders/{order.pk}/labels/", {"account": accounts_a["UPS"].pk, "service": "ups_ground"}, format="json"
    ).json()
    theirs = make_detailed_order(store_b)
    assert api_b.post(f"/api/v1/orders/{order.pk}/rates/", {}, format="json").status_code == 404
    assert api_b.post(f"/api/v1/orders/{make_detailed_order(store_a).pk}/labels/", {}, format="json").status_code == 404
    assert api_b.get(f"/api/v1/shipments/{bought['shipment']}/label/").status_code == 404
    assert api_b.post(f"/api/v1/shipments/{bought['shipment']}/void-label/").status_code == 404
    # Another tenant's carrier account cannot buy for them either.
    response = api_b.post(
        f"/api/v1/orders/{theirs.pk}/labels/", {"account": accounts_a["UPS"].pk, "service": "ups_ground"}, format="json"
    )
    assert response.status_code == 400 and "account" in str(response.json())
    assert len(carrier_sandbox.labels_sold()) == 1
