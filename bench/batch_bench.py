"""Batch shipping and the streamed CSV export.

    python bench/batch_bench.py [--batch 500] [--export 10000]

Sets up a throw-away SQLite database (or uses DATABASE_URL), seeds one tenant and times:

* `shipments.batch.batch_ship` of --batch orders (each order in its own transaction with its outcome),
  against the same-run baseline of `shipment_create` called once per order in a loop (what shipping them
  one at a time costs the server);
* the same batch submitted again (every order skipped: nothing ships twice);
* the orders CSV export of --export orders, streamed: its time and its peak Python memory, against the
  same-run baseline of a tenth of the orders (a streamed export's memory should not grow tenfold).

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _setup import sqlite_url, use_environment  # noqa: E402


def _environment(workdir: Path) -> None:
    use_environment(os.environ.get("DATABASE_URL") or sqlite_url(workdir))


def _orders(store, n: int, prefix: str) -> list:
    from django.utils import timezone

    from orders.models import Order, OrderLine, OrderStatus

    now = timezone.now()
    orders = Order.objects.bulk_create(
        Order(
            tenant_id=store.tenant_id,
            store=store,
            external_id=f"{prefix}{i}",
            number=f"{prefix}{i}",
            store_status="New",
            status=OrderStatus.AWAITING_SHIPMENT,
            order_date=now,
            modified_at=now,
            ship_to={"name": "Pat", "city": "Austin"},
            ship_to_name="Pat",
            email="",
        )
        for i in range(n)
    )
    OrderLine.objects.bulk_create(
        OrderLine(order=o, line_key="1", position=0, sku="SKU", name="Thing", quantity=1, unit_price=1) for o in orders
    )
    return list(Order.objects.filter(number__startswith=prefix).order_by("pk"))


def _export_peak(orders) -> tuple[float, int]:
    from orders.csv_export import orders_csv

    tracemalloc.start()
    started = time.perf_counter()
    size = sum(len(line) for line in orders_csv(orders))
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak if size else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--export", type=int, default=10_000)
    args = parser.parse_args()

    _environment(Path(tempfile.mkdtemp(prefix="batch-bench-")))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from orders.models import Order
    from shipments import batch
    from shipments.services import shipment_create
    from stores.models import Store, Tenant

    tenant = Tenant.objects.create(name="Bench")
    store = Store(tenant=tenant, name="Bench store", url="https://shop.example.com", username="u")
    store.set_password("p")
    store.save()

    single = _orders(store, args.batch, "S")
    started = time.perf_counter()
    for i, order in enumerate(single):
        shipment_create(order=order, carrier="UPS", tracking_number=f"1ZS{i}", notify_buyer=False)
    single_s = time.perf_counter() - started

    batched = _orders(store, args.batch, "B")
    rows = [batch.ShipRow(order=o, carrier="UPS", tracking_number=f"1ZB{i}") for i, o in enumerate(batched)]
    started = time.perf_counter()
    batch.batch_ship(tenant=tenant, key="bench", rows=rows, notify_buyer=False)
    batch_s = time.perf_counter() - started
    started = time.perf_counter()
    batch.batch_ship(tenant=tenant, key="bench", rows=rows, notify_buyer=False)
    again_s = time.perf_counter() - started

    have = Order.objects.filter(store=store).count()
    _orders(store, max(0, args.export - have), "E")
    small_s, small_peak = _export_peak(Order.objects.filter(store=store).order_by("pk")[: args.export // 10])
    large_s, large_peak = _export_peak(Order.objects.filter(store=store).order_by("pk"))

    figures = {
        "batch_orders": args.batch,
        "one_by_one_s": round(single_s, 2),
        "batch_s": round(batch_s, 2),
        "batch_ms_per_order": round(1000 * batch_s / args.batch, 1),
        "resubmit_s": round(again_s, 2),
        "export_rows": args.export,
        "export_s": round(large_s, 2),
        "export_peak_kib": large_peak // 1024,
        "baseline_export_rows": args.export // 10,
        "baseline_export_s": round(small_s, 2),
        "baseline_export_peak_kib": small_peak // 1024,
    }
    print(f"ship {args.batch} orders one by one (shipment_create loop): {single_s:.2f} s")
    print(
        f"ship {args.batch} orders as one batch:                      {batch_s:.2f} s "
        f"({figures['batch_ms_per_order']} ms per order)"
    )
    print(f"the same batch submitted again (nothing shipped):           {again_s:.2f} s")
    print(
        f"orders CSV, {args.export // 10} rows: {small_s:.2f} s, peak {small_peak // 1024} KiB; "
        f"{args.export} rows: {large_s:.2f} s, peak {large_peak // 1024} KiB"
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
