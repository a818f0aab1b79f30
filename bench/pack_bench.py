"""Benchmark the pack station (issue 32) on PostgreSQL: scan a slip → the order shown, scan an item → the tick.

    .venv/bin/python bench/pack_bench.py [--orders 100000] [--scans 200] [--keep]

Creates its own database (`outbound_bench_pack` on the server of DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/postgres), migrates it, and seeds N orders of two lines each in the table
(70 % of the tenant scanning, 30 % of a second one sharing the tables), 5,000 products per tenant with two
barcodes each, then ANALYZE. The pack page's own endpoints are called through Django's test client, in
process (the whole request path: middleware, session, the view, its queries and writes; no network):

- slip: POST /pack/slip/ with an order number (a random order awaiting shipment) → the order's lines;
- item: POST /pack/<session>/scan/ with a code (its SKU, the store's UPC, a product barcode, a wrong item or an
  unknown code, in that mix) → the tick or the refusal.

The baseline, in the same run on the same data: the same slip scans with PostgreSQL told not to use indexes
(`enable_indexscan`, `enable_bitmapscan`, `enable_indexonlyscan` off): what a lookup without the (tenant,
number) index costs. The plan of the slip's lookup is printed. The last line printed is one JSON object:
{"slip_p50_ms", "slip_p95_ms", "item_p50_ms", "item_p95_ms", "baseline": {...}, "orders", "scans", ...};
the target is 300 ms at p95 for both.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from api_bench import bench_url, environment, recreate_database  # noqa: E402

NAME = "outbound_bench_pack"
TARGET_MS = 300
PRODUCTS = 5000


def seed(n_orders: int):
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from orders.models import Order, OrderLine, Product
    from packing.models import ProductBarcode
    from stores.models import Membership, Role, Tenant
    from stores.services import store_create

    user = get_user_model().objects.create_user("packer", password="bench-pass-1")
    tenants = []
    for slug, share in (("bench", 0.7), ("other", 0.3)):
        tenant = Tenant.objects.create(name=slug.title(), slug=slug)
        store = store_create(
            tenant=tenant, name=f"{slug} store", url="https://shop.example.com", username="u", password="p"
        )
        tenants.append((tenant, store, int(n_orders * share)))
    Membership.objects.create(tenant=tenants[0][0], user=user, role=Role.OWNER)
    rng = random.Random(32)
    now = timezone.now()
    statuses = ["awaiting_shipment"] * 4 + ["shipped"] * 4 + ["on_hold", "cancelled"]
    for tenant, store, count in tenants:
        products = Product.objects.bulk_create(
            [Product(store=store, sku=f"SKU-{p:05d}", name=f"Product {p}") for p in range(PRODUCTS)]
        )
        ProductBarcode.objects.bulk_create(
            [
                ProductBarcode(tenant=tenant, store=store, product=product, code=f"{prefix}{product.pk:012d}")
                for product in products
                for prefix in ("50", "77")
            ]
        )
        batch = 5000
        for start in range(0, count, batch):
            orders = Order.objects.bulk_create(
                [
                    Order(
                        tenant=tenant,
                        store=store,
                        external_id=f"{tenant.slug}-{i}",
                        number=f"{100000 + i}",
                        store_status="New",
                        status=statuses[rng.randrange(len(statuses))],
                        order_date=now,
                        modified_at=now,
                        ship_to_name=f"Buyer {i}",
                    )
                    for i in range(start, min(start + batch, count))
                ]
            )
            lines = []
            for order in orders:
                for position, p in enumerate(rng.sample(range(PRODUCTS), 2), 1):
                    lines.append(
                        OrderLine(
                            order=order,
                            line_key=str(position),
                            position=position,
                            sku=f"SKU-{p:05d}",
                            name=f"Product {p}",
                            quantity=rng.choice((1, 1, 2, 3)),
                            unit_price=Decimal("9.99"),
                            upc=f"0{p:011d}",
                        )
                    )
            OrderLine.objects.bulk_create(lines)
    return tenants[0][0], user


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def summary(values):
    return {"p50_ms": round(statistics.median(values), 1), "p95_ms": round(percentile(values, 95), 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--scans", type=int, default=200)
    parser.add_argument("--baseline-scans", type=int, default=50)
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
        tenant, user = seed(args.orders)
        took = time.perf_counter() - t0
        print(f"seeded {args.orders:,} orders (two lines each) and {2 * PRODUCTS:,} products in {took:.1f} s")
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django.urls import reverse

        from orders.models import Order
        from packing.models import ProductBarcode, ScanEvent

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a bulk load
        client = Client()
        client.force_login(user)
        rng = random.Random(7)
        awaiting = list(
            Order.objects.for_tenant(tenant).filter(status="awaiting_shipment").values_list("number", flat=True)
        )
        numbers = rng.sample(awaiting, args.scans + args.baseline_scans)

        cpu: dict[str, list[float]] = {"slip": [], "item": [], "baseline": []}

        def post(url, data, kind):
            t, c = time.perf_counter(), time.process_time()
            response = client.post(url, data, secure=True)
            cpu[kind].append((time.process_time() - c) * 1000)  # this process's CPU: the code, not the wait
            return (time.perf_counter() - t) * 1000, response

        client.post(reverse("portal:pack_slip"), {"code": numbers[-1]}, secure=True)  # warm: the first request
        barcodes = dict(
            ProductBarcode.objects.for_tenant(tenant).filter(code__startswith="50").values_list("product__sku", "code")
        )
        # Each order as the bench does it: its slip, then one item (one order on the bench at a time).
        slip_ms, item_ms, results, queries = [], [], {}, {}
        for n, number in enumerate(numbers[: args.scans]):
            with CaptureQueriesContext(connection) as slip_queries:
                ms, response = post(reverse("portal:pack_slip"), {"code": number}, "slip")
            assert response.status_code == 200, response.content
            slip_ms.append(ms)
            answer = response.json()
            line = answer["lines"][n % len(answer["lines"])]
            kind = n % 8
            if kind in (0, 1, 2):
                code = line["sku"]
            elif kind == 3:
                code = "0" + line["sku"].split("-")[1].rjust(11, "0")  # the store's UPC
            elif kind in (4, 5):
                code = barcodes[line["sku"]]  # a barcode added to the product
            elif kind == 6:
                code = f"SKU-{rng.randrange(PRODUCTS):05d}"  # most likely a wrong item
            else:
                code = f"NOPE-{n}"  # an unknown code
            with CaptureQueriesContext(connection) as item_queries:
                ms, response = post(reverse("portal:pack_scan", args=[answer["session"]]), {"code": code}, "item")
            assert response.status_code in (200, 409), response.content
            item_ms.append(ms)
            result = response.json()["result"]
            results[result] = results.get(result, 0) + 1
            queries.setdefault("slip", set()).add(len(slip_queries.captured_queries))
            queries.setdefault(result, set()).add(len(item_queries.captured_queries))
        with connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN SELECT * FROM orders_order WHERE tenant_id = %s AND number = %s LIMIT 5",
                [tenant.pk, numbers[0]],
            )
            plan = "\n".join(row[0] for row in cursor.fetchall())
        print("slip lookup plan:\n" + plan)
        # The baseline: the same slip scans, PostgreSQL told not to use an index.
        with connection.cursor() as cursor:
            for setting in ("enable_indexscan", "enable_bitmapscan", "enable_indexonlyscan"):
                cursor.execute(f"SET {setting} = off")
        base_ms = []
        for number in numbers[args.scans :]:
            ms, response = post(reverse("portal:pack_slip"), {"code": number}, "baseline")
            assert response.status_code == 200, response.content
            base_ms.append(ms)
        with connection.cursor() as cursor:
            cursor.execute("RESET ALL")
        slip, item, base = summary(slip_ms), summary(item_ms), summary(base_ms)
        print(f"slip scan → order shown ({args.scans}): p50 {slip['p50_ms']} ms, p95 {slip['p95_ms']} ms")
        print(
            f"item scan → tick or refusal ({args.scans}: {results}): p50 {item['p50_ms']} ms, p95 {item['p95_ms']} ms"
        )
        print(f"baseline, slip scan without indexes ({len(base_ms)}): p50 {base['p50_ms']} ms, p95 {base['p95_ms']} ms")
        cpu_p50 = {kind: round(statistics.median(values), 1) for kind, values in cpu.items()}
        print(f"this process's CPU per request, p50 (the rest is waiting for the CPU and the database): {cpu_p50}")
        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"scan events recorded: {ScanEvent.objects.count():,}; queries per request: {queries}")
        print(
            json.dumps(
                {
                    "orders": args.orders,
                    "scans": args.scans,
                    "client": "django test client, in process (no network)",
                    "slip_p50_ms": slip["p50_ms"],
                    "slip_p95_ms": slip["p95_ms"],
                    "item_p50_ms": item["p50_ms"],
                    "item_p95_ms": item["p95_ms"],
                    "item_results": results,
                    "queries_per_request": {k: sorted(v) for k, v in queries.items()},
                    "target_ms": TARGET_MS,
                    "cpu_p50_ms": cpu_p50,
                    "load_average": round(os.getloadavg()[0], 1),
                    "baseline": {
                        "slip_without_indexes_p50_ms": base["p50_ms"],
                        "slip_without_indexes_p95_ms": base["p95_ms"],
                    },
                }
            )
        )
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            recreate_database(server, NAME, drop_only=True)


if __name__ == "__main__":
    main()
