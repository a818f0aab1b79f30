"""How long a batch of packing slips and its pick list take to print (WeasyPrint PDFs).

    .venv/bin/python bench/print_bench.py [--orders 200] [--baseline 20] [--skus 60]

Uses a throw-away SQLite database (migrated here), one branded store, `--orders` orders of 1-4 lines
(from `--skus` products at warehouse locations, some with options, a third partly shipped), and a
loopback image server holding a logo and every product's picture, so the timings include fetching the
images through the guard (cold) and then reading them from the cache (warm). The same-run baseline is a
`--baseline`-order batch, to show how the time grows with the batch. The last line printed is one JSON
object.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import tempfile
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _setup import sqlite_url, use_environment  # noqa: E402


def setup_django(workdir: Path) -> None:
    use_environment(sqlite_url(workdir))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def image_server(skus: int):
    from PIL import Image

    def png(seed: int) -> bytes:
        rng = random.Random(seed)
        image = Image.new("RGB", (160, 160), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        return buffer.getvalue()

    files = {f"/p/{n}.png": png(n) for n in range(skus)} | {"/logo.png": png(999)}
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            hits.append(self.path)
            body = files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}", hits


def seed(n_orders: int, n_skus: int, base_url: str, prefix: str):
    from django.utils import timezone

    from orders.models import Order, OrderLine
    from shipments.services import shipment_create
    from stores.models import Membership, Tenant
    from stores.services import store_create

    rng = random.Random(n_orders)
    tenant = Tenant.objects.create(name=f"Bench {prefix}", slug=f"bench-{prefix}")
    store = store_create(tenant=tenant, name="Bench store", url="https://shop.example.com", username="u", password="p")
    settings = store.settings
    settings.company_name, settings.logo_url = "Bench Goods Co", f"{base_url}/logo.png"
    settings.website, settings.phone, settings.accent_colour = "https://bench.example.com", "+1 555 0100", "#0a7d4f"
    settings.save()
    del Membership  # (no user needed: the services take the orders)
    now = timezone.now()
    orders = Order.objects.bulk_create(
        [
            Order(
                tenant=tenant,
                store=store,
                external_id=f"{prefix}{n}",
                number=f"{prefix}-{n}",
                store_status="New",
                status="awaiting_shipment",
                order_date=now,
                modified_at=now,
                email="b@example.com",
                ship_to={
                    "name": f"Buyer {n}",
                    "address1": f"{n} Main St",
                    "city": "Austin",
                    "state": "TX",
                    "postal_code": "78701",
                    "country": "US",
                },
                ship_to_name=f"Buyer {n}",
                currency="USD",
                order_total=Decimal("50.00"),
                is_gift=n % 7 == 0,
                gift_message="Happy birthday!" if n % 7 == 0 else "",
                shipping_method="USPS Priority",
            )
            for n in range(n_orders)
        ]
    )
    lines = []
    for order in orders:
        for position, sku in enumerate(rng.sample(range(n_skus), rng.randint(1, 4))):
            lines.append(
                OrderLine(
                    order=order,
                    line_key=str(position),
                    position=position,
                    sku=f"SKU-{sku:03d}",
                    name=f"Product {sku}",
                    quantity=rng.randint(1, 3),
                    unit_price=Decimal("12.50"),
                    image_url=f"{base_url}/p/{sku}.png",
                    warehouse_location=f"{'ABCD'[sku % 4]}-{sku % 12 + 1}-{sku % 5 + 1}",
                    options=[{"name": "Size", "value": rng.choice(["S", "M", "L"])}] if sku % 3 == 0 else [],
                )
            )
    OrderLine.objects.bulk_create(lines)
    for order in orders[::3]:
        first = order.lines.order_by("position").first()
        if first.quantity > 1:
            shipment_create(order=order, carrier="UPS", tracking_number=f"1Z{order.pk}", lines={first.pk: 1})
    return Order.objects.filter(tenant=tenant).order_by("order_date", "id")


def timed(fn, *args):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started, cpu = time.perf_counter(), time.process_time()
        result = fn(*args)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return result, (seconds, cpu), len(queries)


def run(qs, label: str) -> dict:
    import pypdf
    from django.core.cache import cache

    from shipments.printing import packing_slips_pdf, pick_list_pdf

    cache.clear()
    slips, (cold, cold_cpu), queries = timed(packing_slips_pdf, qs)
    _, (warm, warm_cpu), _ = timed(packing_slips_pdf, qs)
    picks, (pick_seconds, pick_cpu), pick_queries = timed(pick_list_pdf, qs)
    figures = {
        "orders": qs.count(),
        "slips_cold_s": round(cold, 2),
        "slips_warm_s": round(warm, 2),
        "slips_warm_cpu_s": round(warm_cpu, 2),
        "slips_cold_cpu_s": round(cold_cpu, 2),
        "slip_pages": len(pypdf.PdfReader(io.BytesIO(slips)).pages),
        "slips_kb": len(slips) // 1024,
        "pick_list_s": round(pick_seconds, 2),
        "pick_list_cpu_s": round(pick_cpu, 2),
        "pick_pages": len(pypdf.PdfReader(io.BytesIO(picks)).pages),
        "queries_slips": queries,
        "queries_pick": pick_queries,
    }
    print(
        f"{label:>9}: {figures['orders']} orders → packing slips {cold:.2f} s with images fetched "
        f"(CPU {cold_cpu:.2f} s), {warm:.2f} s cached (CPU {warm_cpu:.2f} s; {figures['slip_pages']} pages, "
        f"{figures['slips_kb']} KB, {queries} queries); pick list {pick_seconds:.2f} s (CPU {pick_cpu:.2f} s; "
        f"{figures['pick_pages']} pages, {pick_queries} queries)"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--baseline", type=int, default=20)
    parser.add_argument("--skus", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        setup_django(Path(workdir))
        httpd, base_url, hits = image_server(args.skus)
        try:
            baseline = run(seed(args.baseline, args.skus, base_url, "B"), "baseline")
            batch = run(seed(args.orders, args.skus, base_url, "O"), "batch")
        finally:
            httpd.shutdown()
    per_order = {
        k: round(batch[k] / max(1, batch["orders"]) * 1000, 1)
        for k in ("slips_warm_s", "slips_warm_cpu_s", "pick_list_s", "pick_list_cpu_s")
    }
    print(
        f"per order: packing slips {per_order['slips_warm_s']} ms (CPU {per_order['slips_warm_cpu_s']} ms), "
        f"pick list {per_order['pick_list_s']} ms (CPU {per_order['pick_list_cpu_s']} ms); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; image requests served: {len(hits)}"
    )
    print(
        json.dumps(
            {
                "batch": batch,
                "baseline": baseline,
                "ms_per_order": per_order,
                "image_requests": len(hits),
                "load_average": round(os.getloadavg()[0], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
