"""Benchmark the order list of the REST API on PostgreSQL, at any depth, with two tenants in the table.

    .venv/bin/python bench/api_bench.py [--orders 1000000] [--requests 100] [--workers 2]

Creates its own database (`outbound_bench` on the server of DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/postgres), migrates it, and fills the order table with N orders of two
tenants sharing it (60 % / 40 %, two stores each) with INSERT … SELECT generate_series, then VACUUM ANALYZE
(what autovacuum does for a live table). It serves the API with gunicorn on loopback and times, with a
Bearer key of the larger tenant, `page_size=100`:

- first: `GET /api/v1/orders/` (the first page);
- middle: the page after the tenant's middle order (a `cursor`, as `next` links give it);
- last: `?page=last`;
- filtered: `?status=awaiting_shipment` (the first page).

The baseline, measured in the same run on the same data: the same pages served by the API as it paged before
(DRF's page numbers: a COUNT(*) of every matching row and OFFSET; `bench/_legacy_pagination_wsgi.py`), page 1,
the middle page, the last page and the filtered page 1. The queries per request are counted for each kind
(they must not grow with the depth). The database is dropped at the end unless --keep. The last line printed
is one JSON object: {"first_p95_ms", "middle_p95_ms", "last_p95_ms", "filtered_p95_ms", "queries_per_request",
"baseline": {...}, "orders", ...}.
"""

from __future__ import annotations

import argparse
import json
import os
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

PAGE_SIZE = 100
LIST = f"/api/v1/orders/?page_size={PAGE_SIZE}"
TARGET_MS = 50


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


def seed(n_orders: int) -> tuple[str, dict]:
    """Two tenants sharing the order table (60 % / 40 % of n), two stores each; returns a live API key of the
    first and its pages' paths (middle as a cursor)."""
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from api.plumbing import encode_cursor
    from api.services import api_key_create
    from orders.models import Order, OrderStatus
    from stores.models import Tenant
    from stores.services import store_create
    from tests.factories import bulk_orders

    now = timezone.now()
    keys = {}
    shares = [("bench", n_orders * 6 // 10), ("other", n_orders - n_orders * 6 // 10)]
    for slug, count in shares:
        tenant = Tenant.objects.create(name=slug.title(), slug=slug)
        stores = [
            store_create(tenant=tenant, name=f"{slug} {i}", url="https://shop.example.com", username="u", password="p")
            for i in range(2)
        ]
        for done in bulk_orders(stores[0], count, stores=stores, now=now):
            print(f"  {slug}: {done + 1:,} of {count:,} orders", flush=True)  # + the template order
        keys[slug] = api_key_create(tenant=tenant, name="bench", read_only=False)[1]
    with connection.cursor() as cursor:
        # What autovacuum does for a live table: statistics, and the visibility map that lets the capped count
        # be an index-only scan.
        cursor.execute("VACUUM ANALYZE")
    tenant = Tenant.objects.get(slug="bench")
    mine = Order.objects.for_tenant(tenant).order_by("-order_date", "-id")
    total = mine.count()
    middle = mine[total // 2]
    cursor_text = encode_cursor(middle, ("-order_date", "-id"), reverse=False)
    pages = {
        "first": LIST,
        "middle": f"{LIST}&cursor={cursor_text}",
        "last": f"{LIST}&page=last",
        "filtered": f"{LIST}&status=awaiting_shipment",
    }
    awaiting = mine.filter(status=OrderStatus.AWAITING_SHIPMENT).count()
    last_page = -(-total // PAGE_SIZE)
    baseline = {
        "first": f"{LIST}&page=1",
        "middle": f"{LIST}&page={last_page // 2}",
        "last": f"{LIST}&page={last_page}",
        "filtered": f"{LIST}&status=awaiting_shipment&page=1",
    }
    info = {"tenant_orders": total, "awaiting": awaiting, "pages": pages, "baseline": baseline}
    return keys["bench"], info


def queries_per_request(key: str, paths: dict[str, str], *, legacy: bool = False) -> tuple[dict, dict]:
    """The queries of one request of each path and their database time in ms, median of 5 (`legacy`: with the
    paging the baseline serves)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from api import plumbing, views

    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.get(LIST)  # the key's once-a-minute last_used_at write is not part of a steady request
    counts, sql_ms = {}, {}
    current = views.OrderViewSet.pagination_class
    views.OrderViewSet.pagination_class = plumbing.Pagination if legacy else current
    try:
        for name, path in paths.items():
            times = []
            for _ in range(5):
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(path)
                assert response.status_code == 200, response.content[:300]
                counts[name] = len(ctx.captured_queries)
                times.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
            sql_ms[name] = round(statistics.median(times), 1)
    finally:
        views.OrderViewSet.pagination_class = current
    return counts, sql_ms


def serve(env: dict, workers: int, app: str, extra: list[str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), app, "-b", f"127.0.0.1:{port}", "-w", str(workers), "--log-level", "warning", *extra],
        cwd=ROOT,
        env=env,
    )
    return server, f"http://127.0.0.1:{port}"


def time_pages(session, base: str, paths: dict[str, str], requests_each: int) -> dict[str, dict]:
    import requests

    for _ in range(100):
        try:
            if session.get(base + paths["first"], timeout=30).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.1)
    else:
        raise SystemExit("gunicorn did not answer")
    for _ in range(10):  # warm every worker's connection and caches
        for path in paths.values():
            session.get(base + path, timeout=60)
    figures = {}
    for name, path in paths.items():
        timings = []
        for _ in range(requests_each):
            t0 = time.perf_counter()
            response = session.get(base + path, timeout=60)
            timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.text[:300]
            body = response.json()
            assert len(body["results"]) == PAGE_SIZE or name == "last", (name, len(body["results"]))
        timings.sort()
        figures[name] = {
            "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
            "max_ms": round(timings[-1], 1),
            "count": body["count"],
            "first_id": body["results"][0]["id"],
        }
    return figures


def load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000, help="orders in the table, both tenants")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page kind")
    parser.add_argument("--baseline-requests", type=int, default=20, help="timed requests per page, baseline")
    parser.add_argument("--workers", type=int, default=2)
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
    servers = []
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        started = time.monotonic()
        key, info = seed(args.orders)
        print(
            f"seeded {args.orders:,} orders ({info['tenant_orders']:,} of the timed tenant, "
            f"{info['awaiting']:,} awaiting shipment) in {time.monotonic() - started:.1f}s",
            flush=True,
        )
        queries, sql_ms = queries_per_request(key, info["pages"])
        baseline_queries, baseline_sql_ms = queries_per_request(key, info["baseline"], legacy=True)

        import requests

        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {key}"
        print(f"before: {load()}", flush=True)
        server, base = serve(env, args.workers, "config.wsgi:application", [])
        servers.append(server)
        new = time_pages(session, base, info["pages"], args.requests)
        server.terminate()
        server.wait(timeout=10)
        server, base = serve(env, args.workers, "_legacy_pagination_wsgi:application", ["--pythonpath", "bench"])
        servers.append(server)
        old = time_pages(session, base, info["baseline"], args.baseline_requests)
        print(f"after: {load()}", flush=True)
        header = f"{'page':<9} {'keyset p50':>11} {'p95':>8} {'SQL':>8} {'queries':>8}"
        print(f"{header}   {'before p50':>11} {'p95':>8} {'SQL':>8}")
        for name in info["pages"]:
            print(
                f"{name:<9} {new[name]['p50_ms']:>9.1f}ms {new[name]['p95_ms']:>6.1f}ms {sql_ms[name]:>6.1f}ms "
                f"{queries[name]:>8}   {old[name]['p50_ms']:>9.1f}ms {old[name]['p95_ms']:>6.1f}ms "
                f"{baseline_sql_ms[name]:>6.1f}ms  ({baseline_queries[name]} queries)"
            )
        print("(SQL: the request's database time, in process, median of 5; the rest is Python and HTTP)")
        # Same rows as the old paging's pages: the first, the last and the filtered first page start alike.
        for name in ("first", "last", "filtered"):
            assert new[name]["first_id"] == old[name]["first_id"], (name, new[name], old[name])
        verdict = all(new[name]["p95_ms"] <= TARGET_MS for name in new)
        print(f"target: every p95 <= {TARGET_MS} ms: {'met' if verdict else 'NOT met'}", flush=True)
        print(
            json.dumps(
                {
                    "first_p95_ms": new["first"]["p95_ms"],
                    "middle_p95_ms": new["middle"]["p95_ms"],
                    "last_p95_ms": new["last"]["p95_ms"],
                    "filtered_p95_ms": new["filtered"]["p95_ms"],
                    "queries_per_request": queries,
                    "sql_ms": sql_ms,
                    "baseline": {f"{name}_p95_ms": old[name]["p95_ms"] for name in old}
                    | {"queries_per_request": baseline_queries, "sql_ms": baseline_sql_ms},
                    "orders": args.orders,
                    "tenant_orders": info["tenant_orders"],
                    "count_shown": new["first"]["count"],
                    "requests_per_page": args.requests,
                    "page_size": PAGE_SIZE,
                    "workers": args.workers,
                    "loadavg_1min": round(os.getloadavg()[0], 2),
                }
            )
        )
    finally:
        for server in servers:
            if server.poll() is None:
                server.terminate()
                server.wait(timeout=10)
        from django.db import connections

        connections.close_all()
        if not args.keep:
            recreate_database(args.database_url, args.db_name, drop_only=True)


if __name__ == "__main__":
    main()
