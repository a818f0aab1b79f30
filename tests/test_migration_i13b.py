"""Issue 13: the outbox moves to outbox/ (its shipment foreign key becomes a `ref`) and the webhook models
to webhooks/, their tables kept. A database holding outbox rows and webhook deliveries upgrades without
losing any, and downgrades back to the foreign key."""

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import make_store, make_tenant

BEFORE = [("shipments", "0001_initial"), ("api", "0003_i14_webhook_url_validator")]
MOVED = {"outbox": ["outboxmessage"], "webhooks": ["webhooksubscription", "webhookdelivery"]}


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


def _latest() -> None:
    latest = MigrationExecutor(connection)
    latest.migrate(latest.loader.graph.leaf_nodes())


# A shipped migration (its issue is closed): it unapplies most of the project's migrations and applies them
# again (minutes on SQLite), so it runs with `pytest -m slow` only (docs/testing.md#shipped-migrations).
@pytest.mark.slow
@pytest.mark.exhaustive
@pytest.mark.django_db(transaction=True)
def test_outbox_rows_and_webhook_deliveries_survive_the_move_and_the_way_back():
    from orders.models import Order
    from shipments.models import Shipment

    store = make_store(make_tenant())
    now = timezone.now()
    order = Order.objects.create(
        tenant_id=store.tenant_id,
        store=store,
        external_id="1",
        number="1",
        status="awaiting_shipment",
        order_date=now,
        modified_at=now,
    )
    shipment = Shipment.objects.create(tenant_id=store.tenant_id, order=order, carrier="UPS", ship_date=now.date())
    executor = _migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        Outbox = old.get_model("shipments", "OutboxMessage")
        Subscription, Delivery = old.get_model("api", "WebhookSubscription"), old.get_model("api", "WebhookDelivery")
        update = Outbox.objects.create(
            tenant_id=store.tenant_id,
            kind="store_update",
            shipment_id=shipment.pk,
            payload={"shipment_id": shipment.pk, "notify_customer": False},
            dedupe_key=f"store_update:{shipment.pk}",
            state="failed",
            attempts=10,
            last_error="HTTP 500",
        )
        email = Outbox.objects.create(
            tenant_id=store.tenant_id,
            kind="email",
            shipment_id=shipment.pk,
            payload={"shipment_id": shipment.pk, "email": "delivery_notice"},
            dedupe_key=f"email:delivery_notice:{shipment.pk}",
            state="sent",
        )
        subscription = Subscription.objects.create(
            tenant_id=store.tenant_id,
            url="https://hooks.example.com/x",
            events=["shipment.created"],
            secret_encrypted="token",
        )
        delivery = Delivery.objects.create(
            subscription=subscription,
            event_id=uuid.uuid4(),
            event="shipment.created",
            payload={"id": shipment.pk},
            state="failed",
            attempts=3,
            error="HTTP 502",
        )
        hook = Outbox.objects.create(
            tenant_id=store.tenant_id,
            kind="webhook",
            payload={"delivery_id": delivery.pk},
            dedupe_key=f"webhook:{delivery.event_id}",
            state="pending",
        )

        new = _migrate(executor.loader.graph.leaf_nodes()).loader.project_state().apps
        Outbox = new.get_model("outbox", "OutboxMessage")
        rows = {m.pk: m for m in Outbox.objects.all()}
        assert set(rows) == {update.pk, email.pk, hook.pk}
        assert (rows[update.pk].ref, rows[email.pk].ref, rows[hook.pk].ref) == (
            f"shipment:{shipment.pk}",
            f"shipment:{shipment.pk}",
            "",
        )
        assert (rows[update.pk].state, rows[update.pk].attempts, rows[update.pk].last_error) == (
            "failed",
            10,
            "HTTP 500",
        )
        assert rows[email.pk].payload == {"shipment_id": shipment.pk, "email": "delivery_notice"}
        assert rows[hook.pk].payload == {"delivery_id": delivery.pk}
        moved = new.get_model("webhooks", "WebhookDelivery").objects.select_related("subscription").get()
        assert (moved.pk, moved.event_id, moved.state, moved.attempts, moved.error) == (
            delivery.pk,
            delivery.event_id,
            "failed",
            3,
            "HTTP 502",
        )
        assert (moved.subscription.pk, moved.subscription.url) == (subscription.pk, "https://hooks.example.com/x")
        ContentType = new.get_model("contenttypes", "ContentType")
        for app_label, models in MOVED.items():
            assert set(ContentType.objects.filter(model__in=models).values_list("app_label", flat=True)) <= {app_label}

        # And back: the foreign key is filled again from the reference.
        old = _migrate(BEFORE).loader.project_state(BEFORE).apps
        back = dict(old.get_model("shipments", "OutboxMessage").objects.values_list("pk", "shipment_id"))
        assert back == {update.pk: shipment.pk, email.pk: shipment.pk, hook.pk: None}
        assert old.get_model("api", "WebhookDelivery").objects.get().pk == delivery.pk
    finally:
        # Back to the latest schema, so the tests after this one meet the tables the models describe.
        _latest()
    from outbox.models import OutboxMessage
    from shipments.selectors import store_updates_by_shipment

    assert store_updates_by_shipment(tenant=store.tenant, shipments=[shipment])[shipment.pk].pk == update.pk
    assert OutboxMessage.objects.count() == 3
