"""Fleet cost of carrier tracking: 10,000 shipments in transit across 500 tenants, polled through karrio
against the carrier sandbox (real HTTP over loopback, karrio's real UPS and USPS code).

    python bench/tracking_bench.py [--tenants 500] [--shipments 10000]

Sets up a throw-away SQLite database (or uses DATABASE_URL), starts the carrier sandbox in this process,
creates one UPS or USPS account per tenant and the shipments (shipped 0 to 40 days ago), then runs one
poll cycle (tracking.services.tracking_poll_due, batches inline) and a second one straight after.

Printed: carrier HTTP requests and karrio calls in the first cycle, queries per batch (every batch of the
cycle measured; a batch with no state change, and the worst), time per cycle, how many shipments fall due
in the next hour (the back-off), and the same-run baseline: what polling every shipment every cycle, one
request each, would cost per hour. The last line is JSON: requests_per_cycle, queries_per_batch, cycle_s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _setup import sqlite_url, use_environment  # noqa: E402


def _environment(workdir: Path) -> None:
    use_environment(os.environ.get("DATABASE_URL") or sqlite_url(workdir), Q_SYNC="True")


def _seed(tenants: int, shipments: int, sandbox) -> None:
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from carriers.services import carrier_account_create
    from orders.models import Order
    from sandbox.carriers.server import CLIENT_ID, CLIENT_SECRET
    from shipments.models import Shipment
    from stores.models import Store, Tenant

    now = timezone.now()
    Tenant.objects.bulk_create([Tenant(name=f"Bench {i}", slug=f"bench-{i}") for i in range(tenants)])
    all_tenants = list(Tenant.objects.order_by("pk"))
    stores = []
    for i, tenant in enumerate(all_tenants):
        store = Store(tenant=tenant, name=f"Store {i}", url="https://shop.example.com", username="u")
        store.set_password("p")
        stores.append(store)
    Store.objects.bulk_create(stores)
    stores = list(Store.objects.order_by("pk"))
    carriers = ["UPS", "USPS"]
    for i, tenant in enumerate(all_tenants):
        carrier_account_create(
            tenant=tenant,
            carrier=carriers[i % 2],
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            test_mode=True,
            server_url=sandbox.base_url,
        )
    per = shipments // tenants
    orders = [
        Order(
            tenant_id=store.tenant_id,
            store=store,
            external_id=f"X{i}-{j}",
            number=f"N{i}-{j}",
            store_status="Pending",
            status="shipped",
            order_date=now,
            modified_at=now,
            email="buyer@example.com",
            ship_to={"name": "Pat"},
            ship_to_name="Pat",
            order_total=Decimal("10"),
        )
        for i, store in enumerate(stores)
        for j in range(per)
    ]
    Order.objects.bulk_create(orders, batch_size=2000)
    rows = []
    for k, order in enumerate(Order.objects.order_by("pk").values_list("pk", "tenant_id")):
        age = dt.timedelta(hours=(k * 7919) % (40 * 24))  # 0 to 40 days, spread evenly
        rows.append(
            Shipment(
                tenant_id=order[1],
                order_id=order[0],
                carrier=carriers[(order[1] - 1) % 2],
                tracking_number=f"1ZBENCH{k:06}",
                created_at=now - age,
                updated_at=now - age,
                ship_date=(now - age).date(),
            )
        )
    Shipment.objects.bulk_create(rows, batch_size=2000)
    # In transit at the carrier: each parcel's story started 1 to 43 hours ago (out for delivery comes at
    # 44 h), whatever the shipment's age, so the cycle measures following a fleet, not delivering it.
    start = sandbox.now()
    for k, shipment in enumerate(rows):
        sandbox.register(shipment.tracking_number, at=start - 3600 * (1 + (k * 13) % 43))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=500)
    parser.add_argument("--shipments", type=int, default=10_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tracking-bench-") as workdir:
        _environment(Path(workdir))
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        import tracking.services as services
        from sandbox.carriers import run_carrier_sandbox
        from tracking.models import ShipmentTracking

        call_command("migrate", verbosity=0)
        sandbox = run_carrier_sandbox()
        sandbox.clock.start = time.time()
        try:
            t0 = time.perf_counter()
            _seed(args.tenants, args.shipments, sandbox)
            print(
                f"seeded {args.shipments} shipments across {args.tenants} tenants in {time.perf_counter() - t0:.1f} s"
            )

            real_batch = services.tracking_poll_batch
            measured: list[tuple[int, int, int]] = []  # (queries, shipments, state changes)

            def counted(**kwargs):
                with CaptureQueriesContext(connection) as ctx:
                    result = real_batch(**kwargs)
                measured.append((len(ctx.captured_queries), result.get("polled", 0), result.get("changed", 0)))
                return result

            services.tracking_poll_batch = counted
            before = len(sandbox.requests)
            t0 = time.perf_counter()
            with CaptureQueriesContext(connection) as cycle_ctx:
                summary = services.tracking_poll_due(run_inline=True)
            cycle_s = time.perf_counter() - t0
            http = sandbox.requests[before:]
            requests_per_cycle = sum(1 for _, path in http if "/track" in path)
            tokens = len(http) - requests_per_cycle
            print(
                f"cycle 1: {summary['batches']} karrio calls (batches) for {summary['shipments']} shipments due, "
                f"{requests_per_cycle} tracking HTTP requests + {tokens} token requests, {cycle_s:.1f} s, "
                f"{len(cycle_ctx.captured_queries)} queries in all"
            )

            steady = [q for q, n, changed in measured if changed == 0 and n]
            worst = max(q for q, _, _ in measured)
            queries_per_batch = max(steady) if steady else worst
            print(
                f"queries per batch: {queries_per_batch} (over {len(steady)} batches without a delivery, "
                f"out-for-delivery or exception, median {statistics.median(steady) if steady else '-'}; worst "
                f"batch {worst}); each of those transitions adds the shipments service's own queries"
            )

            before = len(sandbox.requests)
            t0 = time.perf_counter()
            again = services.tracking_poll_due(run_inline=True)
            print(
                f"cycle 2 (straight after): {again['shipments']} due, {len(sandbox.requests) - before} requests, "
                f"{time.perf_counter() - t0:.2f} s"
            )

            # Steady state: each followed shipment is asked once per its own interval (back-off by age).
            intervals = [
                (t.next_poll_at - t.last_polled_at).total_seconds() / 3600
                for t in ShipmentTracking.objects.filter(next_poll_at__isnull=False, last_polled_at__isnull=False)
            ]
            per_hour = round(sum(1 / h for h in intervals if h > 0))
            followed = len(intervals)
            naive_per_hour = args.shipments * 12  # every shipment, every 5-minute cycle, one request each
            print(
                f"back-off: {followed} followed; asked every {min(intervals):.0f} h to {max(intervals):.0f} h by "
                f"age; shipments older than {services.settings.TRACKING_MAX_AGE_DAYS} days not followed"
            )
            print(
                f"requests per hour in steady state: {per_hour}; baseline (same run) polling all "
                f"{args.shipments} every 5-minute cycle: {naive_per_hour}"
            )
        finally:
            sandbox.stop()
        print(
            json.dumps(
                {
                    "requests_per_cycle": requests_per_cycle,
                    "token_requests": tokens,
                    "karrio_calls_per_cycle": summary["batches"],
                    "queries_per_batch": queries_per_batch,
                    "queries_per_batch_worst": worst,
                    "cycle_s": round(cycle_s, 2),
                    "requests_per_hour": per_hour,
                    "baseline_requests_per_hour": naive_per_hour,
                }
            )
        )


if __name__ == "__main__":
    main()
