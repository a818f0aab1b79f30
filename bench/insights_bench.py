"""Benchmark the dashboard's picture of the day (orders.insights) on PostgreSQL: the per-day tallies the
database keeps (issue 31 part 8) against the live scan of every order it replaced (`insights(live=True)`),
both in the same run.

    .venv/bin/python bench/insights_bench.py [--orders 1000000] [--repeat 30] [--live-repeat 5]

Creates its own database (`outbound_bench_insights` on the server of DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/postgres), migrates it (the tallies' triggers on), and seeds by bulk SQL
(INSERT … SELECT generate_series, 100,000 rows a statement: the triggers count each statement's rows as a
set): one tenant, two stores, N orders over a year (tests.factories.bulk_orders: 40 % awaiting shipment,
30 % shipped), a shipment for each shipped order 4 to 72 hours after it (1 in 25 voided), a label bought
for half the shipments of the last 30 days (1 in 10 of them voided). It checks that the tallies give the
same picture as the live scan, then times both. The database is dropped at the end unless --keep. The
last line printed is one JSON object: {"orders", "p50_ms", "p95_ms", "live_p50_ms", "live_p95_ms", ...}.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from api_bench import bench_url, environment, recreate_database  # noqa: E402

NAME = "outbound_bench_insights"


def seed(n_orders: int):
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from labels.models import LabelPurchase
    from shipments.models import Shipment
    from stores.models import Tenant
    from stores.services import store_create
    from tests.factories import bulk_orders

    tenant = Tenant.objects.create(name="Bench", slug="bench")
    stores = [
        store_create(tenant=tenant, name=f"Bench store {i}", url="https://shop.example.com", username="u", password="p")
        for i in range(2)
    ]
    now = timezone.now()
    for done in bulk_orders(stores[0], n_orders, stores=stores, now=now):
        print(f"  orders: {done + 1:,} of {n_orders:,}", flush=True)
    first = tenant.orders.order_by("id").first()
    label_template = LabelPurchase(
        tenant=tenant, order=first, carrier="UPS", service="ups_ground", price="8.75", currency="USD", state="bought"
    )
    label_template.save()
    shipment_template = Shipment(
        tenant=tenant, order=first, carrier="UPS", service="Ground", tracking_number="T0", ship_date=now.date()
    )
    shipment_template.save()
    at = (
        "LEAST(o.order_date + (4 + mod(o.id * 7919, 69)) * interval '1 hour' "
        "+ mod(o.id * 104729, 60) * interval '1 minute', %(now)s)"
    )
    overrides = {
        "order_id": "o.id",
        "tenant_id": "o.tenant_id",
        "tracking_number": "'T' || o.id",
        "tracking_token": "NULL",  # unique (the buyers' tracking page): made when a notice first needs one
        "created_at": at,
        "updated_at": at,
        "ship_date": f"({at} AT TIME ZONE 'UTC')::date",
        "state": "CASE WHEN mod(o.id, 25) = 0 THEN 'voided' ELSE 'shipped' END",
    }
    _clone_per_order(
        connection, shipment_template, overrides, "o.status = 'shipped' AND o.id <> %(first)s", now, first.pk, "ships"
    )
    label_overrides = {
        "order_id": "s.order_id",
        "tenant_id": "s.tenant_id",
        "shipment_id": "s.id",
        "carrier": "'UPS'",
        "price": "6 + mod(s.id, 900) / 100.0",
        "state": "CASE WHEN mod(s.id, 10) = 0 THEN 'voided' ELSE 'bought' END",
        "reference": "'L' || s.id",
        "tracking_number": "s.tracking_number",
        "created_at": "s.created_at",
        "updated_at": "s.created_at",
    }
    columns = [f.column for f in LabelPurchase._meta.concrete_fields if f.column != "id"]
    select = ", ".join(label_overrides.get(c, f"t.{c}") for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO labels_labelpurchase ({', '.join(columns)}) SELECT {select} "  # noqa: S608
            "FROM labels_labelpurchase t, shipments_shipment s WHERE t.id = %(template)s AND s.tenant_id = %(tenant)s "
            "AND s.created_at >= %(since)s AND s.state = 'shipped' AND mod(s.id, 2) = 0 AND s.id <> %(skip)s",
            {
                "template": label_template.pk,
                "tenant": tenant.pk,
                "since": now - dt.timedelta(days=30),
                "skip": shipment_template.pk,
            },
        )
        print(f"  labels: {cursor.rowcount:,}", flush=True)
    LabelPurchase.objects.filter(pk=label_template.pk).delete()
    Shipment.objects.filter(pk=shipment_template.pk).delete()
    return tenant


def _clone_per_order(connection, template, overrides: dict, where: str, now, first_id: int, label: str):
    """One copy of `template` per order matching `where`, 100,000 orders a statement."""
    model = type(template)
    columns = [f.column for f in model._meta.concrete_fields if f.column != "id"]
    select = ", ".join(overrides.get(c, f"t.{c}") for c in columns)
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {select} "  # noqa: S608
        f"FROM {model._meta.db_table} t, orders_order o WHERE t.id = %(template)s AND {where} "
        "AND o.id BETWEEN %(lo)s AND %(hi)s"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id), MAX(id) FROM orders_order")
        lo_id, hi_id = cursor.fetchone()
        done = 0
        for lo in range(lo_id, hi_id + 1, 100_000):
            cursor.execute(sql, {"template": template.pk, "lo": lo, "hi": lo + 99_999, "now": now, "first": first_id})
            done += cursor.rowcount
            print(f"  {label}: {done:,}", flush=True)


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30, help="timed runs of the picture from the tallies")
    parser.add_argument("--live-repeat", type=int, default=5, help="timed runs of the live scan (the baseline)")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    database_url = bench_url(server, NAME)
    recreate_database(server, NAME)
    try:
        env = environment(database_url)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        os.environ.update(env)
        t0 = time.perf_counter()
        tenant = seed(args.orders)
        seed_s = time.perf_counter() - t0
        print(f"seeded {args.orders:,} orders (triggers on) in {seed_s:.1f} s")

        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # as autovacuum would after a bulk load
        from django.test.utils import CaptureQueriesContext

        from orders import tallies
        from orders.insights import insights

        t0 = time.perf_counter()
        tallies.rebuild(connection)
        rebuild_s = time.perf_counter() - t0
        with CaptureQueriesContext(connection) as ctx:
            data = insights(tenant=tenant)
        queries = len(ctx.captured_queries)
        with CaptureQueriesContext(connection) as ctx:
            live = insights(tenant=tenant, live=True)
        live_queries = len(ctx.captured_queries)
        equal = dataclasses.replace(live, tallied=True) == data
        print(f"tallies equal the live scan: {equal} (a full recount takes {rebuild_s:.1f} s)")
        ours = timed(lambda: insights(tenant=tenant), args.repeat)
        base = timed(lambda: insights(tenant=tenant, live=True), args.live_repeat)
        print(
            f"live scan ({live_queries} queries): p50 {statistics.median(base):.1f} ms, "
            f"p95 {percentile(base, 95):.1f} ms over {args.live_repeat} runs"
        )
        print(
            f"tallies ({queries} queries): p50 {statistics.median(ours):.1f} ms, p95 {percentile(ours, 95):.1f} ms "
            f"over {args.repeat} runs; {data.received_total:,} received and {data.shipped_total:,} shipped in 30 "
            f"days, {data.waiting.total:,} waiting, {sum(s.labels for s in data.spend.totals):,} labels"
        )
        print(
            json.dumps(
                {
                    "orders": args.orders,
                    "p50_ms": round(statistics.median(ours), 1),
                    "p95_ms": round(percentile(ours, 95), 1),
                    "live_p50_ms": round(statistics.median(base), 1),
                    "live_p95_ms": round(percentile(base, 95), 1),
                    "queries": queries,
                    "live_queries": live_queries,
                    "equal_to_live": equal,
                    "seed_s": round(seed_s, 1),
                    "rebuild_s": round(rebuild_s, 1),
                    "repeat": args.repeat,
                    "live_repeat": args.live_repeat,
                }
            )
        )
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            recreate_database(server, NAME, drop_only=True)


if __name__ == "__main__":
    main()
