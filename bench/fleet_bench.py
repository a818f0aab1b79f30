#!/usr/bin/env python
"""Fleet benchmark: N stores on a 1-minute interval kept fresh by one 2-worker django-q2 cluster.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/fleet_bench.py \
        [--stores 2000] [--minutes 4] [--warmup 1.5] [--sandboxes 1] [--workers 2]

PostgreSQL only: it creates and drops its own database on the server DATABASE_URL names (named as in the
URL, `outbound_fleet_bench` when the URL names `postgres` or nothing; BENCH_DB_NAME overrides it), so never
point it at a database you keep. It starts `--sandboxes` sandbox processes serving the fleet (store k
under /fleet/k/, each with its own credentials and a few orders), creates the stores through
stores.services.store_create with a 1-minute interval and a watermark of now (as after a first import:
every check is then an idle one unless the store has an order modified within the overlap), installs
the schedules and runs one real `qcluster` (ORM broker, or Redis when REDIS_URL is set) for `--minutes`.
Every process it starts is stopped at the end.

Measured in the cluster, after `--warmup` minutes (the first tick hands every store out at once; the
slots spread them from the second tick on):
- idle store-runs per second (the stores' idle_checks counters);
- fresh share: the share of stores every one of whose checks came within its interval (60 s, plus 5 s
  for the cluster's own jitter) of the previous one, over the measured stretch, the last one included;
- HTTP requests per check (the sandboxes' endpoint request counts over the checks made);
- import-run rows written per store per hour.
Measured in this process before the cluster starts, on the same database and sandboxes:
- queries and HTTP requests per idle check (100 stores, CaptureQueriesContext and the sandbox counts);
- the tick's time and queries with every store due (the worst case; its tasks are not enqueued).
Last line JSON: idle_runs_per_s, fresh_share, queries_per_idle_run, requests_per_idle_run,
run_rows_per_store_hour, tick_ms (+ tick_queries, stores, minutes, details).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import _setup  # noqa: E402

SLACK_S = 5.0


def prepare_database(default_name: str = "outbound_fleet_bench") -> tuple[str, callable]:
    return _setup.postgres_database(default_name)


def environment(db_url: str, workers: int) -> dict[str, str]:
    env = _setup.environment(
        db_url, Q_WORKERS=str(workers), Q_POLL=os.environ.get("Q_POLL", "0.1"), Q_SITE="fleet-bench"
    )
    env.pop("Q_SYNC", None)
    return env


def start_sandbox(fleet: int, seed: int, orders: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--port",
            "0",
            "--orders",
            "1",
            "--seed",
            str(seed),
            "--fleet",
            str(fleet),
            "--fleet-orders",
            str(orders),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    line = proc.stdout.readline().strip()
    if not line.startswith("Sandbox AmeriCommerce store:"):
        proc.kill()
        raise SystemExit(f"sandbox did not start: {line!r}")
    endpoint = line.split(": ", 1)[1].split()[0]
    parts = urlsplit(endpoint)
    return proc, f"{parts.scheme}://{parts.netloc}"


def fleet_requests(bases: list[str]) -> int:
    from sandbox import FLEET_PATH

    total = 0
    for base in bases:
        with urllib.request.urlopen(base + FLEET_PATH, timeout=30) as response:  # noqa: S310 (loopback sandbox)
            total += json.load(response)["requests"].get("endpoint", 0)
    return total


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=4.0, help="how long the cluster runs")
    parser.add_argument("--warmup", type=float, default=1.5, help="minutes left out of the measurements")
    parser.add_argument("--sandboxes", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fleet-orders", type=int, default=3)
    parser.add_argument("--debug", action="store_true", help="print the tasks the cluster ran and the late checks")
    args = parser.parse_args()
    if args.warmup >= args.minutes:
        raise SystemExit("--warmup must be shorter than --minutes")

    db_url, cleanup = prepare_database()
    env = environment(db_url, args.workers)
    os.environ.update(env)
    workdir = Path(tempfile.mkdtemp(prefix="outbound-fleet-bench-"))
    sandboxes: list[subprocess.Popen] = []
    cluster = None
    try:
        import django

        django.setup()
        import logging

        logging.getLogger("django-q").setLevel(logging.WARNING)
        from django.core.management import call_command
        from django.db import connection, transaction
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone
        from django_q.models import Schedule

        from orders.importing.check import IDLE, check_store
        from orders.models import ImportRun, StoreImportState
        from orders.services import import_tick
        from sandbox import fleet_credentials, fleet_path
        from stores.models import Store, Tenant
        from stores.services import store_create

        call_command("migrate", verbosity=0)
        per = -(-args.stores // args.sandboxes)
        bases = []
        for i in range(args.sandboxes):
            proc, base = start_sandbox(min(per, args.stores - i * per), seed=i + 1, orders=args.fleet_orders)
            sandboxes.append(proc)
            bases.append(base)
        tenant = Tenant.objects.create(name="Fleet agency", slug="fleet")
        t0 = time.monotonic()
        for k in range(args.stores):
            box, number = divmod(k, per)
            username, password = fleet_credentials(number + 1, box + 1)
            store_create(
                tenant=tenant,
                name=f"Fleet store {k + 1}",
                url=bases[box],
                endpoint_path=fleet_path(number + 1),
                username=username,
                password=password,
                import_interval_minutes=1,
            )
        StoreImportState.objects.update(import_watermark=timezone.now())
        print(
            f"{args.stores} stores on {args.sandboxes} sandbox process(es), created in {time.monotonic() - t0:.1f} s",
            flush=True,
        )

        # --- in-process: the tick with every store due, and a sample of idle checks -----------------
        tick_ms, tick_queries = [], []
        for _ in range(3):
            with transaction.atomic():
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    handed = import_tick(enqueue=lambda batch: None)
                    tick_ms.append((time.perf_counter() - started) * 1000)
                tick_queries.append(len(queries))
                transaction.set_rollback(True)
        assert len(handed) == args.stores, len(handed)
        sample = list(Store.objects.order_by("?").values_list("pk", flat=True)[:100])
        sample_queries, outcomes = [], []
        before = fleet_requests(bases)
        for pk in sample:
            with CaptureQueriesContext(connection) as queries:
                outcomes.append(check_store(pk, timezone.now(), 1).outcome)
            sample_queries.append(len(queries))
        sample_requests = (fleet_requests(bases) - before) / len(sample)
        idle_sample = [q for q, o in zip(sample_queries, outcomes, strict=True) if o == IDLE]
        StoreImportState.objects.update(
            next_import_at=None, import_scheduled_at=None, import_queued_until=None, idle_checks=0, last_checked_at=None
        )
        print(
            f"tick with {args.stores} stores due: {statistics.median(tick_ms):.0f} ms, {tick_queries[0]} queries "
            f"(runs: {tick_queries}); idle checks in-process: {len(idle_sample)}/{len(sample)} idle, "
            f"max {max(idle_sample, default=0)} queries, {sample_requests:.2f} requests each",
            flush=True,
        )

        # --- the cluster -------------------------------------------------------------------------------
        call_command("setup_schedules", verbosity=0)
        Schedule.objects.filter(name="outbound-import-tick").update(next_run=timezone.now())
        log = open(workdir / "qcluster.log", "w")
        cluster = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "qclusters"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started = time.monotonic()
        warm_at = started + args.warmup * 60
        end_at = started + args.minutes * 60
        seen: dict[int, list] = {}
        marks = None
        while (now := time.monotonic()) < end_at:
            if cluster.poll() is not None:
                raise SystemExit(f"qcluster exited early; see {workdir / 'qcluster.log'}")
            for pk, checked in StoreImportState.objects.values_list("store_id", "last_checked_at"):
                if checked is not None and (not seen.get(pk) or seen[pk][-1] != checked):
                    seen.setdefault(pk, []).append(checked)
            if marks is None and now >= warm_at:
                marks = (
                    timezone.now(),
                    time.monotonic(),
                    sum(StoreImportState.objects.values_list("idle_checks", flat=True)),
                    ImportRun.objects.count(),
                    fleet_requests(bases),
                )
                print(f"warm-up over after {args.warmup} min; measuring", flush=True)
            time.sleep(2.0)
        end_wall, end_mono = timezone.now(), time.monotonic()
        idle_end = sum(StoreImportState.objects.values_list("idle_checks", flat=True))
        rows_end, requests_end = ImportRun.objects.count(), fleet_requests(bases)
        stop(cluster)
        cluster = None
        log.close()

        warm_wall, warm_mono, idle_warm, rows_warm, requests_warm = marks
        span = end_mono - warm_mono
        limit = 60 + SLACK_S
        fresh, gaps = 0, []
        for pk in Store.objects.values_list("pk", flat=True):
            times = [t for t in seen.get(pk, [])]
            inside = [t for t in times if t >= warm_wall]
            before_warm = [t for t in times if t < warm_wall][-1:]
            points = before_warm + inside
            store_gaps = [(b - a).total_seconds() for a, b in zip(points, points[1:], strict=False)]
            store_gaps.append((end_wall - points[-1]).total_seconds() if points else float("inf"))
            gaps += store_gaps
            fresh += bool(points) and all(g <= limit for g in store_gaps)
        if args.debug:
            from django_q.models import Task

            for task in Task.objects.order_by("started"):
                print(
                    f"  task {task.name:40} {task.started:%H:%M:%S.%f} → {task.stopped:%H:%M:%S.%f} "
                    f"{str(task.result)[:60]}"
                )
            late = [
                (pk, [f"{t:%H:%M:%S}" for t in times])
                for pk, times in seen.items()
                if any((b - a).total_seconds() > limit for a, b in zip(times, times[1:], strict=False))
            ]
            for pk, times in late[:8]:
                print(f"  late store {pk}: checked at {' '.join(times)}")
        checks = idle_end - idle_warm
        new_rows = rows_end - rows_warm
        result = {
            "idle_runs_per_s": round(checks / span, 2),
            "fresh_share": round(fresh / args.stores, 4),
            "queries_per_idle_run": max(idle_sample, default=None),
            "requests_per_idle_run": round((requests_end - requests_warm) / max(1, checks + new_rows), 3),
            "run_rows_per_store_hour": round(new_rows / args.stores / (span / 3600), 4),
            "tick_ms": round(statistics.median(tick_ms), 1),
            "tick_queries": tick_queries[0],
            "stores": args.stores,
            "minutes": args.minutes,
            "sample_requests_per_idle_check": round(sample_requests, 3),
            "gap_p50_s": round(statistics.median(gaps), 2) if gaps else None,
            "gap_p99_s": round(sorted(gaps)[int(0.99 * (len(gaps) - 1))], 2) if gaps else None,
            "gap_max_s": round(max(gaps), 2) if gaps else None,
            "workers": args.workers,
            "broker": "redis" if os.environ.get("REDIS_URL") else "orm",
        }
        print(
            f"{checks} idle checks in {span:.0f} s measured: {result['idle_runs_per_s']} per s "
            f"(baseline, the interval's own rate: {args.stores / 60:.2f} per s); fresh within 60+{SLACK_S:.0f} s: "
            f"{fresh}/{args.stores} stores; check gaps p50 {result['gap_p50_s']} s, p99 {result['gap_p99_s']} s, "
            f"max {result['gap_max_s']} s"
        )
        print(
            f"requests per check {result['requests_per_idle_run']}, queries per idle check "
            f"{result['queries_per_idle_run']}, import-run rows {new_rows} ({result['run_rows_per_store_hour']} "
            f"per store per hour; before: 60 per store per hour at this interval)"
        )
        print(json.dumps(result))
        return 0
    finally:
        if cluster is not None:
            stop(cluster)
        for proc in sandboxes:
            stop(proc, timeout=5)
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
