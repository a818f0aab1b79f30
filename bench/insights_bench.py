"""Benchmark the dashboard's picture of the day (orders.insights) on PostgreSQL.

    .venv/bin/python bench/insights_bench.py [--orders 100000] [--repeat 5]

Creates its own database (`outbound_bench_insights` on the server of DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/postgres), migrates it, seeds one tenant with N orders spread over the
last 60 days (80 % shipped, 4 to 72 hours after ordering), and times `insights()` against a same-run
baseline: the dashboard's existing per-store status counts (`order_counts_by_store`, one GROUP BY over
the same orders). The database is dropped at the end unless --keep. The last line printed is one JSON
object: {"orders", "insights_p50_ms", "baseline_p50_ms", "queries", ...}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
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
    from django.utils import timezone

    from orders.models import Order
    from shipments.models import Shipment
    from stores.models import Tenant
    from stores.services import store_create

    tenant = Tenant.objects.create(name="Bench", slug="bench")
    store = store_create(tenant=tenant, name="Bench store", url="https://shop.example.com", username="u", password="p")
    rng = random.Random(17)
    now = timezone.now()
    batch = 5000
    for start in range(0, n_orders, batch):
        orders = Order.objects.bulk_create(
            [
                Order(
                    tenant=tenant,
                    store=store,
                    external_id=f"b{i}",
                    number=f"B{i}",
                    store_status="New",
                    status="awaiting_shipment",
                    order_date=now - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 60)),
                    modified_at=now,
                )
                for i in range(start, min(start + batch, n_orders))
            ]
        )
        shipments = []
        shipped_ids = []
        for order in orders:
            if rng.random() < 0.8:
                at = min(order.order_date + dt.timedelta(hours=rng.randint(4, 72)), now)
                shipments.append(
                    Shipment(
                        tenant=tenant,
                        order=order,
                        carrier="UPS",
                        service="Ground",
                        ship_date=at.date(),
                        created_at=at,
                        updated_at=at,
                    )
                )
                shipped_ids.append(order.pk)
        Shipment.objects.bulk_create(shipments)
        Order.objects.filter(pk__in=shipped_ids).update(status="shipped", shipping="full")
    return tenant


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
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
        print(f"seeded {args.orders:,} orders in {time.perf_counter() - t0:.1f} s")

        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a bulk load: the planner needs the row counts
        from django.test.utils import CaptureQueriesContext

        from orders.insights import insights
        from orders.selectors import order_counts_by_store

        with CaptureQueriesContext(connection) as ctx:
            data = insights(tenant=tenant)
        queries = len(ctx.captured_queries)
        base = timed(lambda: order_counts_by_store(tenant=tenant), args.repeat)
        ours = timed(lambda: insights(tenant=tenant), args.repeat)
        print(f"baseline order_counts_by_store: p50 {statistics.median(base):.1f} ms")
        print(
            f"insights ({queries} queries): p50 {statistics.median(ours):.1f} ms; "
            f"{data.received_total:,} received and {data.shipped_total:,} shipped in 30 days, "
            f"{data.waiting.total:,} waiting"
        )
        print(
            json.dumps(
                {
                    "orders": args.orders,
                    "insights_p50_ms": round(statistics.median(ours), 1),
                    "baseline_p50_ms": round(statistics.median(base), 1),
                    "queries": queries,
                    "repeat": args.repeat,
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
