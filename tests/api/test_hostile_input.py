"""Hostile input to the API (issue 14): every refusal is the API's JSON error format, never a 500."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.models import IdempotencyRecord
from api.serializers import MAX_SHIPMENT_LINES
from tests.factories import operator_sign_in


@pytest.fixture(autouse=True)
def _no_store_calls(monkeypatch):
    monkeypatch.setattr("outbox.services._schedule", lambda message_id: None)


def error_code(response) -> str:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()["error"]["code"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("key", ["abc\x00def", "\x00", "tab\there", "line\nbreak"])
def test_control_characters_in_the_idempotency_key_are_a_400(api_a, order_a, key):
    response = api_a.post(
        "/api/v1/shipments/", {"order": order_a.pk, "carrier": "UPS"}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == 400 and error_code(response) == "invalid"
    assert "Idempotency-Key" in response.json()["error"]["details"]
    assert not IdempotencyRecord.objects.exists()


def test_json_nested_100000_deep_is_a_400(api_a):
    body = "[" * 100_000 + "]" * 100_000
    response = api_a.post("/api/v1/shipments/", body, content_type="application/json")
    assert response.status_code == 400 and error_code(response) == "parse_error"


def test_a_body_over_the_size_limit_is_the_api_error_format(api_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_a.post(
        "/api/v1/shipments/", json.dumps({"carrier": "UPS", "x": "y" * 5000}), content_type="application/json"
    )
    assert response.status_code == 413 and error_code(response) == "payload_too_large"


def test_a_long_list_of_unknown_line_ids_is_refused_without_a_query_per_id(api_a, order_a):
    lines = [{"line": 10_000_000 + i, "quantity": 1} for i in range(MAX_SHIPMENT_LINES)]
    with CaptureQueriesContext(connection) as queries:
        response = api_a.post(
            "/api/v1/shipments/", {"order": order_a.pk, "carrier": "UPS", "lines": lines}, format="json"
        )
    assert response.status_code == 400 and "lines" in response.json()["error"]["details"]
    assert len(queries) < 15, [q["sql"] for q in queries.captured_queries][:20]


def test_more_lines_than_the_maximum_are_refused_before_any_lookup(api_a, order_a):
    lines = [{"line": 10_000_000 + i, "quantity": 1} for i in range(60_000)]
    with CaptureQueriesContext(connection) as queries:
        response = api_a.post(
            "/api/v1/shipments/", {"order": order_a.pk, "carrier": "UPS", "lines": lines}, format="json"
        )
    assert response.status_code == 400
    assert str(MAX_SHIPMENT_LINES) in json.dumps(response.json()["error"]["details"]["lines"])
    assert len(queries) < 15


def test_the_maximum_is_documented_in_the_schema(api_a):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    lines = schema["components"]["schemas"]["ShipmentCreateRequest"]["properties"]["lines"]
    assert lines.get("maxItems") == MAX_SHIPMENT_LINES or str(MAX_SHIPMENT_LINES) in lines.get("description", "")


def test_a_webhook_secret_is_never_kept_in_the_replay_record(api_a, receiver_url):
    body = {"url": receiver_url, "events": ["order.updated"]}
    first = api_a.post("/api/v1/webhooks/", body, format="json", HTTP_IDEMPOTENCY_KEY="hook-1")
    secret = first.json()["secret"]
    assert first.status_code == 201 and secret.startswith("whsec_")
    record = IdempotencyRecord.objects.get(key="hook-1")
    assert secret not in json.dumps(record.response_body)
    replay = api_a.post("/api/v1/webhooks/", body, format="json", HTTP_IDEMPOTENCY_KEY="hook-1")
    assert replay["Idempotent-Replayed"] == "true" and secret not in replay.content.decode()
    assert replay.json()["secret"].endswith(secret[-4:])


def test_the_admin_never_shows_a_webhook_secret(admin_client_for, api_a, receiver_url):
    first = api_a.post(
        "/api/v1/webhooks/",
        {"url": receiver_url, "events": ["order.updated"]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="hook-2",
    )
    secret = first.json()["secret"]
    record = IdempotencyRecord.objects.get(key="hook-2")
    for url in (
        f"/admin/api/idempotencyrecord/{record.pk}/change/",
        "/admin/api/idempotencyrecord/",
        f"/admin/webhooks/webhooksubscription/{first.json()['id']}/change/",
    ):
        page = admin_client_for.get(url)
        assert page.status_code == 200 and secret not in page.content.decode()


@pytest.fixture
def receiver_url():
    return "http://127.0.0.1:9/hook"


@pytest.fixture
def admin_client_for(client, operator):
    operator_sign_in(client, operator)
    return client


@pytest.mark.parametrize("value", ["0244-07-24T17:14:52.621476+16:28", "2026-01-01T00:00:00-23:59"])
def test_a_date_filter_with_an_offset_the_database_cannot_read_still_filters(api_a, order_a, value):
    # Found by schemathesis on PostgreSQL: an offset beyond ±15:59 was a 500. It is read in UTC now.
    response = api_a.get("/api/v1/orders/", {"modified_since": value})
    assert response.status_code == 200 and response.json()["count"] == 1


def test_a_date_filter_that_leaves_the_calendar_in_utc_is_a_400(api_a, order_a):
    response = api_a.get("/api/v1/orders/", {"modified_since": "0001-01-01T00:00:00+05:00"})
    assert response.status_code == 400 and error_code(response) == "invalid", response.content[:300]


def test_a_date_filter_with_an_ordinary_offset_still_filters(api_a, order_a):
    assert api_a.get("/api/v1/orders/", {"modified_since": "2000-01-01T00:00:00+09:30"}).json()["count"] == 1
    assert api_a.get("/api/v1/orders/", {"modified_since": "2999-01-01T00:00:00+09:30"}).json()["count"] == 0
