#!/usr/bin/env python
"""Write-back benchmark (issue 26): 200 shipments of one REST store, how long until the store holds them all,
how many store calls each cost, and how many calls the store refused (429).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/writeback_bench.py \
        [--broker orm|redis] [--shipments 200] [--workers 3] [--no-baseline] [--no-webhooks]

PostgreSQL only; it creates and drops its own database (`outbound_writeback_bench` unless the URL or
BENCH_DB_NAME names another). The REST sandbox runs in this process at its default call limit (50 calls per
10 s, X-AC-Call-Limit) and counts every call Outbound makes and every 429 it answers. One real `qcluster`,
the outbox queue's (`--workers`, default Q_WORKERS or 3) on the ORM broker or on Redis (`--broker redis`:
REDIS_URL, default redis://127.0.0.1:6379/13) sends the store updates (the outbox's minute sweep is its only
schedule: the import schedules would spend the store's calls), and Outbound's web server (`manage.py
runserver`) receives the store's webhooks, so the webhooks our own writes make the store send are part of
the count (with `--no-webhooks` they are not subscribed). Buyer e-mails are off: the store's calls only.

Two phases, each on a fresh sandbox and store, the same 200 orders shipped at once (as a batch does):
  baseline  the workers pace on a budget of their own each (a `LocalBudget` installed in the cluster's
            main process before it forks its workers: what the local-memory cache gave without Redis)
  shared    the deployment's budget (the database without Redis, Redis with it: STORE_CALL_BUDGET)
For each: seconds from the first shipment to the store's truth holding all of them, store calls per
shipment (every call the sandbox counted, including the statuses read and any webhook fetch; the waiting
webhook rows are then given the sweep's turn, whose calls count too), 429s received, and the outbox rows
deferred by a 429. Target for `shared`: <= 100 s, 0 refusals, <= 2 calls per shipment. The last line is
JSON: seconds, calls_per_shipment, refusals (the shared phase), and the baseline's under `baseline`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fleet_bench import environment, prepare_database, stop  # noqa: E402
from freshness_bench import free_port, wait_for  # noqa: E402
from notify_bench import _order_from_truth  # noqa: E402

# The cluster's main process installs a budget of its own before django-q2 forks the workers: each worker
# keeps its own copy, as each kept its own local-memory cache before the shared budget.
PER_PROCESS_CLUSTER = (
    "import django; django.setup(); "
    "from stores.platforms.americommerce.rest import pacing; pacing.install_budget(pacing.LocalBudget()); "
    "from django.core.management import call_command; call_command('qcluster')"
)


def _start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True
    )


def _phase(name: str, args, env: dict[str, str], workdir: Path, web_port: int | None) -> dict:
    from django.db.models import Count

    from hooks.models import HookStats, PendingFetch
    from hooks.services import hooks_fetch
    from outbox.models import OutboxMessage, OutboxState
    from sandbox.server import run_sandbox
    from shipments.services import shipment_create
    from stores.models import Storefront, Tenant
    from stores.services import store_create

    server = run_sandbox(orders=args.shipments + 100, seed=26 if name == "shared" else 25)
    argv = [sys.executable, "manage.py", "qcluster"]
    if name == "baseline":
        argv = [sys.executable, "-c", PER_PROCESS_CLUSTER]
    cluster = _start(argv, env, workdir / f"qcluster-{name}.log")
    web = None
    try:
        if web_port is not None:
            web = _start(
                [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{web_port}"],
                env,
                workdir / f"runserver-{name}.log",
            )
        tenant = Tenant.objects.create(name=f"Write-back {name}", slug=f"writeback-{name}")
        store = store_create(
            tenant=tenant, name=f"REST store ({name})", url=server.base_url, road="rest", api_token=server.rest_token
        )
        store.settings.send_shipment_confirmation = False
        store.settings.send_delivery_notice = False
        store.settings.save()
        for front in server.truth(include_orders=False)["storefronts"]:
            Storefront.objects.update_or_create(
                store=store, name=front["name"], defaults={"shipped_status": front["shipped_status"]}
            )
        if web_port is not None:
            from hooks.services import hooks_subscribe

            # The subscribe is the imports queue's task, run by no cluster here: run it in this process.
            hooks_subscribe(store.pk)
            counts: list[int] = []

            def subscribed_steadily() -> int:
                counts.append(len(server.truth(include_orders=False)["webhooks"]["subscriptions"]))
                return counts[-1] if len(counts) > 6 and counts[-1] and len(set(counts[-6:])) == 1 else 0

            wait_for(subscribed_steadily, 90, "the store's webhooks")
        else:
            time.sleep(3.0)  # the workers start
        truths = [
            t
            for t in server.truth()["orders"]
            if t["Customer"]["ShipTo"]
            and not t["Shipments"]
            and any(i["ProductKind"] == "physical" and not i["Adjustment"] for i in t["Items"])
        ][: args.shipments]
        orders = [_order_from_truth(store, t) for t in truths]
        if len(orders) < args.shipments:
            raise SystemExit(f"the sandbox has only {len(orders)} shippable orders")
        before = server.truth(include_orders=False)["rest"]
        recorded_before = server.store.shipnotify_log["recorded"]
        started = time.monotonic()
        for order in orders:
            shipment_create(order=order, carrier="UPS", service="UPS Ground", tracking_number=f"1Z{order.number}")
        created_s = time.monotonic() - started

        def all_there() -> bool:
            return server.store.shipnotify_log["recorded"] - recorded_before >= len(orders)

        done = wait_for(all_there, args.timeout, f"the {name} phase's shipments", step=0.1)
        seconds = time.monotonic() - started if done else None
        sending = OutboxMessage.objects.filter(tenant=tenant, state=OutboxState.SENDING)
        wait_for(lambda: not sending.exists(), 30, "the relays")
        time.sleep(2.0)  # the last webhooks reach the receiver
        if web_port is not None:
            hooks_fetch(store.pk)  # the sweep's turn for the rows that waited for a write under way
        after = server.truth(include_orders=False)["rest"]
        by_kind = {
            key.removeprefix("rest:"): value
            for key, value in sorted(server.requests_served.items())
            if key.startswith("rest:")
        }
        held = sum(1 for o in orders if server.store.get_order(o.external_id).shipments)
        states = dict(
            OutboxMessage.objects.filter(tenant=tenant)
            .values_list("state")
            .annotate(n=Count("pk"))
            .values_list("state", "n")
        )
        stats = HookStats.objects.filter(store=store).first()
        calls = after["calls"] - before["calls"]
        result = {
            "seconds": round(seconds, 1) if seconds is not None else None,
            "shipments": len(orders),
            "held_by_store": held,
            "created_s": round(created_s, 1),
            "calls": calls,
            "calls_per_shipment": round(calls / len(orders), 3),
            "refusals": after["rejected"] - before["rejected"],
            "deferred_rows": OutboxMessage.objects.filter(tenant=tenant, deferrals__gt=0).count(),
            "outbox": states,
            "calls_by_kind": by_kind,
            "webhook_events": stats.events_received if stats else 0,
            "webhook_echoes": stats.events_echoed if stats else 0,
            "webhook_fetches": stats.orders_fetched if stats else 0,
            "webhook_rows_left": PendingFetch.objects.filter(store=store).count(),
        }
    finally:
        stop(cluster)
        if web is not None:
            stop(web)
        server.stop()
    print(
        f"{name:8}  {result['seconds']} s for {result['held_by_store']}/{result['shipments']} shipments at the store; "
        f"{result['calls_per_shipment']} calls per shipment ({result['calls_by_kind']}); "
        f"{result['refusals']} refused (429), {result['deferred_rows']} rows deferred; webhooks: "
        f"{result['webhook_events']} events, {result['webhook_echoes']} echoes, {result['webhook_fetches']} fetches",
        flush=True,
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--broker", choices=["orm", "redis"], default="orm")
    parser.add_argument("--shipments", type=int, default=200)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("Q_WORKERS", "3")))
    parser.add_argument("--timeout", type=float, default=400.0, help="seconds a phase may take")
    parser.add_argument("--no-baseline", action="store_true", help="skip the per-process budget phase")
    parser.add_argument("--no-webhooks", action="store_true", help="do not subscribe the store's webhooks")
    args = parser.parse_args()

    db_url, cleanup = prepare_database(default_name="outbound_writeback_bench")
    env = environment(db_url, args.workers)
    env.update({"ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "False", "LOG_LEVEL": "ERROR"})
    # This run's queues (docs/queues.md); the cluster started is the outbox queue's, which sends the store
    # updates, with --workers workers. The webhooks' fetches wait on the imports queue, run by no cluster
    # here: the waiting rows are given the sweep's turn after each phase, and their calls count.
    env["Q_SITE"] = f"writeback-bench-{os.getpid()}"
    env["Q_CLUSTER_NAME"] = f"{env['Q_SITE']}-outbox"
    env["Q_OUTBOX_WORKERS"] = str(args.workers)
    web_port = None if args.no_webhooks else free_port()
    if web_port is not None:
        env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{web_port}"
    if args.broker == "redis":
        env["REDIS_URL"] = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13"
    else:
        env.pop("REDIS_URL", None)
    os.environ.update(env)
    if args.broker == "orm":
        os.environ.pop("REDIS_URL", None)
    workdir = Path(tempfile.mkdtemp(prefix="outbound-writeback-bench-"))
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        # The outbox's minute sweep (only it: the import schedules would spend the store's calls), which sends
        # the rows a 429 put off once their Retry-After has passed.
        from django.utils import timezone
        from django_q.models import Schedule

        Schedule.objects.create(
            name="writeback-bench-outbox-relay",
            func="outbox.tasks.outbox_relay_due",
            schedule_type=Schedule.MINUTES,
            minutes=1,
            next_run=timezone.now(),
            cluster=settings.Q_QUEUES["outbox"]["name"],
        )
        print(
            f"broker {args.broker}, budget {settings.STORE_CALL_BUDGET}, {args.workers} workers, "
            f"{args.shipments} shipments, webhooks {'off' if web_port is None else 'on'}; logs in {workdir}",
            flush=True,
        )
        phases = {}
        if not args.no_baseline:
            phases["baseline"] = _phase("baseline", args, env, workdir, web_port)
        phases["shared"] = _phase("shared", args, env, workdir, web_port)
    finally:
        cleanup()
    shared = phases["shared"]
    print(
        json.dumps(
            {
                "broker": args.broker,
                "budget": "redis" if args.broker == "redis" else "database",
                "workers": args.workers,
                "shipments": args.shipments,
                "seconds": shared["seconds"],
                "calls_per_shipment": shared["calls_per_shipment"],
                "refusals": shared["refusals"],
                "deferred_rows": shared["deferred_rows"],
                "webhook_fetches": shared["webhook_fetches"],
                "baseline": {k: phases["baseline"][k] for k in ("seconds", "calls_per_shipment", "refusals")}
                if "baseline" in phases
                else None,
                "shared": shared,
            }
        )
    )
    ok = shared["seconds"] is not None and shared["seconds"] <= 100 and shared["refusals"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
