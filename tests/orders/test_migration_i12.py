"""The migration that adds Order.shipping fills it from the shipments already recorded."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import make_store, make_tenant

BEFORE = [("orders", "0004_skipped_orders")]
AFTER = [("orders", "0005_i12_shipping_attention")]


# A shipped migration (its issue is closed): it unapplies most of the project's migrations and applies them
# again (minutes on SQLite), so it runs with `pytest -m slow` only (docs/testing.md#shipped-migrations).
@pytest.mark.slow
@pytest.mark.exhaustive
@pytest.mark.django_db(transaction=True)
def test_shipping_is_filled_from_existing_shipments():
    store = make_store(make_tenant())
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state([*BEFORE, ("shipments", "0001_initial")]).apps
    Order, OrderLine = apps.get_model("orders", "Order"), apps.get_model("orders", "OrderLine")
    Shipment, ShipmentLine = apps.get_model("shipments", "Shipment"), apps.get_model("shipments", "ShipmentLine")
    now = timezone.now()

    def order(number, *shipments):
        o = Order.objects.create(
            tenant_id=store.tenant_id,
            store_id=store.pk,
            external_id=number,
            number=number,
            status="awaiting_shipment",
            order_date=now,
            modified_at=now,
        )
        line = OrderLine.objects.create(order=o, line_key="1", quantity=2)
        OrderLine.objects.create(order=o, line_key="ebook", quantity=1, is_shippable=False)
        for qty, state in shipments:
            s = Shipment.objects.create(
                tenant_id=store.tenant_id,
                order=o,
                carrier="ups",
                ship_date=now.date(),
                state=state,
                created_at=now,
                updated_at=now,
            )
            ShipmentLine.objects.create(shipment=s, order_line=line, quantity=qty)
        return o.pk

    ids = {
        "none": order("1"),
        "partial": order("2", (1, "shipped")),
        "full": order("3", (1, "shipped"), (1, "delivered")),
        "voided": order("4", (2, "voided")),
        "reshipped": order("5", (2, "voided"), (2, "shipped")),
    }
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    # Back to the latest schema, so the tests after this one meet the tables the models describe.
    latest = MigrationExecutor(connection)
    latest.migrate(latest.loader.graph.leaf_nodes())
    from orders.models import Order as Current

    shipping = dict(Current.objects.filter(pk__in=ids.values()).values_list("pk", "shipping"))
    assert {name: shipping[pk] for name, pk in ids.items()} == {
        "none": "none",
        "partial": "partial",
        "full": "full",
        "voided": "voided",
        "reshipped": "full",
    }
