#!/usr/bin/env python
"""Fairness benchmark (issue 26): one tenant's big day must not stall the others.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/fairness_bench.py \
        [--broker orm|redis] [--orders 500] [--slips 200] [--minutes 3] [--baseline-minutes 1] [--mean-gap 6]

PostgreSQL only; it creates and drops its own database (`outbound_fairness_bench` unless the URL or
BENCH_DB_NAME names another). Four sandbox stores, each its own process: tenant A has a REST store and an XML
store (a scheduled import once a day: what reaches them is the write-back), tenant B an XML store imported
every minute, tenant C a REST store with webhooks (and the 1-minute schedule as its safety net). Outbound runs
as in production: `manage.py qclusters` (one django-q2 cluster per queue, docs/queues.md; the ORM broker, or
Redis with `--broker redis`: REDIS_URL, default redis://127.0.0.1:6379/0) and its web server (the stores'
webhooks reach it over loopback).

1. Baseline (`--baseline-minutes`): B's and C's stores change at random moments (exponential gaps of
   `--mean-gap` s, half changes, half new orders); each change is timed until Outbound's API shows it.
2. Load: the same while tenant A batch-ships `--orders` orders (half on each of its stores, one batch per
   store, as the portal submits them) and prints `--slips` packing slips, for `--minutes` at least and until
   every store update of A reached its store.

All along, a probe task is queued on the imports queue every 2 s (as the minute tick is) and its wait until
a worker starts it is recorded: `max_tick_wait_s`, the oldest wait. The store calls per shipment on each road
are counted by A's sandboxes (their own request counts, from the batch's start to its last store update) and
the 429s are the REST stores' refusals over the whole run (the sandbox's default limit, 50 calls per 10 s).

Printing: a print job (shipments.print_jobs, what the portal's print view starts), rendered by the batches
queue's worker; PRINT below is the one place that says how.

Last line JSON: xml_p95_s, rest_p95_s, max_tick_wait_s, calls_per_shipment_rest, calls_per_shipment_xml,
store_refusals (targets: <= 75, <= 5, -, <= 2, <= 1, 0), and `details`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fleet_bench import environment, prepare_database, stop  # noqa: E402
from freshness_bench import control, free_port, start_sandbox, summary, truth, wait_for  # noqa: E402

PROBE_EVERY_S = 2.0


def print_packing_slips(orders) -> dict:
    """PRINT: start a print job as the portal's print view does (the request records it and answers), then wait
    for the batches queue's worker to render it (docs/print-jobs.md)."""
    from django.db import transaction

    from shipments.models import PrintJob, PrintKind, PrintState
    from shipments.print_jobs import print_job_start

    started = time.monotonic()
    with transaction.atomic():
        job = print_job_start(tenant=orders[0].tenant, kind=PrintKind.PACKING_SLIPS, orders=list(orders))
    requested = time.monotonic() - started
    while True:
        job = PrintJob.objects.get(pk=job.pk)
        if job.state in (PrintState.DONE, PrintState.FAILED):
            break
        time.sleep(1.0)
    return {
        "slips": len(orders),
        "state": job.state,
        "start_ms": round(requested * 1000, 1),
        "seconds": round(time.monotonic() - started, 1),
    }


PRINT = print_packing_slips


def store_counts(base: str) -> dict:
    """The sandbox's own count of the calls it answered: REST API calls, XML endpoint calls, 429s."""
    t = truth(base, orders=False)
    requests = t["requests"]
    return {
        "rest": requests.get("rest", 0),
        "xml": requests.get("endpoint", 0),
        "refused": t["rest"]["rejected"] + requests.get("fault:429", 0),
    }


class Probes:
    """A task queued on the imports queue every PROBE_EVERY_S; the wait until a worker starts each."""

    def __init__(self):
        self.queued: dict[str, float] = {}  # task id -> wall time queued (to tell the phases apart)
        self.waits: dict[str, float] = {}
        self.last = 0.0

    def tick(self, phase: str) -> None:
        from django_q.models import Task

        from core import queues

        now = time.time()
        if now - self.last >= PROBE_EVERY_S:
            task_id = queues.enqueue(queues.IMPORTS, "time.sleep", 0, task_name=f"probe-{phase}-{now:.1f}")
            self.queued[task_id] = now
            self.last = now
        waiting = [i for i in self.queued if i not in self.waits]
        # django-q2 stamps `started` when the task is queued and `stopped` when it is done: for a probe
        # that does nothing, the difference is its wait in line.
        for task_id, started, stopped in Task.objects.filter(id__in=waiting).values_list("id", "started", "stopped"):
            self.waits[task_id] = max(0.0, (stopped - started).total_seconds())

    def worst(self, since: float, until: float) -> float | None:
        waits = [w for i, w in self.waits.items() if since <= self.queued[i] <= until]
        unseen = [until - at for i, at in self.queued.items() if i not in self.waits and since <= at <= until]
        return round(max(waits + unseen), 1) if waits or unseen else None


class Watched:
    """A store whose changes are timed until Outbound's API (its tenant's key) shows them."""

    def __init__(self, name, proc, info, store, api):
        self.name, self.proc, self.info, self.store, self.api = name, proc, info, store, api
        self.pending: dict = {}  # (order id, store clock) -> (monotonic, wall time of the change)
        self.latencies: dict[str, list[float]] = {"baseline": [], "load": []}
        self.phase_of: dict = {}

    @property
    def base(self) -> str:
        return self.info["base"]

    def change(self, rng, phase: str) -> None:
        from django.utils import timezone

        now, at = time.monotonic(), timezone.now()
        answer = control(self.base, {"mutate": {"change": 1} if rng.random() < 0.5 else {"add": 1}})["mutate"]
        for order_id in [c["OrderID"] for c in answer["changed"]] + answer["added"]:
            self.pending[(order_id, answer["now"])] = (now, at)
            self.phase_of[(order_id, answer["now"])] = phase

    def look(self) -> None:
        if not self.pending:
            return
        since = (min(at for _, at in self.pending.values()) - dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
        response = self.api.get("/api/v1/orders/", {"modified_since": since.isoformat(), "page_size": 500})
        if response.status_code != 200:
            raise SystemExit(f"the API answered {response.status_code}: {response.content[:300]!r}")
        for row in response.json().get("results", []):
            written = max(filter(None, [row.get("imported_at"), row.get("updated_at")]), default=None)
            if row["store"] != self.store.pk or not written:
                continue
            for key, (at_mono, at) in list(self.pending.items()):
                if key[0] == row["external_id"] and dt.datetime.fromisoformat(written) >= at:
                    self.latencies[self.phase_of[key]].append(time.monotonic() - at_mono)
                    del self.pending[key]


def main() -> int:  # noqa: C901 - one run, in order
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--broker", choices=["orm", "redis"], default="orm")
    parser.add_argument("--orders", type=int, default=500, help="orders tenant A batch-ships (half per store)")
    parser.add_argument("--slips", type=int, default=200, help="packing slips tenant A prints meanwhile")
    parser.add_argument("--minutes", type=float, default=3.0, help="minutes of changes under load (at least)")
    parser.add_argument("--baseline-minutes", type=float, default=1.0)
    parser.add_argument("--mean-gap", type=float, default=6.0, help="mean seconds between B's and C's changes")
    parser.add_argument("--settle", type=float, default=100.0, help="seconds allowed after the last change")
    parser.add_argument("--ship-timeout", type=float, default=600.0, help="seconds allowed for A's store updates")
    args = parser.parse_args()
    half = args.orders // 2

    db_url, cleanup = prepare_database(default_name="outbound_fairness_bench")
    env = environment(db_url, int(os.environ.get("Q_WORKERS", "3")))
    env["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    env["SECURE_SSL_REDIRECT"] = "False"
    env["Q_SITE"] = "fairness-bench"
    web_port = free_port()
    env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{web_port}"
    if args.broker == "redis":
        env["REDIS_URL"] = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    else:
        env.pop("REDIS_URL", None)
    os.environ.update(env)
    if args.broker == "orm":
        os.environ.pop("REDIS_URL", None)
    workdir = Path(tempfile.mkdtemp(prefix="outbound-fairness-bench-"))
    procs: list[subprocess.Popen] = []
    cluster = web = None
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import transaction
        from django.db.models import Count
        from django.test import Client
        from django.utils import timezone
        from django_q.models import Schedule

        from api.services import api_key_create
        from orders.models import Order
        from orders.services import import_store_now
        from outbox.models import OutboxMessage, OutboxState
        from shipments import batch as batches
        from stores.models import StatusMapping, Tenant
        from stores.services import store_create

        call_command("migrate", verbosity=0)
        defaults = {f: StatusMapping._meta.get_field(f).default for f in StatusMapping.FIELDS}
        defaults["awaiting_shipment"] += ", Approved Pending Shipping, Awaiting Pickup Local, Gift Wrap Queue"
        defaults["shipped"] += ", Completed Shipped"
        tenants = {n: Tenant.objects.create(name=f"Tenant {n}", slug=f"tenant-{n.lower()}") for n in "ABC"}

        def connect(tenant, name, road, orders, seed, interval):
            proc, info = start_sandbox(orders, seed, *(("--webhook-loss", "0") if road == "rest" else ()))
            procs.append(proc)
            common = {
                "tenant": tenant,
                "url": info["base"],
                "import_interval_minutes": interval,
                "mapping": dict(defaults),
            }
            if road == "xml":
                store = store_create(
                    name=name,
                    endpoint_path=urlsplit(info["endpoint_url"]).path,
                    username=info["username"],
                    password=info["password"],
                    **common,
                )
            else:  # store_create subscribes its webhooks (a task on the imports queue, once the clusters run)
                store = store_create(name=name, road="rest", api_token=info["api_token"], **common)
            run = import_store_now(store=store, since=timezone.now() - dt.timedelta(days=90))
            print(f"{name}: first import {run.state}, {run.orders_created} orders", flush=True)
            return proc, info, store

        # Enough orders that half the batch finds orders awaiting shipment on each of A's stores.
        a_orders = max(200, half * 3)
        _, a_rest_info, a_rest = connect(tenants["A"], "A REST store", "rest", a_orders, 31, 24 * 60)
        _, a_xml_info, a_xml = connect(tenants["A"], "A XML store", "xml", a_orders, 32, 24 * 60)
        b_proc, b_info, b_store = connect(tenants["B"], "B XML store", "xml", 200, 33, 1)
        c_proc, c_info, c_store = connect(tenants["C"], "C REST store", "rest", 200, 34, 1)
        watched = []
        for tenant, proc, info, store, name in (
            (tenants["B"], b_proc, b_info, b_store, "xml"),
            (tenants["C"], c_proc, c_info, c_store, "rest"),
        ):
            _key, token = api_key_create(tenant=tenant, name="bench", read_only=True)
            watched.append(Watched(name, proc, info, store, Client(HTTP_AUTHORIZATION=f"Bearer {token}")))

        call_command("setup_schedules", verbosity=0)
        Schedule.objects.filter(name="outbound-import-tick").update(next_run=timezone.now())
        log = open(workdir / "qclusters.log", "w")
        cluster = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "qclusters"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        weblog = open(workdir / "runserver.log", "w")
        web = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "runserver", "--noreload", f"127.0.0.1:{web_port}"],
            cwd=ROOT,
            env=env,
            stdout=weblog,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def web_up() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", web_port), timeout=1):
                    return True
            except OSError:
                return False

        if not wait_for(web_up, 60, "Outbound's web server"):
            raise SystemExit(f"runserver did not start; see {workdir / 'runserver.log'}")
        for info in (a_rest_info, c_info):
            counts: list[int] = []

            def subscribed_steadily(info=info, counts=counts) -> int:
                counts.append(len(truth(info["base"], orders=False)["webhooks"]["subscriptions"]))
                return counts[-1] if len(counts) > 6 and counts[-1] and len(set(counts[-6:])) == 1 else 0

            print(f"{info['base']}: {wait_for(subscribed_steadily, 120, 'webhook subscriptions') or 0} subscriptions")
        time.sleep(3.0)

        rng = random.Random(26)
        probes = Probes()
        refused_before = sum(store_counts(i["base"])["refused"] for i in (a_rest_info, a_xml_info, b_info, c_info))

        def run_phase(phase: str, minutes: float, until=lambda: True) -> tuple[float, float]:
            started_wall = time.time()
            started = time.monotonic()
            end_changes = started + minutes * 60
            next_change = started + rng.expovariate(1 / args.mean_gap)
            while True:
                now = time.monotonic()
                if now < end_changes and now >= next_change:
                    rng.choice(watched).change(rng, phase)
                    next_change = now + rng.expovariate(1 / args.mean_gap)
                for w in watched:
                    w.look()
                probes.tick(phase)
                if cluster.poll() is not None:
                    raise SystemExit(f"qclusters exited early; see {workdir / 'qclusters.log'}")
                pending = any(w.pending for w in watched)
                if now >= end_changes and until() and (not pending or now >= end_changes + args.settle):
                    break
                if now >= end_changes + args.ship_timeout:
                    print(f"{phase}: gave up waiting after {args.ship_timeout:.0f} s", flush=True)
                    break
                time.sleep(0.5)
            return started_wall, time.time()

        print(f"baseline: {args.baseline_minutes} min of changes on B and C, no batch", flush=True)
        baseline = run_phase("baseline", args.baseline_minutes)

        # Tenant A's batches: orders awaiting shipment, half on each store, submitted as the portal does.
        plans = {}
        for store in (a_rest, a_xml):
            orders = list(Order.objects.filter(store=store, status="awaiting_shipment").order_by("pk")[:half])
            plans[store.pk] = orders
            print(f"{store.name}: batch of {len(orders)} orders", flush=True)
        before = {a_rest.pk: store_counts(a_rest_info["base"]), a_xml.pk: store_counts(a_xml_info["base"])}
        shipped_at = time.monotonic()
        for store_pk, orders in plans.items():
            plan = {
                "rows": [
                    batches.plan_row(batches.ShipRow(order=o, carrier="UPS", tracking_number=f"1ZFAIR{o.pk:08d}"))
                    for o in orders
                ],
                "notify_buyer": False,
            }
            with transaction.atomic():
                batches.batch_submit(tenant=tenants["A"], key=f"fair-{store_pk}", kind="ship", plan=plan)
        printed: dict = {}
        slips = [o for orders in plans.values() for o in orders][: args.slips]
        printer = threading.Thread(target=lambda: printed.update(PRINT(slips)), daemon=True)
        printer.start()
        wanted = sum(len(o) for o in plans.values())
        done_at: dict = {}

        def a_done() -> bool:
            sent = OutboxMessage.objects.filter(
                tenant=tenants["A"], kind="store_update", state=OutboxState.SENT
            ).count()
            if sent >= wanted and "all" not in done_at:
                done_at["all"] = time.monotonic() - shipped_at
            return sent >= wanted and not printer.is_alive()

        print(f"load: tenant A ships {wanted} orders and prints {len(slips)} slips; changes on B and C", flush=True)
        load = run_phase("load", args.minutes, a_done)
        printer.join(timeout=600)
        stop(cluster)
        cluster = None

        after = {a_rest.pk: store_counts(a_rest_info["base"]), a_xml.pk: store_counts(a_xml_info["base"])}
        refused = sum(store_counts(i["base"])["refused"] for i in (a_rest_info, a_xml_info, b_info, c_info))
        per_road = {}
        for store, key in ((a_rest, "rest"), (a_xml, "xml")):
            sent = OutboxMessage.objects.filter(
                kind="store_update", state=OutboxState.SENT, lane=f"store:{store.pk}"
            ).count()
            calls = after[store.pk][key] - before[store.pk][key]
            per_road[key] = {
                "shipments_sent": sent,
                "calls": calls,
                "per_shipment": round(calls / sent, 2) if sent else None,
            }
        states = dict(OutboxMessage.objects.filter(tenant=tenants["A"]).values_list("state").annotate(n=Count("id")))

        results = {}
        for w in watched:
            base, loaded = summary(w.latencies["baseline"]), summary(w.latencies["load"])
            results[w.name] = {"baseline": base, "load": loaded, "never_visible": len(w.pending)}
            label = "B (XML, 1-minute interval)" if w.name == "xml" else "C (REST, webhooks)"
            print(
                f"{label}: baseline p50 {base['p50']} s, p95 {base['p95']} s ({len(w.latencies['baseline'])} "
                f"changes); under A's batch p50 {loaded['p50']} s, p95 {loaded['p95']} s, max {loaded['max']} s "
                f"({len(w.latencies['load'])} changes); {len(w.pending)} never visible"
            )
        tick_base, tick_load = probes.worst(*baseline), probes.worst(*load)
        print(f"Oldest wait of a task on the imports queue: baseline {tick_base} s, under load {tick_load} s")
        for road, figures in per_road.items():
            print(
                f"Store calls per shipment, {road.upper()} road: {figures['calls']} calls for "
                f"{figures['shipments_sent']} store updates sent = {figures['per_shipment']}"
            )
        print(
            f"Tenant A: every store update sent after {round(done_at['all'], 1) if 'all' in done_at else None} s; "
            f"outbox states {states}; printing {printed}; store refusals (429) {refused - refused_before}"
        )
        result = {
            "xml_p95_s": results["xml"]["load"]["p95"],
            "rest_p95_s": results["rest"]["load"]["p95"],
            "max_tick_wait_s": tick_load,
            "calls_per_shipment_rest": per_road["rest"]["per_shipment"],
            "calls_per_shipment_xml": per_road["xml"]["per_shipment"],
            "store_refusals": refused - refused_before,
            "details": {
                "broker": args.broker,
                "freshness": results,
                "max_tick_wait_baseline_s": tick_base,
                "per_road": per_road,
                "a_all_sent_after_s": round(done_at["all"], 1) if "all" in done_at else None,
                "a_outbox_states": states,
                "printing": printed,
                "load": os.getloadavg(),
            },
        }
        print(json.dumps(result))
        return 0
    finally:
        for proc in (cluster, web, *procs):
            if proc is not None:
                stop(proc, timeout=10)
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
