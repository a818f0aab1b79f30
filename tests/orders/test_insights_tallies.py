"""Issue 31 part 8: the picture of the day reads per-day tallies that the database keeps (orders/tallies.py).

Whatever road a write takes (the import, the shipment services, bulk_create, QuerySet.update, a delete, a
flush), the tallies equal a recount from scratch, and the picture they give equals the live scan of the
orders (orders.insights with live=True)."""

import dataclasses
import datetime as dt
import random
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from labels.models import LabelPurchase
from orders import tallies
from orders.insights import insights
from orders.models import DayTally, Order, OrderStatus, ShipTimeTally, SpendTally
from orders.services import import_store_now
from shipments.models import Shipment
from shipments.services import shipment_void
from tests.factories import make_order, make_shipment, make_store
from tests.orders.conftest import connect

pytestmark = pytest.mark.django_db


def _rows():
    """Both tables' non-zero counts, as sets (a zero row and a missing row say the same)."""
    days = {
        (r.tenant_id, r.store_id, str(r.day), r.received, r.awaiting, r.shipped)
        for r in DayTally.objects.all()
        if r.received or r.awaiting or r.shipped
    }
    times = {(r.tenant_id, r.store_id, str(r.day), r.tenths, r.orders) for r in ShipTimeTally.objects.all() if r.orders}
    spend = {
        (
            r.tenant_id,
            r.store_id,
            str(r.day),
            r.carrier,
            r.currency,
            r.labels,
            r.amount,
            r.voided_labels,
            r.voided_amount,
        )
        for r in SpendTally.objects.all()
        if r.labels or r.voided_labels
    }
    return days, times, spend


def assert_tallies_are_a_recount(tenant, stores=(), now=None):
    """The kept tallies equal a rebuild from scratch, and the picture from them equals the live scan."""
    kept = _rows()
    tallies.rebuild(connection)
    assert _rows() == kept
    for store_id in (None, *[s.pk for s in stores]):
        tallied = insights(tenant=tenant, store_id=store_id, now=now)
        live = insights(tenant=tenant, store_id=store_id, now=now, live=True)
        assert tallied.tallied and not live.tallied
        assert dataclasses.replace(live, tallied=True) == tallied


def test_an_import_is_counted(sandbox_factory, tenant_a):
    server = sandbox_factory(orders=60, seed=11, page_size=25)
    store = connect(tenant_a, server)
    assert import_store_now(store=store, since=timezone.now() - dt.timedelta(days=90)).state == "succeeded"
    orders = Order.objects.for_tenant(tenant_a)
    assert orders.count() > 20
    assert sum(r.received for r in DayTally.objects.for_tenant(tenant_a)) == orders.count()
    assert (
        sum(r.awaiting for r in DayTally.objects.for_tenant(tenant_a))
        == orders.filter(status=OrderStatus.AWAITING_SHIPMENT).count()
    )
    assert_tallies_are_a_recount(tenant_a, [store])


def test_shipments_voids_and_a_second_shipment(store_a, tenant_a):
    now = timezone.now()
    first = make_order(store_a, order_date=now - dt.timedelta(days=2, hours=3), lines=2)
    lines = list(first.lines.all())
    s1 = make_shipment(first, lines={lines[0].pk: 2})
    assert DayTally.objects.for_tenant(tenant_a).get(day=s1.ship_date).shipped == 1
    s2 = make_shipment(first, lines={lines[1].pk: 2})  # same order, same day: counted once
    assert DayTally.objects.for_tenant(tenant_a).get(day=s1.ship_date).shipped == 1
    assert sum(r.orders for r in ShipTimeTally.objects.for_tenant(tenant_a)) == 1
    assert_tallies_are_a_recount(tenant_a, [store_a])
    shipment_void(shipment=s1)  # the second still ships the order that day; its first shipment moves
    assert DayTally.objects.for_tenant(tenant_a).get(day=s1.ship_date).shipped == 1
    assert_tallies_are_a_recount(tenant_a, [store_a])
    shipment_void(shipment=s2)
    assert DayTally.objects.for_tenant(tenant_a).get(day=s1.ship_date).shipped == 0
    assert sum(r.orders for r in ShipTimeTally.objects.for_tenant(tenant_a)) == 0
    assert_tallies_are_a_recount(tenant_a, [store_a])


def test_bulk_writes_updates_and_deletes(tenant_a, tenant_b):
    """The roads around the services: bulk_create, QuerySet.update of dates, states and statuses, deletes."""
    a1, a2 = make_store(tenant_a, name="One"), make_store(tenant_a, name="Two")
    b1 = make_store(tenant_b, name="Other")
    rng = random.Random(31)
    now = timezone.now()
    stores = [a1, a2, b1]
    orders = Order.objects.bulk_create(
        [
            Order(
                tenant=s.tenant,
                store=s,
                external_id=f"bulk{i}",
                number=f"B{i}",
                store_status="New",
                status=rng.choice([OrderStatus.AWAITING_SHIPMENT, OrderStatus.ON_HOLD, OrderStatus.SHIPPED]),
                order_date=now - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 70)),
                modified_at=now,
            )
            for i, s in enumerate(rng.choice(stores) for _ in range(120))
        ]
    )
    shipments = []
    for order in orders:
        for _ in range(rng.choice([0, 1, 1, 2])):
            at = order.order_date + dt.timedelta(hours=rng.randint(0, 100), minutes=rng.randint(0, 59))
            shipments.append(
                Shipment(
                    tenant_id=order.tenant_id,
                    order=order,
                    carrier="UPS",
                    ship_date=(order.order_date + dt.timedelta(days=rng.randint(0, 3))).date(),
                    state=rng.choice(["shipped", "shipped", "delivered", "voided"]),
                    created_at=at,
                    updated_at=at,
                )
            )
    Shipment.objects.bulk_create(shipments)
    labelled = rng.sample(orders, 40)
    LabelPurchase.objects.bulk_create(
        [
            LabelPurchase(
                tenant_id=order.tenant_id,
                order=order,
                carrier=rng.choice(["UPS", "USPS", "FedEx"]),
                service="svc",
                price=Decimal(rng.randint(300, 3000)) / 100,
                currency="USD",
                state=rng.choice(["bought", "bought", "voided", "failed", "uncertain"]),
                created_at=now - dt.timedelta(hours=rng.randint(0, 24 * 35)),
            )
            for order in labelled
        ]
    )
    assert_tallies_are_a_recount(tenant_a, [a1, a2])
    assert_tallies_are_a_recount(tenant_b, [b1])
    labels = list(LabelPurchase.objects.values_list("pk", flat=True))
    LabelPurchase.objects.filter(pk__in=rng.sample(labels, 10)).update(state="voided")
    LabelPurchase.objects.filter(pk__in=rng.sample(labels, 5)).update(price=Decimal("1.11"))
    LabelPurchase.objects.filter(pk__in=rng.sample(labels, 5)).delete()

    ids = [s.pk for s in shipments]
    Shipment.objects.filter(pk__in=rng.sample(ids, 30)).update(state="voided")
    Shipment.objects.filter(pk__in=rng.sample(ids, 30)).update(state="shipped")
    for pk in rng.sample(ids, 20):
        Shipment.objects.filter(pk=pk).update(
            created_at=now - dt.timedelta(hours=rng.randint(0, 24 * 60)), ship_date=now.date()
        )
    order_ids = [o.pk for o in orders]
    Order.objects.filter(pk__in=rng.sample(order_ids, 30)).update(status=OrderStatus.AWAITING_SHIPMENT)
    for pk in rng.sample(order_ids, 15):
        Order.objects.filter(pk=pk).update(order_date=now - dt.timedelta(hours=rng.randint(0, 24 * 40)))
    Order.objects.filter(pk__in=rng.sample(order_ids, 5), tenant=tenant_a).update(store=a2)
    assert_tallies_are_a_recount(tenant_a, [a1, a2])

    Order.objects.filter(pk__in=rng.sample(order_ids, 25)).delete()  # their shipments go first
    Shipment.objects.filter(pk__in=rng.sample(list(Shipment.objects.values_list("pk", flat=True)), 10)).delete()
    assert_tallies_are_a_recount(tenant_a, [a1, a2])
    assert_tallies_are_a_recount(tenant_b, [b1])


def test_a_refresh_repairs_lost_tallies(store_a, tenant_a):
    make_shipment(make_order(store_a, order_date=timezone.now() - dt.timedelta(hours=5)))
    make_order(store_a)
    good = insights(tenant=tenant_a)
    LabelPurchase.objects.create(
        tenant=tenant_a,
        order=make_order(store_a),
        carrier="UPS",
        service="s",
        price="7.00",
        currency="USD",
        state="bought",
    )
    good = insights(tenant=tenant_a)
    DayTally.objects.all().delete()
    ShipTimeTally.objects.all().delete()
    SpendTally.objects.all().delete()
    assert insights(tenant=tenant_a) != good
    call_command("refresh_insights")
    assert insights(tenant=tenant_a) == good


def test_missing_triggers_are_put_back_by_migrate(store_a, tenant_a):
    """A later SQLite migration that rebuilds the orders table drops its triggers: post_migrate puts them
    back and recounts."""
    tallies.uninstall(connection)
    make_order(store_a)  # not counted: no triggers
    assert not tallies.installed(connection)
    assert tallies.ensure(connection) is True
    assert tallies.installed(connection)
    assert sum(r.received for r in DayTally.objects.for_tenant(tenant_a)) == 1
    assert tallies.ensure(connection) is False  # nothing to repair
    make_order(store_a)
    assert sum(r.received for r in DayTally.objects.for_tenant(tenant_a)) == 2


def test_another_time_zone_reads_the_live_scan(store_a, tenant_a):
    make_order(store_a, order_date=timezone.now() - dt.timedelta(hours=2))
    with timezone.override("America/New_York"):
        data = insights(tenant=tenant_a)
    assert not data.tallied and data.waiting.total == 1
    assert insights(tenant=tenant_a).tallied


@pytest.mark.django_db(transaction=True)
def test_a_flush_leaves_sane_tallies(store_a, tenant_a):
    """A flush empties the tables in any order (on SQLite the order deletes fire the triggers after the
    tallies were emptied): post_migrate, which a flush sends, recounts what cannot be right."""
    make_shipment(make_order(store_a))
    call_command("flush", interactive=False, verbosity=0)
    assert not DayTally.objects.exclude(received=0, awaiting=0, shipped=0).exists()
    assert not ShipTimeTally.objects.exclude(orders=0).exists()
