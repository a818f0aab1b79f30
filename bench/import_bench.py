#!/usr/bin/env python
"""Import benchmark: a full import from the sandbox store, against the floor of fetch + parse alone.

    .venv/bin/python bench/import_bench.py [--orders 10000] [--page-size 100] [--webhook-subscriber] [--road rest]
        [--rules 20]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/import_bench.py

SQLite (a temporary file) by default; with a PostgreSQL DATABASE_URL it creates and drops its own
database, named as in the URL (`outbound_import_bench` when the URL names `postgres` or nothing; BENCH_DB_NAME
overrides it), so never point it at a database you keep. The sandbox runs in its own process so the peak RSS is
the importer's. Prints the figures, then one JSON line: orders_per_s, import_floor_ratio, queries_per_page,
resync_rows_written, resync_time_share, reconcile_rows_written, reconcile_time_share, peak_rss_mb. The reconcile
figures are a reconciliation sweep over the same, unchanged, window.

With --road rest the same store is imported over its REST face (sandbox `/api/v1`, the REST connector): the
floor is then the REST connector's fetch + parse of the same window (its JSON pages and the addresses,
customers and products they refer to). The sandbox's call limit is raised out of the way (--call-limit,
default 1,000,000 per 10 s): the figure is the road, not the vendor's budget (at 50 calls per 10 s, the most
AmeriCommerce allows, 10,000 orders take at least ~80 s of waiting whatever Outbound does).

With --webhook-subscriber the same store is then emptied and imported again twice: without a subscriber,
then (emptied again) with one active webhook subscription to order.imported and order.updated, so that
both imports start from the same state. Its deliveries are queued, not sent: the outbox rows and the
django-q tasks go to the ORM broker and no worker runs, so the figure is the import itself (serialising
each page's orders, writing their deliveries and outbox rows, queueing the batch tasks). The JSON line
then also holds webhook_orders_per_s, webhook_import_ratio (import time with the subscriber / without,
same run, same store: target <= 1.5), webhook_cpu_ratio (the same for the CPU time of the importer and
of its PostgreSQL backend when that runs on this machine: the figure to trust on a loaded machine),
webhook_first_import_ratio (with the subscriber / the first import, on fresh tables),
webhook_queries_per_page, webhook_deliveries, webhook_tasks.

With --rules N the same store is emptied and imported again, in turns five times without automation rules and five
times with N rules of every kind (issue 30: conditions over the storefront, method, address, weight, items, total, SKU
pattern, gift, note and tags; presets, tags, packages and holds as actions), the best of each five kept: the JSON
line then also holds rules_import_ratio (with / without, same run: target <= 1.15) and rules_cpu_ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
# Every table an import writes store data into (the run's own row and the unmapped-status log, which
# records when a status was last seen, describe the run itself).
IMPORTED_TABLES = {
    "orders_order",
    "orders_orderline",
    "orders_orderevent",
    "orders_product",
    "orders_skippedorder",
    "stores_storefront",
}
WRITE_TARGET = re.compile(r'\s*(?:INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.IGNORECASE)
sys.path.insert(0, str(ROOT))
from _setup import postgres_database  # noqa: E402


def prepare_database() -> tuple[str, callable]:
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return postgres_database("outbound_import_bench")
    tmp = tempfile.mkdtemp(prefix="outbound-bench-")
    return f"sqlite:///{tmp}/bench.sqlite3", lambda: None


def cpu_seconds(connection) -> tuple[float, float | None, int | None]:
    """(CPU seconds of this process, of its PostgreSQL backend when that runs on this machine, the
    backend's pid) so far. The machine may be shared: CPU time is the figure other load does not inflate
    (the sandbox, in its own process, serves both runs alike and is not counted)."""
    own = time.process_time()
    if connection.vendor != "postgresql":
        return own, None, None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # a server on another machine
        return own, None, pid
    return own, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), pid


def cpu_used(connection, before: tuple) -> tuple[float, float | None]:
    """(this process's, its backend's) CPU seconds since `before` (None for a backend not followed)."""
    own, backend, pid = cpu_seconds(connection)
    same = backend is not None and before[1] is not None and pid == before[2]
    return own - before[0], backend - before[1] if same else None


def start_sandbox(orders: int, page_size: int, call_limit: int = 50) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "sandbox_store",
            "--port",
            "0",
            "--orders",
            str(orders),
            "--seed",
            "1",
            "--page-size",
            str(page_size),
            "--call-limit",
            str(call_limit),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"},
    )
    line = proc.stdout.readline().strip()
    if not line.startswith("Sandbox AmeriCommerce store:"):
        proc.kill()
        raise SystemExit(f"sandbox did not start: {line!r}")
    url, *pairs = line.split(": ", 1)[1].split()
    rest_line = proc.stdout.readline().strip()
    rest_url, *rest_pairs = rest_line.split(": ", 1)[1].split()
    return proc, {
        "endpoint_url": url,
        **dict(p.split("=", 1) for p in pairs),
        "rest_url": rest_url,
        **dict(p.split("=", 1) for p in rest_pairs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument(
        "--road",
        choices=("xml", "rest"),
        default="xml",
        help="import over the XML add-on's page (default) or the REST API",
    )
    parser.add_argument(
        "--call-limit", type=int, default=1_000_000, help="the sandbox's REST calls allowed per 10 s (--road rest)"
    )
    parser.add_argument(
        "--webhook-subscriber",
        action="store_true",
        help="import the same store again with one webhook subscriber to the order events",
    )
    parser.add_argument(
        "--rules",
        type=int,
        default=0,
        metavar="N",
        help="import the same store again without automation rules and with N of them (issue 30)",
    )
    args = parser.parse_args()

    db_url, cleanup = prepare_database()
    os.environ["DATABASE_URL"] = db_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
    # Tasks are queued on the ORM broker, as in production, not run inside the import (the test
    # settings' default): no worker runs here, so webhook deliveries stay queued.
    os.environ["Q_SYNC"] = "False"
    import django

    django.setup()
    from core import heap

    heap.settle()  # as a django-q2 worker does when it starts (core.heap): the importer runs here as in one
    import logging

    logging.getLogger("django-q").setLevel(logging.WARNING)  # not a line per queued task
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from orders.models import Order, OrderLine, StoreImportState
    from orders.services import import_store_now
    from stores.connector.registry import client_for_store
    from stores.models import StatusMapping, Tenant
    from stores.services import store_create

    call_command("migrate", verbosity=0)
    sandbox, info = start_sandbox(args.orders, args.page_size, args.call_limit)
    try:
        parts = urlsplit(info["endpoint_url"])
        mapping = {f: StatusMapping._meta.get_field(f).default for f in StatusMapping.FIELDS}
        mapping["awaiting_shipment"] += ", Approved Pending Shipping, Awaiting Pickup Local, Gift Wrap Queue"
        mapping["shipped"] += ", Completed Shipped"
        tenant = Tenant.objects.create(name="Bench", slug="bench")
        if args.road == "rest":
            store = store_create(
                tenant=tenant,
                name="Bench store",
                url=f"{parts.scheme}://{parts.netloc}",
                road="rest",
                api_token=info["token"],
                mapping=mapping,
            )
        else:
            store = store_create(
                tenant=tenant,
                name="Bench store",
                url=f"{parts.scheme}://{parts.netloc}",
                endpoint_path=parts.path,
                username=info["username"],
                password=info["password"],
                mapping=mapping,
            )
        since = timezone.now() - dt.timedelta(days=120)

        # Warm-up, untimed: the sandbox renders each order on its first request and then serves it from
        # its cache (like a store's output cache), so the floor and the import both meet the warm store.
        with client_for_store(store) as client:
            for _page in client.export_pages(since, timezone.now(), skip=lambda digests: set(digests)):
                pass

        # The floor: the same pages fetched and parsed, no database.
        t0 = time.perf_counter()
        with client_for_store(store) as client:
            floor_orders = sum(len(p.orders) for p in client.export_pages(since, timezone.now()))
            floor_requests = client.requests_made
        floor_s = time.perf_counter() - t0

        counter = {"queries": 0, "writes": 0}

        def count(execute, sql, params, many, context):
            counter["queries"] += 1
            result = execute(sql, params, many, context)
            target = WRITE_TARGET.match(sql)
            if target and target.group(1) in IMPORTED_TABLES:
                counter["writes"] += max(context["cursor"].rowcount, 0)
            return result

        with connection.execute_wrapper(count):
            t0 = time.perf_counter()
            run = import_store_now(store=store, since=since)
            full_s = time.perf_counter() - t0
        assert run.state == "succeeded", run.error
        full_queries, pages = counter["queries"], max(run.pages_done, 1)

        StoreImportState.objects.filter(store=store).update(import_watermark=None)
        store.refresh_from_db()
        counter.update(queries=0, writes=0)
        with connection.execute_wrapper(count):
            t0 = time.perf_counter()
            resync = import_store_now(store=store, since=since)
            resync_s = time.perf_counter() - t0
        resync_rows = counter["writes"]

        # A reconciliation sweep over the same window, unchanged: it should find nothing and write nothing.
        store.refresh_from_db()
        store.reconcile_days = 120
        store.save()
        counter.update(queries=0, writes=0)
        with connection.execute_wrapper(count):
            t0 = time.perf_counter()
            sweep = import_store_now(store=store, trigger="reconcile")
            sweep_s = time.perf_counter() - t0
        assert sweep.state == "succeeded", sweep.error
        sweep_rows = counter["writes"]
        hooked = webhook_run(args, store, since, count, counter) if args.webhook_subscriber else None
        ruled = rules_run(args.rules, store, since, count, counter) if args.rules else None

        peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        orders_held = Order.objects.count()
        lines_held = OrderLine.objects.count()
        figures = {
            "road": args.road,
            "orders_per_s": round(run.orders_seen / full_s, 1),
            "import_floor_ratio": round(full_s / floor_s, 2),
            "queries_per_page": round(full_queries / pages, 1),
            "resync_rows_written": resync_rows,
            "resync_time_share": round(resync_s / full_s, 3),
            "reconcile_rows_written": sweep_rows,
            "reconcile_time_share": round(sweep_s / full_s, 3),
            "peak_rss_mb": round(peak_rss_mb, 1),
        }
        print(
            f"road:                {args.road}"
            + (f" (call limit {args.call_limit} per 10 s)" if args.road == "rest" else "")
        )
        print(f"database:            {connection.vendor}")
        print(f"store orders:        {args.orders} (page size {args.page_size})")
        print(
            f"full import:         {run.orders_seen} orders seen in {full_s:.2f} s "
            f"= {figures['orders_per_s']} orders/s; {run.http_requests} HTTP requests, {pages} pages"
        )
        print(
            f"                     created {run.orders_created}, skipped {dict(run.skipped)}; "
            f"held {orders_held} orders, {lines_held} lines"
        )
        print(f"queries per page:    {figures['queries_per_page']} ({full_queries} queries in all)")
        print(f"floor (fetch+parse): {floor_orders} orders in {floor_s:.2f} s, {floor_requests} HTTP requests")
        print(f"import / floor:      {figures['import_floor_ratio']}")
        print(
            f"re-import unchanged: {resync.orders_unchanged} unchanged and {resync.skipped_total} skipped again "
            f"in {resync_s:.2f} s, {resync_rows} rows written, {figures['resync_time_share']:.1%} of the full import"
        )
        print(
            f"reconcile sweep:     {sweep.orders_unchanged} unchanged and {sweep.skipped_total} skipped, "
            f"{len(sweep.recovered)} recovered in {sweep_s:.2f} s, {sweep_rows} rows written, "
            f"{figures['reconcile_time_share']:.1%} of the full import (target at most 25%)"
        )
        if hooked:
            (_run_e, emptied_s, emptied_cpu), (run_h, hooked_s, hooked_cpu), hooked_queries, deliveries, tasks = hooked
            pages_h = max(run_h.pages_done, 1)
            # CPU: the importer's, plus its PostgreSQL backend's when the bench can read it.
            cpu_without = emptied_cpu[0] + (emptied_cpu[1] or 0)
            cpu_with = hooked_cpu[0] + (hooked_cpu[1] or 0)
            figures.update(
                webhook_orders_per_s=round(run_h.orders_seen / hooked_s, 1),
                webhook_import_ratio=round(hooked_s / emptied_s, 2),
                webhook_cpu_ratio=round(cpu_with / cpu_without, 2),
                webhook_first_import_ratio=round(hooked_s / full_s, 2),
                webhook_queries_per_page=round(hooked_queries / pages_h, 1),
                webhook_deliveries=deliveries,
                webhook_tasks=tasks,
            )
            print(
                "with a subscriber:   the same store emptied and imported again, first without a subscriber, then "
                "(emptied again) with one active webhook subscription to order.imported and order.updated;"
            )
            print(
                "                     deliveries queued, not sent (outbox rows and django-q tasks on the ORM "
                "broker, no worker running): the import itself"
            )
            print(
                f"                     without: {_run_e.orders_seen} orders seen in {emptied_s:.2f} s; "
                f"with: {run_h.orders_seen} orders seen in {hooked_s:.2f} s "
                f"= {figures['webhook_orders_per_s']} orders/s, created {run_h.orders_created}, {pages_h} pages"
            )
            print(f"                     {deliveries} deliveries (and outbox rows) queued in {tasks} django-q tasks")
            print(
                f"                     queries per page {figures['webhook_queries_per_page']} "
                f"(without: {figures['queries_per_page']})"
            )
            print(
                f"with / without:      {figures['webhook_import_ratio']} (target <= 1.5; "
                f"against the first import on fresh tables: {figures['webhook_first_import_ratio']})"
            )
            backend = " and its PostgreSQL backend" if emptied_cpu[1] is not None and hooked_cpu[1] is not None else ""
            print(
                f"CPU with / without:  {figures['webhook_cpu_ratio']} ({cpu_with:.2f} s / {cpu_without:.2f} s: "
                f"the importer{backend}; the figure a shared machine's load does not inflate)"
            )
            if backend:
                print(
                    f"                     importer {hooked_cpu[0]:.2f} s / {emptied_cpu[0]:.2f} s, "
                    f"PostgreSQL backend {hooked_cpu[1]:.2f} s / {emptied_cpu[1]:.2f} s"
                )
        if ruled:
            (plain_s, plain_cpu), (rules_s, rules_cpu), tagged = ruled
            figures["rules"] = args.rules
            figures["rules_import_ratio"] = round(rules_s / plain_s, 3)
            figures["rules_cpu_ratio"] = round(rules_cpu / plain_cpu, 3) if plain_cpu else None
            print(
                f"rules:               without {plain_s:.2f} s, with {args.rules} rules {rules_s:.2f} s "
                f"(best of 5 each, in turns, emptied store): with / without = {figures['rules_import_ratio']} "
                f"(target <= 1.15; CPU {figures['rules_cpu_ratio']}); {tagged} tags written"
            )
        print(f"peak RSS:            {figures['peak_rss_mb']} MB (importer process)")
        print(json.dumps(figures))
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
        cleanup()


def webhook_run(args, store, since, count, counter):
    """Empty the store's imported data and import it again, first without a webhook subscriber, then
    (emptied again) with one subscribed to the order events: both imports start from the same state
    (tables holding the dead rows of an emptied import, which a first import on fresh tables does not
    meet), so their ratio is the subscriber's cost alone.

    Returns (emptied import without: (run, seconds, CPU), with: (run, seconds, CPU), queries with,
    deliveries queued, django-q tasks queued); CPU as cpu_used gives it."""
    from django_q.models import OrmQ

    from webhooks.models import WebhookDelivery
    from webhooks.services import webhook_subscription_create

    without = _emptied_import(store, since, count, counter)
    webhook_subscription_create(
        tenant=store.tenant, url="http://127.0.0.1:9/outbound-bench", events=["order.imported", "order.updated"]
    )
    tasks_before = OrmQ.objects.count()
    hooked = _emptied_import(store, since, count, counter)
    deliveries, tasks = WebhookDelivery.objects.count(), OrmQ.objects.count() - tasks_before
    return without, hooked, counter["queries"], deliveries, tasks


def bench_rules(store, n: int) -> None:
    """N automation rules of every kind of condition, with presets, tags, packages and holds as actions."""
    from carriers.services import carrier_account_create, package_preset_create
    from orders.rules import services as rules

    tenant = store.tenant
    account = carrier_account_create(tenant=tenant, carrier="USPS", client_id="bench", client_secret="bench")
    box = package_preset_create(tenant=tenant, name="Bench box", length=6, width=4, height=2)
    presets = [
        rules.preset_save(tenant=tenant, name=f"Preset {i}", carrier_account=account, service="usps_ground_advantage")
        for i in range(3)
    ]
    tags = [rules.tag_save(tenant=tenant, name=f"tag {i}") for i in range(6)]
    conditions = [
        [{"field": "storefront", "op": "is", "value": "Outlet"}, {"field": "order_total", "op": "lt", "value": 50}],
        [{"field": "shipping_method", "op": "contains", "value": "ground"}],
        [{"field": "country", "op": "not_in", "value": ["US"]}],
        [{"field": "sku", "op": "matches", "value": "JWL-*"}],
        [{"field": "gift", "op": "is", "value": True}, {"field": "buyer_note", "op": "is", "value": True}],
        [{"field": "item_count", "op": "gte", "value": 3}, {"field": "state", "op": "in", "value": ["CA", "NY"]}],
        [{"field": "postal_code", "op": "starts_with", "value": "9"}],
        [{"field": "tag", "op": "has", "value": tags[0].pk}],
    ]
    actions = [
        [{"type": "preset", "preset": presets[0].pk}, {"type": "add_tags", "tags": [tags[0].pk]}],
        [{"type": "preset", "preset": presets[1].pk}],
        [{"type": "hold", "until": None, "reason": "customs"}, {"type": "add_tags", "tags": [tags[1].pk]}],
        [{"type": "package", "package": box.pk}, {"type": "add_tags", "tags": [tags[2].pk]}],
        [{"type": "add_tags", "tags": [tags[3].pk, tags[4].pk]}],
        [{"type": "preset", "preset": presets[2].pk}],
        [{"type": "add_tags", "tags": [tags[5].pk]}],
        [{"type": "remove_tags", "tags": [tags[4].pk]}],
    ]
    for i in range(n):
        rules.rule_save(
            tenant=tenant,
            name=f"Rule {i}",
            match="any" if i % 4 == 3 else "all",
            conditions=conditions[i % len(conditions)],
            actions=actions[i % len(actions)],
        )


def rules_run(n: int, store, since, count, counter, rounds: int = 5):
    """(seconds, CPU) of the best emptied imports without rules and with N rules, taken in turns (without, with;
    with, without; …: a load that comes and goes on a shared machine meets both alike), and the tags an import with
    the rules wrote: the same store, the same state before each import."""
    from orders.models import OrderTag, Rule

    bench_rules(store, n)
    runs = {False: [], True: []}
    for turn in range(rounds):
        # Each import leaves dead rows behind it: the turns alternate which side goes first (without, with;
        # with, without; …), so neither always meets the larger tables.
        for enabled in (False, True) if turn % 2 == 0 else (True, False):
            Rule.objects.for_tenant(store.tenant).update(enabled=enabled)
            run, seconds, cpu = _emptied_import(store, since, count, counter)
            runs[enabled].append((seconds, (cpu[0] or 0) + (cpu[1] or 0)))
            if enabled:
                tagged = OrderTag.objects.count()

    def best(found):
        return min(s for s, _ in found), min(c for _, c in found)

    return best(runs[False]), best(runs[True]), tagged


def _emptied_import(store, since, count, counter):
    """(run, seconds, CPU) of an import of the store after its imported data was deleted."""
    from django.db import connection

    from orders.models import Order, Product, SkippedOrder, StoreImportState, UnmappedStatus
    from orders.services import import_store_now

    # No VACUUM ANALYZE after this: statistics taken on the emptied tables would plan the foreign-key
    # checks of every commit as scans of tables that then grow, and the run would slow page by page.
    Order.objects.filter(store=store).delete()
    for model in (Product, SkippedOrder, UnmappedStatus):
        model.objects.filter(store=store).delete()
    StoreImportState.objects.filter(store=store).update(import_watermark=None)
    store.refresh_from_db()
    # Each import starts with the collector in the same state: the deletes above leave garbage of their own,
    # and whether a full collection of this process's heap (~60 ms) falls inside an import or before it
    # should not depend on what ran before it.
    gc.collect()
    counter.update(queries=0, writes=0)
    cpu0 = cpu_seconds(connection)  # outside the counted queries
    with connection.execute_wrapper(count):
        t0 = time.perf_counter()
        run = import_store_now(store=store, since=since)
        seconds = time.perf_counter() - t0
    cpu = cpu_used(connection, cpu0)
    assert run.state == "succeeded", run.error
    return run, seconds, cpu


if __name__ == "__main__":
    main()
