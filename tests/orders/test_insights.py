"""Issue 17 item 6: the picture of the day (orders.insights), figures checked against hand-built orders,
in a constant number of queries (issue 31 part 8: three, read from the tallies; the live scan agrees)."""

import dataclasses
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.insights import DAYS, WEEKS, insights
from orders.models import OrderStatus
from shipments.services import shipment_void
from tests.factories import make_order, make_shipment, make_store

NOW = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)  # a Wednesday


def _ship(order, *, hours_after: float, ship_date=None):
    shipment = make_shipment(order, ship_date=ship_date or (order.order_date + dt.timedelta(hours=hours_after)).date())
    created = order.order_date + dt.timedelta(hours=hours_after)
    type(shipment).objects.filter(pk=shipment.pk).update(created_at=created)
    return shipment


@pytest.mark.django_db
def test_received_shipped_waiting_and_ship_time(store_a, store_b):
    today = NOW.date()
    # Received: two today, one yesterday, one 40 days ago (outside the 30 days).
    make_order(store_a, order_date=NOW - dt.timedelta(hours=1))
    make_order(store_a, order_date=NOW - dt.timedelta(hours=2))
    make_order(store_a, order_date=NOW - dt.timedelta(days=1))
    make_order(store_a, order_date=NOW - dt.timedelta(days=40))
    # Waiting: the four above are all awaiting shipment; a 5-day-old one is late; an on-hold one does not count.
    make_order(store_a, order_date=NOW - dt.timedelta(days=5))
    make_order(store_a, order_date=NOW - dt.timedelta(days=5), status=OrderStatus.ON_HOLD)
    # Shipped: two orders of last week shipped 10 h and 30 h after ordering; one shipped then voided.
    monday = today - dt.timedelta(days=today.weekday())
    last_week = monday - dt.timedelta(days=7)
    o1 = make_order(store_a, order_date=timezone.make_aware(dt.datetime.combine(last_week, dt.time(8))))
    o2 = make_order(store_a, order_date=timezone.make_aware(dt.datetime.combine(last_week, dt.time(9))))
    o3 = make_order(store_a, order_date=timezone.make_aware(dt.datetime.combine(last_week, dt.time(9))))
    _ship(o1, hours_after=10)
    _ship(o2, hours_after=30)
    shipment_void(shipment=_ship(o3, hours_after=2))
    # Another tenant's orders never count.
    make_order(store_b, order_date=NOW - dt.timedelta(hours=1))

    with CaptureQueriesContext(connection) as ctx:
        data = insights(tenant=store_a.tenant, now=NOW)
    assert len(ctx.captured_queries) == 3 and data.tallied
    assert dataclasses.replace(insights(tenant=store_a.tenant, now=NOW, live=True), tallied=True) == data

    assert len(data.days) == DAYS and data.days[-1].day == today
    by_day = {d.day: d for d in data.days}
    assert by_day[today].received == 2
    assert by_day[today - dt.timedelta(days=1)].received == 1
    assert data.received_total == 2 + 1 + 1 + 1 + 3  # 40-day-old left out; hold and last week's three in
    assert by_day[last_week].shipped == 1  # o1 shipped the same day (10 h later)
    assert by_day[last_week + dt.timedelta(days=1)].shipped == 1  # o2 the next day; o3's shipment is voided
    assert data.shipped_total == 2

    assert (data.waiting.today, data.waiting.one_to_two_days, data.waiting.three_days_or_more) == (2, 1, 3)

    assert len(data.weeks) == WEEKS and data.weeks[-1].week_start == monday
    week = {w.week_start: w for w in data.weeks}
    assert week[last_week].orders == 2 and week[last_week].median_hours == 20.0
    assert week[monday].orders == 0 and week[monday].median_hours is None


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_store(tenant_a):
    store = make_store(tenant_a, name="Big")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            insights(tenant=tenant_a, now=NOW)
        return len(ctx.captured_queries)

    small = count()
    for i in range(30):
        order = make_order(store, order_date=NOW - dt.timedelta(days=i % 20, hours=5))
        if i % 2:
            _ship(order, hours_after=3)
    assert count() == small == 3


@pytest.mark.django_db
def test_ship_time_counts_each_order_once_at_its_first_active_shipment(store_a, tenant_a):
    today = NOW.date()
    monday = today - dt.timedelta(days=today.weekday())
    ordered = timezone.make_aware(dt.datetime.combine(monday - dt.timedelta(weeks=WEEKS + 2), dt.time(8)))
    # Shipped (first) long before the window, then again inside it: not in the window's weeks.
    old = make_order(store_a, order_date=ordered)
    old.lines.update(quantity=5)
    first_old = make_shipment(old, lines={old.lines.first().pk: 4}, ship_date=ordered.date())  # 1 left to ship
    type(first_old).objects.filter(pk=first_old.pk).update(created_at=ordered + dt.timedelta(hours=5))
    second = make_shipment(old, lines={old.lines.first().pk: 1})
    type(second).objects.filter(pk=second.pk).update(created_at=NOW - dt.timedelta(days=1))
    # Two shipments in the window: counted once, at the first (6 h); a voided earlier one does not count.
    recent = make_order(store_a, order_date=NOW - dt.timedelta(hours=30), lines=2)
    lines = list(recent.lines.all())
    shipment_void(shipment=_ship(recent, hours_after=1))
    first = make_shipment(recent, lines={lines[0].pk: 1})
    type(first).objects.filter(pk=first.pk).update(created_at=recent.order_date + dt.timedelta(hours=6))
    later = make_shipment(recent, lines={lines[1].pk: 1})
    type(later).objects.filter(pk=later.pk).update(created_at=recent.order_date + dt.timedelta(hours=20))
    # Another store's order only counts without the store filter.
    other = make_order(make_store(tenant_a, name="Outlet"), order_date=NOW - dt.timedelta(hours=10))
    _ship(other, hours_after=2)

    for live in (False, True):
        weeks = insights(tenant=tenant_a, now=NOW, live=live).weeks
        assert sum(w.orders for w in weeks) == 2
        only_a = insights(tenant=tenant_a, store_id=store_a.pk, now=NOW, live=live).weeks
        assert [(w.orders, w.median_hours) for w in only_a if w.orders] == [(1, 6.0)]
