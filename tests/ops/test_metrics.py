"""/metrics (issue 31, part 2): refused without the token or an allowed network; every named series exposed;
the numbers move after an import, a shipment and a failed store; operator alerts counted (part 7)."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from orders.models import Order
from orders.services import import_store_now
from outbox.services import outbox_relay
from shipments.services import shipment_create
from tests.factories import connect_sandbox
from tests.orders.conftest import mapping_with_customs

TOKEN = "metrics-token-for-tests-0123456789"
SERIES = [
    "outbound_stores_by_import_lag",
    "outbound_import_oldest_success_age_seconds",
    "outbound_stores_failing",
    "outbound_import_runs_failed_24h",
    "outbound_orders_imported_24h",
    "outbound_orders_updated_24h",
    "outbound_outbox_depth",
    "outbound_outbox_oldest_pending_age_seconds",
    "outbound_outbox_dead",
    "outbound_tracking_due",
    "outbound_tracking_failing",
    "outbound_webhook_deliveries_failed_24h",
    "outbound_fleet",
    "outbound_operator_alerts",
    "outbound_labels_bought",
    "outbound_label_spend",
    "outbound_label_purchases_uncertain",
]


def scrape(client) -> dict:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    values: dict = {"families": set()}
    for family in text_string_to_metric_families(response.content.decode()):
        values["families"].add(family.name)
        for sample in family.samples:
            key = sample.name + "".join(f"|{k}={v}" for k, v in sorted(sample.labels.items()))
            values[key] = sample.value
    return values


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []


@pytest.mark.django_db
def test_metrics_are_refused_without_the_token_or_an_allowed_network(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "", []
    assert client.get("/metrics").status_code == 403  # neither set: nobody
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}x").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    settings.TRUSTED_PROXY_COUNT = 1  # behind a proxy: the client's address is the one it saw, not REMOTE_ADDR
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.7").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 200


def test_the_numbers_move_after_an_import_a_shipment_and_a_failed_store(client, metrics_on, tenant_a, sandbox_factory):
    before = scrape(client)
    assert set(SERIES) <= before["families"]
    assert before["outbound_orders_imported_24h"] == 0
    assert before.get("outbound_outbox_depth|kind=store_update", 0) == 0
    assert before["outbound_stores_failing"] == 0

    shop = sandbox_factory(orders=40, seed=5)
    store = connect_sandbox(tenant_a, shop, name="Good shop", mapping=mapping_with_customs())
    run = import_store_now(store=store, since=timezone.now() - dt.timedelta(days=120))
    assert run.orders_created > 0
    after_import = scrape(client)
    assert after_import["outbound_orders_imported_24h"] == run.orders_created == Order.objects.count()
    assert after_import["outbound_stores_by_import_lag|bucket=15m"] == 1
    assert after_import["outbound_stores_by_import_lag|bucket=never"] == 0

    order = Order.objects.filter(store=store, status="awaiting_shipment").first()
    shipment_create(order=order, carrier="UPS", tracking_number="1ZMETRICS1")
    after_shipment = scrape(client)
    assert after_shipment["outbound_outbox_depth|kind=store_update"] == 1
    assert after_shipment["outbound_outbox_oldest_pending_age_seconds|kind=store_update"] >= 0

    broken = sandbox_factory(orders=5, seed=6)
    failing = connect_sandbox(tenant_a, broken, name="Broken shop", mapping=mapping_with_customs())
    broken.set_faults(down=True)
    failed_run = import_store_now(store=failing, since=timezone.now() - dt.timedelta(days=120))
    assert failed_run.state == "failed"
    after_failure = scrape(client)
    assert after_failure["outbound_stores_failing"] == 1
    assert after_failure["outbound_fleet|item=stores_failing"] == 1
    assert after_failure["outbound_import_runs_failed_24h"] == 1
    assert after_failure["outbound_orders_imported_24h"] == run.orders_created  # the failure imported nothing


def test_a_store_update_dead_after_its_retries_alerts_the_admins_and_is_counted(
    client, metrics_on, settings, tenant_a, sandbox_factory
):
    settings.ADMINS = [("Ops", "ops@example.com"), ("oncall@example.com", "oncall@example.com")]
    settings.OUTBOX_MAX_ATTEMPTS = 3
    shop = sandbox_factory(orders=20, seed=8)
    store = connect_sandbox(tenant_a, shop, name="Flaky shop", mapping=mapping_with_customs())
    import_store_now(store=store, since=timezone.now() - dt.timedelta(days=120))
    order = Order.objects.filter(store=store, status="awaiting_shipment").first()
    shipment_create(order=order, carrier="UPS", tracking_number="1ZDEADLETTER")
    shop.set_faults(sequence=["500"] * 20, actions="shipnotify")
    assert scrape(client)["outbound_operator_alerts_total"] == 0
    mail.outbox.clear()
    for day in (1, 2):
        outbox_relay(now=timezone.now() + dt.timedelta(days=day), kinds=["store_update"])
    assert not [m for m in mail.outbox if "ops@example.com" in m.to]  # still retrying: nobody told yet
    outbox_relay(now=timezone.now() + dt.timedelta(days=3), kinds=["store_update"])

    alerts = [m for m in mail.outbox if m.to == ["ops@example.com", "oncall@example.com"]]
    assert len(alerts) == 1
    assert "Flaky shop" in alerts[0].subject
    assert order.number in alerts[0].body and "gave up after 3 attempts" in alerts[0].body
    after = scrape(client)
    assert after["outbound_operator_alerts_total"] == 1
    assert after["outbound_fleet|item=operator_alerts"] == 1
    assert after["outbound_outbox_dead|kind=store_update"] == 1
    assert after["outbound_fleet|item=outbox_dead"] == 1

    # A second update of the same store dying within the hour: logged, not mailed again.
    second = Order.objects.filter(store=store, status="awaiting_shipment").exclude(pk=order.pk).first()
    shipment_create(order=second, carrier="UPS", tracking_number="1ZDEADLETTER2")
    for day in (4, 5, 6):
        outbox_relay(now=timezone.now() + dt.timedelta(days=day), kinds=["store_update"])
    assert scrape(client)["outbound_outbox_dead|kind=store_update"] == 2
    assert len([m for m in mail.outbox if m.to == ["ops@example.com", "oncall@example.com"]]) == 1
