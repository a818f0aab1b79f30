"""The API's label batches: POST /api/v1/label-batches/ (confirm=false: the preview, nothing bought; confirm
with an Idempotency-Key: bought once, the same key answers the same batch), GET .../{id}/ (progress and each
order's result), GET .../document/?format=pdf|zpl; the daily limit; outsiders get 404."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from labels.models import LabelBatch
from tests.factories import make_detailed_order

pytestmark = pytest.mark.django_db


def test_preview_then_buy_once_then_progress_and_document(api_a, accounts_a, store_a, carrier_sandbox):
    import pypdf

    orders = [make_detailed_order(store_a).pk for _ in range(3)]
    preview = api_a.post("/api/v1/label-batches/", {"orders": orders}, format="json")
    assert preview.status_code == 201, preview.content
    body = preview.json()
    assert body["state"] == "preview" and len(body["items"]) == 3 and carrier_sandbox.labels_sold() == []
    assert Decimal(body["total_price"]) == sum(Decimal(i["price"]) for i in body["items"])
    assert body["daily_limit"] is None and body["spend_today"] == "0.00"

    refused = api_a.post("/api/v1/label-batches/", {"orders": orders, "confirm": True}, format="json")
    assert refused.status_code == 400 and "Idempotency-Key" in str(refused.json())

    bought = api_a.post(
        "/api/v1/label-batches/", {"orders": orders, "confirm": True}, format="json", HTTP_IDEMPOTENCY_KEY="b-1"
    )
    assert bought.status_code == 201, bought.content
    batch = bought.json()
    assert batch["state"] == "done" and batch["progress"]["counts"]["bought"] == 3
    again = api_a.post(
        "/api/v1/label-batches/", {"orders": orders, "confirm": True}, format="json", HTTP_IDEMPOTENCY_KEY="b-1"
    )
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true" and again.json()["id"] == batch["id"]
    assert len(carrier_sandbox.labels_sold()) == 3

    read = api_a.get(f"/api/v1/label-batches/{batch['id']}/").json()
    numbers = {s.tracking_number for s in carrier_sandbox.labels_sold()}
    assert {i["tracking_number"] for i in read["items"]} == numbers
    assert all(i["outcome"] == "bought" and i["cost"] for i in read["items"])
    pdf = api_a.get(f"/api/v1/label-batches/{batch['id']}/document/?format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert len(pypdf.PdfReader(io.BytesIO(pdf.content)).pages) == 3
    assert api_a.get(f"/api/v1/label-batches/{batch['id']}/document/?format=zpl").status_code == 404

    # A preview confirmed by its id: the preview's own rates.
    more = [make_detailed_order(store_a).pk]
    seen = api_a.post("/api/v1/label-batches/", {"orders": more}, format="json").json()
    confirmed = api_a.post(
        "/api/v1/label-batches/", {"preview": seen["id"], "confirm": True}, format="json", HTTP_IDEMPOTENCY_KEY="b-2"
    )
    assert confirmed.json()["id"] == seen["id"] and confirmed.json()["state"] == "done"
    assert len(carrier_sandbox.labels_sold()) == 4


def test_over_the_daily_limit_nothing_is_bought(api_a, tenant_a, accounts_a, store_a, carrier_sandbox):
    tenant_a.daily_label_limit = Decimal("1.00")
    tenant_a.save(update_fields=["daily_label_limit"])
    orders = [make_detailed_order(store_a).pk for _ in range(2)]
    refused = api_a.post(
        "/api/v1/label-batches/", {"orders": orders, "confirm": True}, format="json", HTTP_IDEMPOTENCY_KEY="lim"
    )
    assert refused.status_code == 400 and "daily limit" in refused.json()["error"]["message"]
    assert carrier_sandbox.labels_sold() == []


def test_outsiders_get_404_and_cannot_name_foreign_orders(api_a, api_b, accounts_a, store_a, carrier_sandbox):
    orders = [make_detailed_order(store_a).pk]
    batch = api_a.post("/api/v1/label-batches/", {"orders": orders}, format="json").json()
    assert api_b.get(f"/api/v1/label-batches/{batch['id']}/").status_code == 404
    assert api_b.get(f"/api/v1/label-batches/{batch['id']}/document/").status_code == 404
    assert api_b.get("/api/v1/label-batches/").json()["results"] == []
    foreign = api_b.post(
        "/api/v1/label-batches/", {"orders": orders, "confirm": True}, format="json", HTTP_IDEMPOTENCY_KEY="x"
    )
    assert foreign.status_code == 400 and "No such order" in str(foreign.json())
    confirm = api_b.post(
        "/api/v1/label-batches/", {"preview": batch["id"], "confirm": True}, format="json", HTTP_IDEMPOTENCY_KEY="y"
    )
    assert confirm.status_code == 404
    assert carrier_sandbox.labels_sold() == [] and LabelBatch.objects.count() == 1
