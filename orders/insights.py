"""A picture of the day: orders received and shipped per day, orders waiting by age, ship time per week, and
label spend per day, carrier and store (docs/insights.md).

It reads the per-day tallies the database keeps (orders/tallies.py): three queries over (days × stores)
rows whatever the number of orders —

    label spend          SpendTally      (day, carrier, store, currency) rows of the last DAYS days
    days and waiting     DayTally        GROUP BY day (30 days, and the older days with orders waiting)
    ship time per week   ShipTimeTally   GROUP BY (week, tenths of hours) over the last WEEKS weeks

The tallies count UTC days. Under another active time zone, and with `live=True` (the tests' recount and
the bench's baseline), the same figures come from the live scan below: four aggregates over the orders,
and a fifth over the label purchases of the last DAYS days (label_spend):

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
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from stores.models import Tenant

from .models import DayTally, Order, OrderStatus, ShipTimeTally, SpendTally

DAYS = 30
WEEKS = 8
LATE_AFTER_DAYS = 3  # an order waiting this many days or more is late
# shipments.models.ShipmentState other than "voided" (not imported: the shipments app imports orders).
ACTIVE_SHIPMENT_STATES = ("shipped", "delivered")
# labels.models.PurchaseState values (not imported: the labels app imports orders).
BOUGHT, VOIDED = "bought", "voided"


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
class Spend:
    """Label spend: labels bought (state `bought` now) and their carrier's charge, apart from the labels
    bought then voided (their charge refunded or being refunded). Grouped by `key` (a day, a carrier
    or a store id) and currency."""

    key: object
    currency: str
    labels: int
    amount: Decimal
    voided_labels: int
    voided_amount: Decimal


@dataclass(frozen=True)
class LabelSpend:
    rows: list[tuple]  # (day, carrier, store id, currency, labels, amount, voided labels, voided amount)

    def _by(self, index: int) -> list[Spend]:
        sums: dict[tuple, list] = {}
        for row in self.rows:
            entry = sums.setdefault((row[index], row[3]), [0, Decimal(0), 0, Decimal(0)])
            for i in range(4):
                entry[i] += row[4 + i]
        return [Spend(key, currency, *values) for (key, currency), values in sorted(sums.items(), key=_spend_order)]

    @property
    def per_day(self) -> list[Spend]:
        return self._by(0)

    @property
    def per_carrier(self) -> list[Spend]:
        return self._by(1)

    @property
    def per_store(self) -> list[Spend]:
        return self._by(2)

    @property
    def totals(self) -> list[Spend]:
        """One row per currency over the whole window."""
        sums: dict[str, list] = {}
        for row in self.rows:
            entry = sums.setdefault(row[3], [0, Decimal(0), 0, Decimal(0)])
            for i in range(4):
                entry[i] += row[4 + i]
        return [Spend(None, currency, *values) for currency, values in sorted(sums.items())]


def _spend_order(item):
    (key, currency), _values = item
    return (str(key), currency)


@dataclass(frozen=True)
class Insights:
    today: dt.date
    days: list[DayCount]
    waiting: Waiting
    weeks: list[WeekShipTime]
    spend: LabelSpend = field(default_factory=lambda: LabelSpend(rows=[]))
    tallied: bool = False  # read from the tallies (False: the live scan)

    @property
    def received_total(self) -> int:
        return sum(d.received for d in self.days)

    @property
    def shipped_total(self) -> int:
        return sum(d.shipped for d in self.days)


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone())


def tallies_apply() -> bool:
    """The tallies count UTC days: they answer when the active time zone's days are UTC days."""
    return not settings.USE_TZ or timezone.get_current_timezone_name() in ("UTC", "Etc/UTC")


def insights(*, tenant: Tenant, store_id=None, now: dt.datetime | None = None, live: bool = False) -> Insights:
    """The tenant's picture of the day (optionally one store's), as of `now` (default: now): from the
    tallies, or from a live scan of the orders when `live` or under a time zone other than UTC."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    today = timezone.localtime(now, tz).date()
    first_day = today - dt.timedelta(days=DAYS - 1)
    if not live and tallies_apply():
        spend = _tallied_spend(tenant=tenant, store_id=store_id, first_day=first_day, today=today)
        return _tallied(tenant=tenant, store_id=store_id, today=today, first_day=first_day, spend=spend)
    spend = label_spend(tenant=tenant, store_id=store_id, first_day=first_day, today=today)
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

    first_week, per_week = _week_range(today)
    for day, tenths, n in _ship_time_histogram(tenant=tenant, store_id=store_id, since=_midnight(first_week)):
        _add_to_week(per_week, day, tenths, n)
    weeks = _weeks(per_week)
    return Insights(today=today, days=days, waiting=waiting, weeks=weeks, spend=spend)


def _week_range(today: dt.date) -> tuple[dt.date, dict[dt.date, dict[int, int]]]:
    monday = today - dt.timedelta(days=today.weekday())
    first_week = monday - dt.timedelta(weeks=WEEKS - 1)
    return first_week, {first_week + dt.timedelta(weeks=i): {} for i in range(WEEKS)}


def _add_to_week(per_week: dict, day, tenths, n: int) -> None:
    day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
    week = day - dt.timedelta(days=day.weekday())
    if week in per_week and n:
        tenths = max(int(round(tenths or 0)), 0)  # an order dated after its shipment counts as 0 h
        per_week[week][tenths] = per_week[week].get(tenths, 0) + n


def _weeks(per_week: dict[dt.date, dict[int, int]]) -> list[WeekShipTime]:
    return [
        WeekShipTime(week_start=week, orders=sum(histogram.values()), median_hours=_median(histogram))
        for week, histogram in per_week.items()
    ]


def _tallied(*, tenant: Tenant, store_id, today: dt.date, first_day: dt.date, spend: LabelSpend) -> Insights:
    """The picture from the tallies: two queries, over (days × stores) and (days × ship times) rows."""
    days_q = DayTally.objects.for_tenant(tenant)
    times_q = ShipTimeTally.objects.for_tenant(tenant)
    if store_id:
        days_q, times_q = days_q.filter(store_id=store_id), times_q.filter(store_id=store_id)
    # The window's days, and the older days that still have orders waiting (the late ones).
    rows = (
        days_q.filter(Q(day__gte=first_day) | ~Q(awaiting=0))
        .order_by()
        .values("day")
        .annotate(received=Sum("received"), shipped=Sum("shipped"), awaiting=Sum("awaiting"))
    )
    per_day = {row["day"]: row for row in rows}
    days = [
        DayCount(
            day=day,
            received=(per_day.get(day) or {}).get("received") or 0,
            shipped=(per_day.get(day) or {}).get("shipped") or 0,
        )
        for day in (first_day + dt.timedelta(days=i) for i in range(DAYS))
    ]
    late_before = today - dt.timedelta(days=LATE_AFTER_DAYS - 1)
    waiting = Waiting(
        today=sum(r["awaiting"] for d, r in per_day.items() if d >= today),
        one_to_two_days=sum(r["awaiting"] for d, r in per_day.items() if late_before <= d < today),
        three_days_or_more=sum(r["awaiting"] for d, r in per_day.items() if d < late_before),
    )
    first_week, per_week = _week_range(today)
    weeks = _tallied_weeks(times_q.filter(day__gte=first_week), list(per_week))
    return Insights(today=today, days=days, waiting=waiting, weeks=weeks, spend=spend, tallied=True)


def _tallied_weeks(times_q, week_starts: list[dt.date]) -> list[WeekShipTime]:
    """Each week's orders and median ship time from the ship-time tallies, the median found in SQL: the
    (week, tenths) histogram is summed, a running count over it picks the one or two middle rows of each week
    (window functions, SQLite and PostgreSQL), and only those rows come back (at most two a week)."""
    histogram = (
        times_q.exclude(orders=0)
        .annotate(week=TruncWeek("day"))
        .order_by()
        .values("week", "tenths")
        .annotate(n=Sum("orders"))
    )
    inner, params = histogram.query.sql_with_params()
    # Only the ORM's own SQL (tenant-scoped by the caller's queryset) is put in the text; values are parameters.
    sql = f"""
        SELECT week, tenths, upto - n, n, total FROM (
            SELECT week, tenths, n,
                   CAST(SUM(n) OVER (PARTITION BY week ORDER BY tenths) AS BIGINT) AS upto,
                   CAST(SUM(n) OVER (PARTITION BY week) AS BIGINT) AS total
            FROM ({inner}) h
        ) c
        WHERE upto - n <= total / 2 AND upto > (total - 1) / 2
    """  # noqa: S608
    found: dict[dt.date, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for week, tenths, before, n, total in cursor.fetchall():
            if isinstance(week, dt.datetime):
                week = week.date()
            elif not isinstance(week, dt.date):
                week = dt.date.fromisoformat(str(week)[:10])
            total, before, n = int(total), int(before), int(n)
            entry = found.setdefault(week, {"total": total, "values": []})
            # Each middle index this row holds, its value clamped (an order dated after its shipment: 0 h).
            middle = ((total - 1) // 2, total // 2)
            entry["values"] += [max(int(round(tenths)), 0) for i in middle if before <= i < before + n]
    weeks = []
    for week in week_starts:
        entry = found.get(week)
        if not entry or not entry["total"]:
            weeks.append(WeekShipTime(week_start=week, orders=0, median_hours=None))
            continue
        values = entry["values"]
        weeks.append(
            WeekShipTime(week_start=week, orders=entry["total"], median_hours=round(sum(values) / len(values) / 10, 1))
        )
    return weeks


def _tallied_spend(*, tenant: Tenant, store_id, first_day: dt.date, today: dt.date) -> LabelSpend:
    """The label spend from its tallies: one query over (days × stores × carriers) rows."""
    qs = SpendTally.objects.for_tenant(tenant).filter(day__gte=first_day, day__lte=today)
    if store_id:
        qs = qs.filter(store_id=store_id)
    rows = (
        qs.exclude(labels=0, voided_labels=0)
        .order_by()
        .values_list("day", "carrier", "store_id", "currency")
        .annotate(Sum("labels"), Sum("amount"), Sum("voided_labels"), Sum("voided_amount"))
    )
    return LabelSpend(
        rows=sorted((*row[:4], row[4], row[5] or Decimal(0), row[6], row[7] or Decimal(0)) for row in rows)
    )


def label_spend(*, tenant: Tenant, store_id=None, first_day: dt.date, today: dt.date) -> LabelSpend:
    """Labels bought from `first_day` to `today` (local days of their purchase), one GROUP BY: the ones
    still bought (spend) and the ones voided since (refunded), per day, carrier, store and currency.
    Read through Order's reverse relation (the labels app sits beside this one and imports it)."""
    purchases = Order._meta.get_field("label_purchases").related_model
    tz = timezone.get_current_timezone()
    qs = purchases.objects.for_tenant(tenant).filter(
        created_at__gte=_midnight(first_day),
        created_at__lt=_midnight(today + dt.timedelta(days=1)),
        state__in=(BOUGHT, VOIDED),
        price__isnull=False,
    )
    # The store of each label by an index lookup of its order (a join would read the tenant's every order).
    qs = qs.annotate(store=Subquery(Order.objects.filter(pk=OuterRef("order_id")).order_by().values("store_id")[:1]))
    if store_id:
        qs = qs.filter(store=store_id)
    rows = (
        qs.annotate(day=TruncDate("created_at", tzinfo=tz))
        .order_by()
        .values("day", "carrier", "store", "currency")
        .annotate(
            labels=Count("id", filter=Q(state=BOUGHT)),
            amount=Sum("price", filter=Q(state=BOUGHT)),
            voided=Count("id", filter=Q(state=VOIDED)),
            voided_amount=Sum("price", filter=Q(state=VOIDED)),
        )
    )
    return LabelSpend(
        rows=sorted(
            (
                r["day"],
                r["carrier"],
                r["store"],
                r["currency"],
                r["labels"],
                r["amount"] or Decimal(0),
                r["voided"],
                r["voided_amount"] or Decimal(0),
            )
            for r in rows
        )
    )


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
