import threading

import pytest
from django.db import connection

from orders.models import OrderLine
from shipments.models import Shipment
from tests.factories import make_order

UPS = {"carrier": "UPS", "tracking_number": "1Z999"}


@pytest.fixture(autouse=True)
def _no_store_calls(monkeypatch):
    # The store update leaves through the outbox on commit; these tests are about the API.
    monkeypatch.setattr("outbox.services._schedule", lambda message_id: None)


def ship(api, order, **extra):
    return api.post("/api/v1/shipments/", {"order": order.pk, **UPS, **extra}, format="json")


def test_create_ships_everything_left(api_a, order_a):
    response = ship(api_a, order_a)
    assert response.status_code == 201, response.json()
    assert response.json()["lines"] == [{"order_line": order_a.lines.get().pk, "quantity": 2}]
    order_a.refresh_from_db()
    assert order_a.status == "shipped"
    assert response.json()["created_by"].startswith("API key warehouse")


def test_create_ships_chosen_lines(api_a, order_a):
    line = order_a.lines.get()
    response = ship(api_a, order_a, lines=[{"line": line.pk, "quantity": 1}])
    assert response.status_code == 201 and response.json()["lines"][0]["quantity"] == 1


def test_too_many_units_is_a_400(api_a, order_a):
    line = order_a.lines.get()
    response = ship(api_a, order_a, lines=[{"line": line.pk, "quantity": 5}])
    assert response.status_code == 400 and not Shipment.objects.exists()


def test_another_tenants_order_is_a_400_and_saves_nothing(api_a, order_b):
    response = ship(api_a, order_b)
    assert response.status_code == 400 and "order" in response.json()["error"]["details"]
    assert not Shipment.objects.exists()


def test_another_tenants_line_is_a_400_and_saves_nothing(api_a, order_a, order_b):
    foreign_line = order_b.lines.get()
    response = ship(api_a, order_a, lines=[{"line": foreign_line.pk, "quantity": 1}])
    assert response.status_code == 400 and "lines" in response.json()["error"]["details"]
    assert not Shipment.objects.exists()


def test_a_line_of_another_order_is_a_400(api_a, order_a, store_a):
    other = make_order(store_a)
    response = ship(api_a, order_a, lines=[{"line": other.lines.get().pk, "quantity": 1}])
    assert response.status_code == 400 and not Shipment.objects.exists()


def test_same_idempotency_key_twice_creates_one_shipment(api_a, order_a):
    first = api_a.post("/api/v1/shipments/", {"order": order_a.pk, **UPS}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    second = api_a.post("/api/v1/shipments/", {"order": order_a.pk, **UPS}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second["Idempotent-Replayed"] == "true"
    assert Shipment.objects.count() == 1


def test_same_idempotency_key_with_another_body_is_refused(api_a, order_a):
    api_a.post("/api/v1/shipments/", {"order": order_a.pk, **UPS}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    other = api_a.post(
        "/api/v1/shipments/", {"order": order_a.pk, "carrier": "USPS"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert Shipment.objects.count() == 1


def test_idempotency_keys_are_per_tenant(api_a, api_b, order_a, order_b):
    assert ship(api_a, order_a).status_code == 201
    response = api_b.post("/api/v1/shipments/", {"order": order_b.pk, **UPS}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 201 and Shipment.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_same_idempotency_key_twice_at_once_creates_one_shipment(tenant_a, alice, store_a):
    from api.services import api_key_create
    from tests.api.conftest import bearer

    order = make_order(store_a, lines=1)
    plaintext = api_key_create(tenant=tenant_a, name="wms", read_only=False, user=alice)[1]
    results = []

    def post():
        try:
            results.append(
                bearer(plaintext)
                .post("/api/v1/shipments/", {"order": order.pk, **UPS}, format="json", HTTP_IDEMPOTENCY_KEY="same")
                .status_code
            )
        finally:
            connection.close()

    if connection.vendor == "sqlite":  # one writer at a time: the sequential case is what it can show
        post(), post()
    else:
        threads = [threading.Thread(target=post) for _ in range(4)]
        [t.start() for t in threads]
        [t.join() for t in threads]
    assert set(results) == {201} and Shipment.objects.count() == 1


def test_list_and_read(api_a, api_b, order_a):
    shipment_id = ship(api_a, order_a).json()["id"]
    assert [row["id"] for row in api_a.get(f"/api/v1/shipments/?order={order_a.pk}").json()["results"]] == [shipment_id]
    assert api_a.get(f"/api/v1/shipments/{shipment_id}/").status_code == 200
    assert api_b.get("/api/v1/shipments/").json()["results"] == []


def test_void_reopens_the_order(api_a, order_a):
    shipment_id = ship(api_a, order_a).json()["id"]
    assert api_a.post(f"/api/v1/shipments/{shipment_id}/void/").json()["state"] == "voided"
    order_a.refresh_from_db()
    assert order_a.status == "awaiting_shipment"


def test_void_twice_is_a_400(api_a, order_a):
    shipment_id = ship(api_a, order_a).json()["id"]
    api_a.post(f"/api/v1/shipments/{shipment_id}/void/")
    assert api_a.post(f"/api/v1/shipments/{shipment_id}/void/").status_code == 400


def test_mark_delivered(api_a, order_a):
    shipment_id = ship(api_a, order_a).json()["id"]
    response = api_a.post(f"/api/v1/shipments/{shipment_id}/mark-delivered/", {}, format="json")
    assert response.json()["state"] == "delivered" and response.json()["delivered_at"]


def test_retry_store_update(api_a, order_a):
    shipment_id = ship(api_a, order_a).json()["id"]
    response = api_a.post(f"/api/v1/shipments/{shipment_id}/retry-store-update/")
    assert response.status_code == 200 and response.json()["attempts"] >= 1


@pytest.mark.parametrize(
    "suffix", ["", "void/", "mark-delivered/", "retry-store-update/", "label/", "label/?format=zpl", "void-label/"]
)
def test_outsider_gets_404(api_a, api_b, order_a, suffix):
    shipment_id = ship(api_a, order_a).json()["id"]
    call = api_b.get if not suffix or suffix.startswith("label/") else api_b.post
    assert call(f"/api/v1/shipments/{shipment_id}/{suffix}").status_code == 404


def test_outsider_gets_404_on_tracking(api_a, api_b, order_a):
    shipment_id = ship(api_a, order_a).json()["id"]
    assert api_a.get(f"/api/v1/shipments/{shipment_id}/tracking/").status_code == 200
    assert api_b.get(f"/api/v1/shipments/{shipment_id}/tracking/").status_code == 404


@pytest.mark.parametrize("suffix", ["void/", "mark-delivered/", "retry-store-update/", "void-label/"])
def test_read_only_key_cannot_write(api_a, api_a_read, order_a, suffix):
    shipment_id = ship(api_a, order_a).json()["id"]
    assert api_a_read.post(f"/api/v1/shipments/{shipment_id}/{suffix}").status_code == 403
    assert Shipment.objects.get().state == "shipped"


def test_read_only_key_cannot_create(api_a_read, order_a):
    assert ship(api_a_read, order_a).status_code == 403 and not Shipment.objects.exists()


def test_unknown_line_id_is_a_400(api_a, order_a):
    missing = OrderLine.objects.order_by("-pk").first().pk + 100
    assert ship(api_a, order_a, lines=[{"line": missing, "quantity": 1}]).status_code == 400


def test_old_idempotency_records_are_pruned(api_a, order_a):
    from datetime import timedelta

    from django.utils import timezone

    from api.models import IdempotencyRecord
    from api.services import idempotency_records_prune

    api_a.post("/api/v1/shipments/", {"order": order_a.pk, **UPS}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert idempotency_records_prune() == 0
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(days=2))
    assert idempotency_records_prune() == 1


@pytest.mark.parametrize(
    "given,stored",
    [("DHL", "DHL"), ("DHL Express", "DHL"), ("dhl express", "DHL"), ("Canada Post", "CanadaPost"), ("fedex", "FedEx")],
)
def test_carrier_is_accepted_by_code_or_label(api_a, order_a, given, stored):
    response = ship(api_a, order_a, carrier=given)
    assert response.status_code == 201, response.json()
    assert response.json()["carrier"] == stored


def test_unknown_carrier_is_refused_in_plain_words(api_a, order_a):
    response = ship(api_a, order_a, carrier="Pigeon Post")
    assert response.status_code == 400 and "not a carrier Outbound knows" in str(response.json())
    assert not Shipment.objects.exists()


def test_schema_documents_carrier_codes_and_labels(client, db):
    schema = client.get("/api/schema/?format=json").json()
    carrier = schema["components"]["schemas"]["ShipmentCreateRequest"]["properties"]["carrier"]
    enum = schema["components"]["schemas"][carrier["allOf"][0]["$ref"].rsplit("/", 1)[1]]["enum"]
    assert "DHL" in enum and "DHL Express" in enum
    assert "`DHL` (DHL Express)" in carrier["description"]


def test_a_tracking_number_is_cleaned_or_refused_with_the_same_words(api_a, order_a, store_a):
    # Issue 25 item 2: the one rule of shipments/tracking_numbers.py.
    refused = ship(api_a, order_a, tracking_number="1Z 12,3")
    assert refused.status_code == 400
    assert refused.json()["error"]["details"]["tracking_number"] == [
        "Tracking number “1Z 12,3”: only letters and digits (spaces and dashes are removed)."
    ]
    created = ship(api_a, order_a, tracking_number="1Z 999-AA1 01")
    assert created.status_code == 201 and created.json()["tracking_number"] == "1Z999AA101"
