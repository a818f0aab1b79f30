"""Benchmark the order list of the REST API on PostgreSQL.

    .venv/bin/python bench/api_bench.py [--orders 100000] [--requests 300] [--workers 2]

Creates its own database (`outbound_bench` on the server of DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/postgres), migrates it, seeds one tenant with N orders
(bulk_create), serves the API with gunicorn on loopback and times
`GET /api/v1/orders/?status=awaiting_shipment&page_size=100` with a Bearer key. The database is
dropped at the end unless --keep. The last line printed is one JSON object:
{"p50_ms", "p95_ms", "queries_per_request", "orders", ...}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import _setup  # noqa: E402

URL = "/api/v1/orders/?status=awaiting_shipment&page_size=100"


def admin_url(database_url: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))


def bench_url(database_url: str, name: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def recreate_database(database_url: str, name: str, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(admin_url(database_url).replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(database_url: str) -> dict[str, str]:
    env = _setup.environment(
        database_url,
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="False",
        SESSION_COOKIE_SECURE="False",
        CSRF_COOKIE_SECURE="False",
        SECURE_HSTS_SECONDS="0",
        API_RATE_LIMIT="1000000/min",
    )
    if os.environ.get("CREDENTIAL_KEYS"):
        env["CREDENTIAL_KEYS"] = os.environ["CREDENTIAL_KEYS"]
    return env


def seed(n_orders: int) -> str:
    """One tenant, two stores, n orders (40 % awaiting shipment); returns a live API key."""
    import django

    django.setup()
    from datetime import timedelta
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone

    from api.services import api_key_create
    from orders.models import Order, OrderStatus
    from stores.models import Tenant
    from stores.services import store_create

    tenant = Tenant.objects.create(name="Bench", slug="bench")
    other = Tenant.objects.create(name="Other", slug="other")
    stores = [
        store_create(tenant=tenant, name=f"Store {i}", url="https://shop.example.com", username="u", password="p")
        for i in range(2)
    ]
    other_store = store_create(tenant=other, name="Other", url="https://shop.example.com", username="u", password="p")
    statuses = (
        [OrderStatus.AWAITING_SHIPMENT] * 4
        + [OrderStatus.SHIPPED] * 4
        + [OrderStatus.AWAITING_PAYMENT, OrderStatus.CANCELLED]
    )
    rng = random.Random(1)
    now = timezone.now()
    batch: list[Order] = []
    for i in range(n_orders + n_orders // 10):
        mine = i < n_orders
        store = stores[i % 2] if mine else other_store
        when = now - timedelta(minutes=rng.randrange(0, 60 * 24 * 365))
        batch.append(
            Order(
                tenant_id=store.tenant_id,
                store=store,
                external_id=str(i),
                number=f"{100000 + i}",
                store_status="Pending",
                status=rng.choice(statuses),
                order_date=when,
                modified_at=when,
                email=f"buyer{i % 5000}@example.com",
                ship_to_name=f"Buyer {i}",
                order_total=Decimal("42.50"),
                ship_to={"name": f"Buyer {i}", "city": "Austin", "state": "TX", "country": "US"},
            )
        )
        if len(batch) == 5000:
            Order.objects.bulk_create(batch)
            batch = []
    Order.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        # What autovacuum does for a live table: statistics, and the visibility map that lets the page
        # count be an index-only scan instead of a heap scan.
        cursor.execute("VACUUM ANALYZE")
    return api_key_create(tenant=tenant, name="bench", read_only=False)[1]


def queries_per_request(key: str) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.get(URL)  # the key's once-a-minute last_used_at write is not part of a steady request
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pages", type=int, default=10, help="cycle through the first N pages")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--db-name", default="outbound_bench")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()

    url = bench_url(args.database_url, args.db_name)
    env = environment(url)
    os.environ.update(env)
    print(f"creating database {args.db_name}", flush=True)
    recreate_database(args.database_url, args.db_name)
    server = None
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        started = time.monotonic()
        key = seed(args.orders)
        print(f"seeded {args.orders} orders in {time.monotonic() - started:.1f}s", flush=True)
        queries = queries_per_request(key)

        import requests

        port = free_port()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        server = subprocess.Popen(
            [
                str(gunicorn),
                "config.wsgi:application",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {key}"
        for _ in range(100):
            try:
                if session.get(base + URL, timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            raise SystemExit("gunicorn did not answer")
        for _ in range(20):  # warm every worker's connection and caches
            session.get(base + URL, timeout=10)
        timings = []
        total = None
        for i in range(args.requests):
            page = i % args.pages + 1
            t0 = time.perf_counter()
            response = session.get(f"{base}{URL}&page={page}", timeout=10)
            timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.text[:300]
            body = response.json()
            assert len(body["results"]) == 100
            total = body["count"]
        timings.sort()
        p50 = statistics.median(timings)
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        print(
            f"{args.requests} requests, pages 1-{args.pages} of {total} awaiting-shipment orders: "
            f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms, {queries} queries per request",
            flush=True,
        )
        print(
            json.dumps(
                {
                    "p50_ms": round(p50, 2),
                    "p95_ms": round(p95, 2),
                    "queries_per_request": queries,
                    "orders": args.orders,
                    "requests": args.requests,
                    "matching_orders": total,
                    "page_size": 100,
                    "workers": args.workers,
                }
            )
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        from django.db import connections

        connections.close_all()
        if not args.keep:
            recreate_database(args.database_url, args.db_name, drop_only=True)


if __name__ == "__main__":
    main()
