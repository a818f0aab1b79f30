"""Acceptance tests of issue 14 against a small hostile store: a password echoed by the store is found
nowhere (database, logs, pages), and a store that drips its answer is cut off at the deadline."""

from __future__ import annotations

import base64
import datetime as dt
import logging

import pytest
from django.contrib import admin
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from api.services import api_key_create
from orders.models import ImportState, Order
from orders.services import import_store_now
from outbox.models import OutboxMessage
from outbox.services import outbox_relay
from shipments.services import shipment_create
from stores.connector.registry import client_for_store
from stores.models import Role
from tests import factories
from tests.api.conftest import bearer
from tests.factories import make_order, operator_sign_in
from tests.hostile import USERNAME, HostileStore, export_xml, first_import_only, order_xml

SENTINEL = "Sntl-Pw-90210-zq"
TOKEN = base64.b64encode(f"{USERNAME}:{SENTINEL}".encode()).decode()
ECHO = f"Login failed for {USERNAME}:{SENTINEL} (Authorization: Basic {TOKEN})"
SINCE = timezone.now() - dt.timedelta(days=3650)


def fault(text: str) -> bytes:
    return f"<fault><faultcode>9</faultcode><faultstring>{text}</faultstring></fault>".encode()


@pytest.fixture
def hostile():
    stores: list[HostileStore] = []

    def make(answer, **options) -> HostileStore:
        store = HostileStore(answer=answer, **options).start()
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.stop()


def every_text_in_the_database() -> str:
    """Every row of every table, as text (the suite's tables are small)."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the schema itself
            for row in cursor.fetchall():
                chunks.append(repr(row))
                chunks.extend(bytes(v).decode("utf-8", "replace") for v in row if isinstance(v, (bytes, memoryview)))
    return "\n".join(chunks)


def admin_pages(client) -> list[str]:
    urls = []
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        for pk in model._default_manager.values_list("pk", flat=True)[:20]:
            urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[pk]))
    return urls


@pytest.mark.django_db(transaction=True)
def test_a_password_echoed_by_the_store_is_found_nowhere(hostile, tenant_a, bob, operator, caplog, client):
    caplog.set_level(logging.DEBUG)
    behaviour = {"export": "good", "shipnotify": "fault"}

    def answer(request):
        action = request.query.get("action")
        mode = behaviour[action]
        if mode == "fault":
            return 200, fault(ECHO), {}
        if mode == "text":
            return 200, ECHO.encode(), {"Content-Type": "text/plain"}
        if mode == "cut":  # an excerpt's cut falls inside the password
            return 400, ("x" * 180 + f" {SENTINEL}" + "y" * 100).encode(), {"Content-Type": "text/plain"}
        return first_import_only(lambda: export_xml([order_xml("ORD-1"), order_xml("ORD-2")]))(request)

    server = hostile(answer, password=SENTINEL)
    store = server.connect(tenant_a)

    # Orders arrive; then the store starts echoing the password in every way it can.
    assert import_store_now(store=store, since=SINCE).state == ImportState.SUCCEEDED
    for mode in ("fault", "text", "cut"):
        behaviour["export"] = mode
        run = import_store_now(store=store, since=SINCE)
        assert run.state == ImportState.FAILED and "***" in run.error, run.error
    # Ship notices: a fault echo (refused), then a 200 text echo (accepted, its body kept as the answer).
    orders = list(Order.objects.filter(store=store).order_by("external_id"))
    shipment_create(order=orders[0], carrier="UPS", tracking_number="1ZECHO1")
    outbox_relay(limit=10)
    behaviour["shipnotify"] = "text"
    shipment_create(order=orders[1], carrier="UPS", tracking_number="1ZECHO2")
    outbox_relay(limit=10)
    assert OutboxMessage.objects.filter(state="failed").count() == 1
    assert OutboxMessage.objects.filter(state="sent").count() == 1
    # The connection test a person runs from the portal.
    behaviour["export"] = "fault"
    result = client_for_store(store).test_connection()
    assert not result.ok and SENTINEL not in result.message

    found = every_text_in_the_database()
    assert "Login failed" in found  # the echoes did land, masked
    assert SENTINEL not in found and TOKEN not in found
    assert SENTINEL not in caplog.text and TOKEN not in caplog.text

    # Every page a person or a program can read: the API (read-only key), the portal (viewer), the admin.
    api = bearer(api_key_create(tenant=tenant_a, name="reports", read_only=True)[1])
    api_urls = [
        "/api/v1/stores/",
        f"/api/v1/stores/{store.pk}/",
        "/api/v1/import-runs/",
        "/api/v1/orders/",
        "/api/v1/shipments/",
        "/api/v1/webhook-deliveries/",
    ]
    api_urls += [f"/api/v1/import-runs/{pk}/" for pk in store.import_runs.values_list("pk", flat=True)]
    api_urls += [f"/api/v1/orders/{o.pk}/" for o in orders]
    pages = []
    for url in api_urls:
        response = api.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
    client.force_login(bob)
    assert bob.memberships.get().role == Role.VIEWER
    portal_urls = [
        reverse("portal:dashboard"),
        reverse("portal:store_list"),
        reverse("portal:order_list"),
        reverse("portal:store_settings", args=[store.pk]),
    ]
    portal_urls += [reverse("portal:order_detail", args=[o.pk]) for o in orders]
    for url in portal_urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
    operator_sign_in(client, operator)
    for url in admin_pages(client):
        response = client.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
    assert any("Login failed" in page for page in pages)
    assert all(SENTINEL not in page and TOKEN not in page for page in pages)


@pytest.mark.django_db
def test_an_import_from_a_store_dripping_one_byte_a_second_fails_within_the_deadline(hostile, tenant_a, settings):
    settings.STORE_REQUEST_DEADLINE = 3
    server = hostile(lambda request: (200, export_xml([order_xml("D-1")]), {}), drip=1.0)
    store = server.connect(tenant_a)
    run = import_store_now(store=store, since=SINCE)
    assert run.state == ImportState.FAILED
    assert "did not deliver its answer within 3 s" in run.error and "try again later" in run.error
    assert len(server.requests) == 1  # no retry past the deadline
    # The acceptance line asks for it: the run ended within the configured deadline (plus the run's own work).
    assert (run.finished_at - run.started_at).total_seconds() < settings.STORE_REQUEST_DEADLINE + 5
    store.refresh_from_db()
    assert (
        factories.import_state(store).import_running_since is None
        and factories.import_state(store).last_import_ok is False
    )


@pytest.mark.django_db
def test_a_ship_notice_to_a_dripping_store_is_cut_off_and_retried(hostile, tenant_a, settings):
    settings.STORE_REQUEST_DEADLINE = 2
    server = hostile(lambda request: (200, b"<ok/>" + b" " * 100, {}), drip=0.5)
    store = server.connect(tenant_a)
    order = make_order(store)
    shipment_create(order=order, carrier="UPS", tracking_number="1ZDRIP")
    outbox_relay(limit=10, kinds=["store_update"])
    message = OutboxMessage.objects.get(kind="store_update")
    assert message.state == "pending" and message.attempts == 1
    assert "did not deliver its answer within 2 s" in message.last_error
