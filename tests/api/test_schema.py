"""The OpenAPI document, the Swagger UI, and a bounded schemathesis run against the live WSGI app."""

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from stores.connector import ConnectionOutcome, ConnectionResult, StoreUnreachable
from tests.factories import make_order, make_product


def test_schema_describes_every_endpoint_with_bearer_auth(client, db):
    schema = client.get("/api/schema/?format=json").json()
    scheme = schema["components"]["securitySchemes"]["ApiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    operations = [op for path in schema["paths"].values() for op in path.values() if isinstance(op, dict)]
    assert len(operations) > 25
    assert all(op.get("summary") for op in operations)
    assert "/api/v1/shipments/" in schema["paths"]


def test_swagger_ui_is_served(client, db):
    assert client.get("/api/docs/").status_code == 200


# CI runs a bounded pass; SCHEMATHESIS_EXAMPLES=100 (say) runs a deeper one.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "6"))


class FakeClient:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def test_connection(self):
        return ConnectionResult(ConnectionOutcome.UNREACHABLE, "The store could not be reached.")

    def ship_notify(self, notice):
        raise StoreUnreachable("The store could not be reached.")


@pytest.fixture
def wsgi_app():
    # As Django's test client does: a request ending must not close the test's connection (PostgreSQL).
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setattr("stores.connector.client_for_store", lambda store, **kw: FakeClient())
    monkeypatch.setattr("orders.services.enqueue_import", lambda run_id: None)
    monkeypatch.setattr("outbox.services._schedule", lambda message_id: None)


def _automation_ids(tenant) -> dict:
    """Issue 30's resources: a tag, a shipping preset, a rule."""
    from carriers.services import carrier_account_create
    from orders.rules import services as rules

    account = carrier_account_create(tenant=tenant, carrier="USPS", client_id="id", client_secret="s")
    tag = rules.tag_save(tenant=tenant, name="gift")
    preset = rules.preset_save(tenant=tenant, name="Small", carrier_account=account, service="usps_ground_advantage")
    actions = [{"type": "add_tags", "tags": [tag.pk]}]
    rule = rules.rule_save(tenant=tenant, name="Gifts", conditions=[], actions=actions)
    return {"tags": tag.pk, "presets": preset.pk, "rules": rule.pk}


def real_ids(tenant, store, order, product):
    """An id that exists for each resource, so half the cases reach real objects, not only 404s."""
    from carriers.services import package_preset_create, ship_from_create
    from labels.models import Manifest
    from orders.models import ImportRun
    from shipments.services import shipment_create
    from webhooks.services import webhook_emit, webhook_subscription_create

    subscription, _ = webhook_subscription_create(
        tenant=tenant, url="https://hooks.example.com/x", events=["order.updated"]
    )
    shipment = shipment_create(order=make_order(store), carrier="UPS", created_by_label="test")
    dock = ship_from_create(tenant=tenant, name="Dock", street1="1 Dock Road", city="Austin", postal_code="78701")
    return {
        "stores": store.pk,
        "orders": order.pk,
        "products": product.pk,
        "shipments": shipment.pk,
        "import-runs": ImportRun.objects.create(store=store).pk,
        "webhooks": subscription.pk,
        "webhook-deliveries": webhook_emit(tenant=tenant, event="order.updated", payload={})[0].pk,
        "label-batches": _label_batch(tenant),
        "package-presets": package_preset_create(tenant=tenant, name="Box", length=10, width=8, height=4).pk,
        **_automation_ids(tenant),
        "ship-from": dock.pk,
        "manifests": Manifest.objects.create(
            tenant=tenant, ship_from=dock, carrier="USPS", ship_date="2026-12-07", state="made", document=b"%PDF-1.4"
        ).pk,
    }


def _label_batch(tenant) -> int:
    from labels.models import LabelBatch

    return LabelBatch.objects.create(tenant=tenant, key="schema", mode="cheapest").pk


def test_schemathesis_finds_no_server_errors_and_no_schema_breaks(key_a, tenant_a, store_a, store_b, offline, wsgi_app):
    orders = [make_order(store_a, lines=2) for _ in range(3)]
    make_order(store_b)
    ids = real_ids(tenant_a, store_a, orders[0], make_product(store_a))
    turn = iter(range(10**6))
    schema = schemathesis.from_wsgi("/api/schema/?format=json", wsgi_app)
    headers = {"Authorization": f"Bearer {key_a}"}
    failures, statuses = [], []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            if "id" in (case.path_parameters or {}) and next(turn) % 2:
                case.path_parameters["id"] = ids[case.operation.path.split("/")[3]]
            response = case.call_wsgi(headers=headers)
            statuses.append(response.status_code)
            case.validate_response(response, checks=(not_a_server_error, response_schema_conformance))

        try:
            check()
        except Exception as exc:  # collect every operation's failure, not just the first
            failures.append(f"{operation.verbose_name}: {exc}")
    assert not failures, "\n\n".join(failures)
    assert statuses.count(200) > 20  # the key worked: this was not a run of 401s


HOSTILE_KEYS = ["\x00", "key\x00with-nul", "tab\tkey", "x" * 256]


def test_hostile_requests_to_every_write_operation_are_answered_within_the_schema(
    key_a, tenant_a, store_a, offline, wsgi_app, settings
):
    """Issue 14: control characters in Idempotency-Key, JSON nested 100,000 deep and bodies over the size
    limit, sent to every write operation with real ids: never a 5xx, always a response the schema declares."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    ids = real_ids(tenant_a, store_a, make_order(store_a, lines=2), make_product(store_a))
    schema = schemathesis.from_wsgi("/api/schema/?format=json", wsgi_app)
    headers = {"Authorization": f"Bearer {key_a}"}
    bodies = {
        "deep JSON": ("[" * 100_000 + "]" * 100_000).encode(),
        "oversized": b'{"x": "' + b"y" * (128 * 1024) + b'"}',
    }
    failures, statuses = [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() not in ("POST", "PUT", "PATCH"):
            continue
        path_parameters = {"id": ids[operation.path.split("/")[3]]} if "{id}" in operation.path else None
        attempts = (
            [({"Idempotency-Key": key}, None) for key in HOSTILE_KEYS] if operation.method.upper() == "POST" else []
        )
        attempts += [({"Content-Type": "application/json"}, body) for body in bodies.values()]
        for extra, body in attempts:
            case = operation.make_case(
                path_parameters=path_parameters,
                media_type="application/json",
                **({} if body is not None else {"body": {}}),
            )
            kwargs = {"data": body} if body is not None else {}
            response = case.call_wsgi(headers={**headers, **extra}, **kwargs)
            statuses.append((operation.verbose_name, "Idempotency-Key" in extra, response.status_code))
            try:
                case.validate_response(response, checks=(not_a_server_error, response_schema_conformance))
            except Exception as exc:
                failures.append(f"{operation.verbose_name} {extra} {len(body or b'')} bytes: {exc}")
    assert not failures, "\n\n".join(failures)
    # A bad key is refused before anything runs (a body the operation does not read may be ignored: 2xx).
    assert [s for s in statuses if s[1] and s[2] != 400] == []
    assert len(statuses) > 40
