"""Label batches (issue 29 part 5): rates at once, labels bought by a two-worker cluster, the merged PDF.

    DATABASE_URL=postgres://user@host:port/postgres python bench/label_bench.py [--rates 100] [--labels 200]

On a throw-away PostgreSQL database (bench/_setup.py) and the carrier sandbox on a free loopback port,
answering every rating, shipping and voiding call after --latency seconds (300 ms, as a real carrier), with
three label accounts (UPS, USPS, FedEx):

* `rates_100_s`: a label batch's preview of --rates orders: every order's rates from the three carriers,
  the carriers asked at once (labels.batches.label_batch_preview: LABEL_RATE_CONCURRENCY orders at a time,
  karrio asking each order's three carriers at once); against `serial_rates_100_s`, the same rates asked one
  call after another (each order, each carrier in turn: rates_for with one account), measured in the same
  run;
* `labels_200_s`: a confirmed batch of --labels orders bought by a real django-q2 cluster (`manage.py qclusters
  --queue batches`, two workers: each claims chunks of orders with a lease), from the confirmation to the
  batch done;
* `merged_pdf_s`: the batch's merged PDF (one 4×6 label a page) built from its 200 labels;
* `double_purchases`: from the sandbox's truth against Outbound's records: labels sold beyond one per order,
  plus labels sold that Outbound has no shipment for (must be 0).

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _setup import environment, postgres_database  # noqa: E402

DOCK = {
    "name": "Dock",
    "company": "Outbound Shop Inc",
    "phone": "5125550100",
    "street1": "2 Elm Street",
    "city": "Austin",
    "state": "TX",
    "postal_code": "78701",
}


def seed(sandbox, n: int):
    from decimal import Decimal

    from django.utils import timezone

    from carriers.services import (
        carrier_account_create,
        package_preset_create,
        ship_from_create,
        store_default_ship_from_set,
    )
    from orders.models import Order, OrderLine, OrderStatus
    from sandbox.carriers.server import CLIENT_ID, CLIENT_SECRET
    from stores.models import Tenant
    from stores.services import store_create

    tenant = Tenant.objects.create(name="Bench", slug=f"bench-{uuid.uuid4().hex[:6]}")
    # Store updates go nowhere (nothing listens there) and wait for their retry: they play no part here.
    store = store_create(tenant=tenant, name="Bench store", url="http://127.0.0.1:9/", username="u", password="p")
    dock = ship_from_create(tenant=tenant, **DOCK)
    store_default_ship_from_set(store=store, ship_from=dock)
    package_preset_create(tenant=tenant, name="Small box", length=10, width=8, height=4, is_default=True)
    for carrier in ("UPS", "USPS", "FedEx"):
        carrier_account_create(
            tenant=tenant,
            carrier=carrier,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            account_number="ACCT-7",
            server_url=sandbox.base_url,
            use_for_labels=True,
        )
    now = timezone.now()
    cities = [
        ("Chicago", "IL", "60614"),
        ("Seattle", "WA", "98101"),
        ("Miami", "FL", "33101"),
        ("Austin", "TX", "78701"),
    ]
    orders = Order.objects.bulk_create(
        Order(
            tenant=tenant,
            store=store,
            external_id=f"L{i}",
            number=f"L-{i:04d}",
            store_status="New",
            status=OrderStatus.AWAITING_SHIPMENT,
            order_date=now,
            modified_at=now,
            ship_to={
                "name": "Pat Buyer",
                "address1": f"{i + 1} Main Street",
                "city": cities[i % 4][0],
                "state": cities[i % 4][1],
                "postal_code": cities[i % 4][2],
                "country": "US",
            },
            ship_to_name="Pat Buyer",
            email=f"buyer{i}@example.com",
        )
        for i in range(n)
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=o,
            line_key="1",
            position=0,
            sku="MUG",
            name="Mug",
            quantity=1 + i % 3,
            unit_price=Decimal("12.00"),
            unit_weight=Decimal("0.75"),
            weight_unit="Pounds",
        )
        for i, o in enumerate(orders)
    )
    return tenant, list(Order.objects.filter(tenant=tenant).order_by("pk"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", type=int, default=100)
    parser.add_argument("--labels", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--workers", type=int, default=2, help="the cluster's workers (1: the baseline of 2)")
    args = parser.parse_args()

    url, cleanup = postgres_database("label_bench")
    os.environ.pop("REDIS_URL", None)  # the ORM broker, in the throw-away database: no queue shared with anyone
    overrides = {
        "Q_SYNC": "False",
        "Q_SITE": f"label-bench-{uuid.uuid4().hex[:8]}",
        "Q_BATCHES_WORKERS": str(args.workers),
        "Q_POLL": "0.1",
        "LABEL_BATCH_WORKERS": str(args.workers),
    }
    env = environment(url, **overrides)  # once: the cluster must read the credentials with the same keys
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from labels.batches import batch_items, label_batch_confirm, label_batch_document, label_batch_preview
    from labels.models import BatchMode, BatchState, LabelBatch, LabelPurchase, PurchaseState
    from labels.rates import rates_for
    from sandbox.carriers import run_carrier_sandbox
    from shipments.models import Shipment, ShipmentState

    sandbox = run_carrier_sandbox(latency=args.latency)
    cluster = None
    try:
        tenant, orders = seed(sandbox, args.rates + args.labels)
        rate_orders, label_orders = orders[: args.rates], orders[args.rates :]
        from carriers.selectors import label_accounts

        accounts = list(label_accounts(tenant=tenant))
        rates_for(rate_orders[0], accounts=accounts[:1])  # tokens fetched once, outside the timings

        started = time.perf_counter()
        preview = label_batch_preview(tenant=tenant, orders=rate_orders, mode=BatchMode.CHEAPEST, key="rates")
        rates_s = time.perf_counter() - started
        priced = sum(1 for item in batch_items(preview) if item.price is not None)
        rate_calls = sandbox.rate_requests()

        started = time.perf_counter()
        serial_priced = 0
        for order in rate_orders:
            best = None
            for account in accounts:
                answer = rates_for(order, accounts=[account])
                if answer.rates and (best is None or answer.rates[0].price < best):
                    best = answer.rates[0].price
            serial_priced += best is not None
        serial_s = time.perf_counter() - started

        batch = label_batch_preview(tenant=tenant, orders=label_orders, mode=BatchMode.CHEAPEST, key="labels")
        cluster = subprocess.Popen(
            [sys.executable, "manage.py", "qclusters", "--queue", "batches"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(8)  # the cluster's workers start (not timed)
        started = time.perf_counter()
        label_batch_confirm(batch=batch)
        while LabelBatch.objects.get(pk=batch.pk).state != BatchState.DONE:
            if time.perf_counter() - started > 900:
                raise SystemExit("the batch did not finish within 15 minutes")
            time.sleep(0.2)
        labels_s = time.perf_counter() - started
        workers = {item.leased_by.rsplit(":", 1)[0] for item in batch_items(batch) if item.leased_by}

        started = time.perf_counter()
        document, pages = label_batch_document(batch)
        merged_s = time.perf_counter() - started

        sold = sandbox.labels_sold()
        by_reference = {p.reference: p.order_id for p in LabelPurchase.objects.filter(tenant=tenant)}
        sold_orders = [by_reference.get(label.reference) for label in sold]
        ours = set(
            Shipment.objects.filter(label_purchase__state=PurchaseState.BOUGHT)
            .exclude(state=ShipmentState.VOIDED)
            .values_list("tracking_number", flat=True)
        )
        double = (len(sold_orders) - len(set(sold_orders))) + len({label.tracking_number for label in sold} - ours)
        bought = LabelPurchase.objects.filter(tenant=tenant, state=PurchaseState.BOUGHT).count()
        errors = {item.error or (item.purchase.error if item.purchase else "") for item in batch_items(batch)} - {""}
    finally:
        if cluster is not None and cluster.poll() is None:
            import signal

            os.killpg(cluster.pid, signal.SIGTERM)
            try:
                cluster.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(cluster.pid, signal.SIGKILL)
        sandbox.stop()
        cleanup()

    figures = {
        "rate_orders": args.rates,
        "latency_s": args.latency,
        "rates_100_s": round(rates_s, 2),
        "serial_rates_100_s": round(serial_s, 2),
        "rate_calls": rate_calls,
        "labels": args.labels,
        "labels_bought": bought,
        "cluster_workers": args.workers,
        "cluster_workers_used": len(workers),
        "labels_200_s": round(labels_s, 2),
        "merged_pdf_s": round(merged_s, 2),
        "merged_pdf_pages": pages,
        "merged_pdf_kib": len(document) // 1024,
        "double_purchases": double,
    }
    print(f"rates of {args.rates} orders x 3 carriers, at once:        {rates_s:.2f} s ({priced} priced)")
    print(f"the same rates one call after another (same run):  {serial_s:.2f} s ({serial_priced} priced)")
    print(
        f"{args.labels} labels bought by a {args.workers}-worker cluster:          {labels_s:.2f} s ({bought} bought)"
    )
    print(f"merged PDF of {pages} labels:                           {merged_s:.2f} s ({len(document) // 1024} KiB)")
    print(f"double purchases (sandbox truth vs Outbound):       {double}")
    for error in sorted(errors)[:5]:
        print(f"  not bought: {error}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
