"""A picture of the day: orders received and shipped per day, orders waiting by age, ship time per week.

Four queries whatever the store's size, each an aggregate in SQL (works on SQLite and PostgreSQL):

    received per day     Order      GROUP BY the order's local day          (the last DAYS days)
    shipped per day      Order      GROUP BY its shipments' ship date       (orders, counted once a day)
    waiting by age       Order      one row of conditional counts           (Awaiting Shipment now)
    ship time per week   Order      MIN(first active shipment) per order    (order date → first shipment)

The median needs the orders' own ship times: the fourth query returns one row per order shipped in
the last WEEKS weeks (its order date and first shipment, grouped by order in SQL), and the median of each
week is taken from them. Shipments are read through the reverse relation `shipments` (this module sits
below the shipments app, which imports orders).

Days are local days of the active time zone. A shipment's day is its ship date (what the merchant entered);
ship time runs from the order date to the moment the first shipment that is not voided was recorded.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from django.db.models import Count, Min, Q
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
        for row in orders.filter(order_date__gte=_midnight(first_day),
                                 order_date__lt=_midnight(today + dt.timedelta(days=1)))
        .annotate(day=TruncDate("order_date", tzinfo=tz)).order_by().values("day").annotate(n=Count("id"))
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
    waiting = Waiting(today=waiting_row["today"], one_to_two_days=waiting_row["recent"],
                      three_days_or_more=waiting_row["late"])

    monday = today - dt.timedelta(days=today.weekday())
    first_week = monday - dt.timedelta(weeks=WEEKS - 1)
    per_week: dict[dt.date, list[float]] = {first_week + dt.timedelta(weeks=i): [] for i in range(WEEKS)}
    active = Q(shipments__state__in=ACTIVE_SHIPMENT_STATES)
    rows = (orders.annotate(first_shipment=Min("shipments__created_at", filter=active))
            .filter(first_shipment__gte=_midnight(first_week)).order_by()
            .values_list("order_date", "first_shipment"))
    for ordered, first_shipment in rows.iterator(chunk_size=2000):
        local = timezone.localtime(first_shipment, tz).date()
        week = local - dt.timedelta(days=local.weekday())
        if week in per_week:
            per_week[week].append(max((first_shipment - ordered).total_seconds(), 0) / 3600)
    weeks = [WeekShipTime(week_start=week, orders=len(hours),
                          median_hours=round(statistics.median(hours), 1) if hours else None)
             for week, hours in per_week.items()]
    return Insights(today=today, days=days, waiting=waiting, weeks=weeks)


def _shipped_per_day(orders, first_day: dt.date, today: dt.date) -> dict[dt.date, int]:
    """{ship date: orders with an active shipment dated that day} in one GROUP BY."""
    rows = (orders.filter(shipments__ship_date__gte=first_day, shipments__ship_date__lte=today,
                          shipments__state__in=ACTIVE_SHIPMENT_STATES)
            .order_by().values("shipments__ship_date").annotate(n=Count("id", distinct=True)))
    return {row["shipments__ship_date"]: row["n"] for row in rows}
