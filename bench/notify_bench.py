"""How long from `shipment_create` until the store has recorded the notice, through a real django-q2
cluster on the ORM broker.

    python bench/notify_bench.py [--shipments 200] [--rate 20] [--workers 4]

Sets up a throw-away SQLite database (or uses DATABASE_URL), starts the sandbox store in this process
and `manage.py qcluster` as a subprocess, creates one shipment per sandbox order at `--rate` per
second, and timestamps each notice as the sandbox receives it. The last line printed is one JSON
object: p50_s, p95_s, delivered, duplicates_at_store (and a few more figures).
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
from datetime import datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _setup import environment, sqlite_url  # noqa: E402


def _environment(workdir: Path, workers: int) -> dict[str, str]:
    env = environment(
        os.environ.get("DATABASE_URL") or sqlite_url(workdir),
        Q_WORKERS=str(workers),
        Q_POLL=os.environ.get("Q_POLL", "0.05"),
        Q_SITE="notify-bench",
    )
    env.pop("Q_SYNC", None)
    return env


def _order_from_truth(store, truth: dict):
    from orders.models import Order, OrderLine, OrderStatus, ProductKind
    from stores.models import Storefront

    storefront, _ = Storefront.objects.get_or_create(store=store, name=truth["Storefront"]["name"])
    when = datetime.fromisoformat(truth["OrderDate"].replace("Z", "+00:00"))
    ship_to = truth["Customer"]["ShipTo"] or {}
    order = Order.objects.create(
        tenant=store.tenant,
        store=store,
        storefront=storefront,
        external_id=truth["OrderID"],
        number=truth["OrderNumber"],
        store_status=truth["OrderStatus"],
        status=OrderStatus.AWAITING_SHIPMENT,
        order_date=when,
        modified_at=when,
        customer_code=truth["Customer"]["CustomerCode"],
        email=truth["Customer"]["BillTo"].get("Email", ""),
        ship_to_name=ship_to.get("Name", ""),
        ship_to={
            "name": ship_to.get("Name", ""),
            "address1": ship_to.get("Address1", ""),
            "city": ship_to.get("City", ""),
            "state": ship_to.get("State", ""),
            "postal_code": ship_to.get("PostalCode", ""),
            "country": ship_to.get("Country", ""),
        },
    )
    for position, item in enumerate(truth["Items"]):
        physical = item["ProductKind"] == "physical" and not item["Adjustment"]
        OrderLine.objects.create(
            order=order,
            line_key=f"{item['LineItemID']}:{position}",
            position=position,
            line_item_id=item["LineItemID"],
            sku=item["SKU"],
            name=item["Name"],
            quantity=item["Quantity"],
            unit_price=Decimal(item["UnitPrice"]),
            is_adjustment=item["Adjustment"],
            is_shippable=physical,
            product_kind=ProductKind.PHYSICAL if physical else ProductKind.NO_SHIP,
        )
    return order


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shipments", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0, help="shipments created per second")
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("Q_WORKERS", 2)),
        help="django-q2 workers (default: Q_WORKERS or 2, as in the settings)",
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the last notice")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="notify-bench-"))
    env = _environment(workdir, args.workers)
    os.environ.update(env)
    os.environ.pop("Q_SYNC", None)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    assert not settings.Q_CLUSTER.get("sync"), "the bench needs a real cluster (Q_SYNC must be off)"
    call_command("migrate", verbosity=0)

    from outbox.models import OutboxMessage, OutboxState
    from sandbox.server import ENDPOINT_PATH, run_sandbox
    from shipments.services import shipment_create
    from stores.models import Tenant
    from stores.services import store_create

    server = run_sandbox(orders=args.shipments + 100, seed=42)
    received: dict[str, float] = {}
    original = server.store.shipnotify

    def timed_shipnotify(params, body):
        recorded, order = original(params, body)
        if recorded:
            received.setdefault(order.order_number, time.monotonic())
        return recorded, order

    server.store.shipnotify = timed_shipnotify

    tenant = Tenant.objects.create(name="Bench", slug=f"bench-{int(time.time())}")
    store = store_create(
        tenant=tenant,
        name="Bench store",
        url=server.base_url,
        endpoint_path=ENDPOINT_PATH,
        username=server.username,
        password=server.password,
    )
    store.settings.send_shipment_confirmation = False
    store.settings.send_delivery_notice = False
    store.settings.save()
    truths = [
        t
        for t in server.truth()["orders"]
        if t["Customer"]["ShipTo"]
        and not t["Shipments"]
        and any(i["ProductKind"] == "physical" and not i["Adjustment"] for i in t["Items"])
    ]
    orders = [_order_from_truth(store, t) for t in truths[: args.shipments]]
    if len(orders) < args.shipments:
        raise SystemExit(f"the sandbox has only {len(orders)} shippable orders")

    log = open(workdir / "qcluster.log", "w")
    cluster = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "qclusters"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        time.sleep(3.0)  # let the workers start before the clock runs
        if cluster.poll() is not None:
            raise SystemExit(f"qcluster exited early; see {workdir / 'qcluster.log'}")
        started: dict[str, float] = {}
        interval = 1.0 / args.rate if args.rate > 0 else 0.0
        next_at = time.monotonic()
        for order in orders:
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            started[order.number] = time.monotonic()
            shipment_create(
                order=order,
                carrier="UPS",
                service="UPS Ground",
                tracking_number=f"1Z{order.number}",
                carrier_fee=Decimal("6.10"),
            )
            next_at += interval
        deadline = time.monotonic() + args.timeout
        while len(received) < len(orders) and time.monotonic() < deadline:
            time.sleep(0.05)
        # The store has them all; give the workers a moment to record the last answers too.
        while (
            OutboxMessage.objects.for_tenant(tenant).filter(state=OutboxState.SENT).count() < len(received)
            and time.monotonic() < deadline
        ):
            time.sleep(0.05)
    finally:
        os.killpg(cluster.pid, signal.SIGTERM)
        try:
            cluster.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
        log.close()
        server.stop()

    latencies = [received[n] - started[n] for n in started if n in received]
    stats = server.store.shipnotify_log
    per_order = [len(server.store.get_order(o.external_id).shipments) for o in orders]
    result = {
        "shipments": len(orders),
        "delivered": len(latencies),
        "duplicates_at_store": stats["duplicates_ignored"] + sum(max(0, n - 1) for n in per_order),
        "p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "p95_s": round(_percentile(latencies, 0.95), 3) if latencies else None,
        "max_s": round(max(latencies), 3) if latencies else None,
        "outbox_sent": OutboxMessage.objects.for_tenant(tenant).filter(state=OutboxState.SENT).count(),
        "rate_per_s": args.rate,
        "workers": args.workers,
        "broker": "orm",
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
    }
    print(
        f"{result['delivered']}/{result['shipments']} notices recorded by the store; "
        f"p50 {result['p50_s']} s, p95 {result['p95_s']} s, max {result['max_s']} s"
    )
    print(json.dumps(result))
    return 0 if result["delivered"] == len(orders) and result["duplicates_at_store"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
