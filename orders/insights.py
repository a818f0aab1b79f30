"""A picture of the day: orders received and shipped per day, orders waiting by age, ship time per week.

Four queries whatever the store's size, each an aggregate in SQL (works on SQLite and PostgreSQL):

    received per day     Order      GROUP BY the order's local day          (the last DAYS days)
    shipped per day      Order      GROUP BY its shipments' ship date       (orders, counted once a day)
    waiting by age       Order      one row of conditional counts           (Awaiting Shipment now)
    ship time per week   Order      (week, tenths of hours) histogram       (order date → first shipment)

The median needs the orders' own ship times: the fourth query takes each order whose first active
shipment falls in the last WEEKS weeks and groups them in SQL by (week, ship time in tenths of an hour),
a histogram of a few thousand rows at most whatever the volume; each week's median is read off it.
Shipments are read through the reverse relation `shipments` (this module sits below the shipments app,
which imports orders).

Days are local days of the active time zone. A shipment's day is its ship date (what the merchant entered);
ship time runs from the order date to the moment the first shipment that is not voided was recorded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from stores.models import Tenant

from .models import Order, OrderStatus

DAYS = 30
WEEKS = 8
LATE_AFTER_DAYS = 3  # an order waiting this many days or more is late
# shipments.models.ShipmentState other than "voided" (not imported: the shipments app imports orders).
ACTIVE_SHIPMENT_STATES = ("shipped", "delivered")


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    received: int
    shipped: int


@dataclass(frozen=True)
class WeekShipTime:
    week_start: dt.date  # a Monday
    orders: int  # orders whose first shipment was recorded that week
    median_hours: float | None  # None for a week with no shipment


@dataclass(frozen=True)
class Waiting:
    today: int  # received today (local day)
    one_to_two_days: int  # received yesterday or the day before
    three_days_or_more: int  # late

    @property
    def total(self) -> int:
        return self.today + self.one_to_two_days + self.three_days_or_more


@dataclass(frozen=True)
class Insights:
    today: dt.date
    days: list[DayCount]
    waiting: Waiting
    weeks: list[WeekShipTime]

    @property
    def received_total(self) -> int:
        return sum(d.received for d in self.days)

    @property
    def shipped_total(self) -> int:
        return sum(d.shipped for d in self.days)


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone())


def insights(*, tenant: Tenant, store_id=None, now: dt.datetime | None = None) -> Insights:
    """The tenant's picture of the day (optionally one store's), as of `now` (default: now)."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    today = timezone.localtime(now, tz).date()
    first_day = today - dt.timedelta(days=DAYS - 1)
    orders = Order.objects.for_tenant(tenant)
    if store_id:
        orders = orders.filter(store_id=store_id)

    received = {
        row["day"]: row["n"]
        for row in orders.filter(
            order_date__gte=_midnight(first_day), order_date__lt=_midnight(today + dt.timedelta(days=1))
        )
        .annotate(day=TruncDate("order_date", tzinfo=tz))
        .order_by()
        .values("day")
        .annotate(n=Count("id"))
    }
    shipped = _shipped_per_day(orders, first_day, today)
    days = [
        DayCount(day=day, received=received.get(day, 0), shipped=shipped.get(day, 0))
        for day in (first_day + dt.timedelta(days=i) for i in range(DAYS))
    ]

    late_before = _midnight(today - dt.timedelta(days=LATE_AFTER_DAYS - 1))
    today_start = _midnight(today)
    waiting_row = orders.filter(status=OrderStatus.AWAITING_SHIPMENT).aggregate(
        today=Count("id", filter=Q(order_date__gte=today_start)),
        recent=Count("id", filter=Q(order_date__gte=late_before, order_date__lt=today_start)),
        late=Count("id", filter=Q(order_date__lt=late_before)),
    )
    waiting = Waiting(
        today=waiting_row["today"], one_to_two_days=waiting_row["recent"], three_days_or_more=waiting_row["late"]
    )

    monday = today - dt.timedelta(days=today.weekday())
    first_week = monday - dt.timedelta(weeks=WEEKS - 1)
    per_week: dict[dt.date, dict[int, int]] = {first_week + dt.timedelta(weeks=i): {} for i in range(WEEKS)}
    for day, tenths, n in _ship_time_histogram(tenant=tenant, store_id=store_id, since=_midnight(first_week)):
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
        week = day - dt.timedelta(days=day.weekday())
        if week in per_week:
            tenths = max(int(round(tenths or 0)), 0)  # an order dated after its shipment counts as 0 h
            per_week[week][tenths] = per_week[week].get(tenths, 0) + n
    weeks = [
        WeekShipTime(week_start=week, orders=sum(histogram.values()), median_hours=_median(histogram))
        for week, histogram in per_week.items()
    ]
    return Insights(today=today, days=days, waiting=waiting, weeks=weeks)


def _median(histogram: dict[int, int]) -> float | None:
    """The median of a {tenths of an hour: count} histogram, in hours (one decimal), or None when empty."""
    total = sum(histogram.values())
    if not total:
        return None
    wanted = [(total - 1) // 2, total // 2]  # the middle one, or the two middle ones
    found, seen = [], 0
    for value in sorted(histogram):
        count = histogram[value]
        found += [value for index in wanted if seen <= index < seen + count]
        seen += count
    return round(sum(found) / len(found) / 10, 1)


def _ship_time_histogram(*, tenant: Tenant, store_id, since: dt.datetime) -> list[tuple]:
    """[(local day of the first shipment, ship time in tenths of an hour, orders)] for the orders whose first
    active shipment was recorded at or after `since`, in one query.

    The first shipment is a MIN per order, and the histogram a GROUP BY over those: an aggregate over an
    aggregate, which the ORM cannot write, hence this SQL (PostgreSQL and SQLite; the backend's own
    datetime_cast_date_sql gives the local day on each). Only the orders with an active shipment since
    `since` are grouped (the shipments' (tenant, created_at) index finds them), so the cost follows the
    weeks shown, not the store's history."""
    shipments = Order._meta.get_field("shipments").related_model._meta.db_table
    orders = Order._meta.db_table
    vendor = connection.vendor
    states = ", ".join(["%s"] * len(ACTIVE_SHIPMENT_STATES))
    store_sql, store_params = ("AND o.store_id = %s", [store_id]) if store_id else ("", [])
    tzname = timezone.get_current_timezone_name() if settings.USE_TZ else None
    day_sql, day_params = connection.ops.datetime_cast_date_sql("f.first_at", (), tzname)
    if vendor == "sqlite":
        hours = "((julianday(f.first_at) - julianday(f.order_date)) * 24.0)"
    else:
        hours = "(EXTRACT(EPOCH FROM (f.first_at - f.order_date)) / 3600.0)"
    # Only table names (from the models' meta) and the backend's own expressions are put in the text;
    # every value is a parameter.
    sql = f"""
        SELECT {day_sql} AS day, ROUND({hours} * 10) AS tenths, COUNT(*) AS n
        FROM (
            SELECT o.id, o.order_date, MIN(s.created_at) AS first_at
            FROM {orders} o JOIN {shipments} s ON s.order_id = o.id
            WHERE o.tenant_id = %s {store_sql} AND s.state IN ({states})
              AND o.id IN (SELECT r.order_id FROM {shipments} r
                           WHERE r.tenant_id = %s AND r.created_at >= %s AND r.state IN ({states}))
            GROUP BY o.id, o.order_date
            HAVING MIN(s.created_at) >= %s
        ) f
        GROUP BY 1, 2
    """  # noqa: S608
    params = [
        *day_params,
        tenant.pk,
        *store_params,
        *ACTIVE_SHIPMENT_STATES,
        tenant.pk,
        since,
        *ACTIVE_SHIPMENT_STATES,
        since,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _shipped_per_day(orders, first_day: dt.date, today: dt.date) -> dict[dt.date, int]:
    """{ship date: orders with an active shipment dated that day} in one GROUP BY."""
    rows = (
        orders.filter(
            shipments__ship_date__gte=first_day,
            shipments__ship_date__lte=today,
            shipments__state__in=ACTIVE_SHIPMENT_STATES,
        )
        .order_by()
        .values("shipments__ship_date")
        .annotate(n=Count("id", distinct=True))
    )
    return {row["shipments__ship_date"]: row["n"] for row in rows}
