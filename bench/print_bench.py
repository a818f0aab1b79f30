"""How long a batch of packing slips and its pick list take to print (WeasyPrint PDFs), and printing 250
slips through the README's production command.

    .venv/bin/python bench/print_bench.py [--orders 200] [--baseline 20] [--skus 60]
                                          [--server-orders 250] [--starts 10] [--no-server] [--no-inline-baseline]

Uses a throw-away SQLite database (migrated here), one branded store, `--orders` orders of 1-4 lines
(from `--skus` products at warehouse locations, some with options, a third partly shipped), and a
loopback image server holding a logo and every product's picture, so the timings include fetching the
images through the guard (cold) and then reading them from the cache (warm). The same-run baseline is a
`--baseline`-order batch, to show how the time grows with the batch.

Then, through the README's production command (`gunicorn config.wsgi --workers 4`, gunicorn's default 30 s
timeout, bound to a free loopback port) and a real `qcluster` (ORM broker) on the same SQLite file: a user
signs in and posts `--server-orders` order ids to the packing slips URL; it prints the latency of that
request (it only starts a print job), the time until the PDF is downloaded (polling the job's status every
0.5 s) and its pages; then `--starts` more start requests (their jobs deleted at once: latency only). The
same-run baseline is the code before print jobs: the same post to a second gunicorn with
PRINT_INLINE_MAX_ORDERS set to the batch, which renders within the request (`--no-inline-baseline` skips
it). The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _setup import environment, sqlite_url, use_environment  # noqa: E402


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


# --- through the README's production command ------------------------------------------------------------

README_WEB = ["config.wsgi", "--workers", "4", "--bind", "127.0.0.1:0"]  # "Running in production", any port


def _server_env(workdir: Path, **overrides: str) -> dict[str, str]:
    return environment(
        sqlite_url(workdir),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="False",
        SESSION_COOKIE_SECURE="False",
        CSRF_COOKIE_SECURE="False",
        Q_CLUSTER_NAME=f"print-bench-{uuid.uuid4().hex[:8]}",
        Q_SYNC="False",
        **overrides,
    )


def _start_gunicorn(env: dict, log_path: Path) -> tuple[subprocess.Popen, str]:
    log = open(log_path, "w")  # noqa: SIM115 (closed with the process)
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), *README_WEB],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        match = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", log_path.read_text())
        if match:
            return server, match.group(1)
        time.sleep(0.1)
    _stop(server)
    raise SystemExit("gunicorn did not start:\n" + log_path.read_text()[-2000:])


def _stop(process: subprocess.Popen) -> None:
    import signal

    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _sign_in(base: str, username: str, password: str):
    import requests

    session = requests.Session()
    for _ in range(50):  # the workers boot
        try:
            session.get(f"{base}/login/", timeout=30)
            break
        except requests.ConnectionError:
            time.sleep(0.2)
    token = session.cookies["csrftoken"]
    response = session.post(
        f"{base}/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        timeout=30,
        allow_redirects=False,
    )
    if response.status_code != 302:
        raise SystemExit(f"sign-in failed: HTTP {response.status_code}")
    session.get(f"{base}/orders/", timeout=30)  # the session learns its workspace; every worker warmed below
    return session


def _post(session, base: str, ids: list[int], timeout: float = 120):
    import requests

    started = time.perf_counter()
    try:
        response = session.post(
            f"{base}/orders/print/packing-slips/",
            data={"order_ids": ids, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            timeout=timeout,
            allow_redirects=False,
        )
        status = response.status_code
    except requests.RequestException as exc:
        response, status = None, type(exc).__name__
    return response, status, (time.perf_counter() - started) * 1000


def inprocess_start(ids: list[int], user, starts: int) -> dict:
    """The request that starts a print job, run in this process (Django's test client, the production
    settings): its CPU time and queries, which the machine's load does not change as it does the latency."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from shipments.models import PrintJob

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(user)
    client.get("/orders/", secure=True)  # the session learns its workspace
    cpu, wall, queries = [], [], []
    for _ in range(starts + 1):
        with CaptureQueriesContext(connection) as captured:
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.post("/orders/print/packing-slips/", {"order_ids": ids}, secure=True)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        if response.status_code != 302:
            raise SystemExit(f"starting a print job in-process answered {response.status_code}")
        queries.append(len(captured))
    PrintJob.objects.all().delete()  # their queued tasks find nothing
    return {
        "inprocess_start_cpu_p50_ms": round(statistics.median(cpu), 1),
        "inprocess_start_wall_p50_ms": round(statistics.median(wall), 1),
        "inprocess_start_queries": max(queries),
    }


def server_run(workdir: Path, ids: list[int], starts: int, inline_baseline: bool) -> dict:
    import pypdf
    from django.contrib.auth import get_user_model

    from shipments.models import PrintJob
    from stores.models import Membership, Role, Tenant

    password = "bench-print-" + uuid.uuid4().hex[:8]
    user = get_user_model().objects.create_user("bench-printer", password=password)
    Membership.objects.create(user=user, tenant=Tenant.objects.get(slug="bench-S"), role=Role.MEMBER)
    figures: dict = {"orders": len(ids), **inprocess_start(ids, user, starts)}
    print(
        f"in-process: starting a {len(ids)}-slip print job costs {figures['inprocess_start_cpu_p50_ms']:.0f} ms of "
        f"CPU (p50, wall {figures['inprocess_start_wall_p50_ms']:.0f} ms), {figures['inprocess_start_queries']} "
        "queries"
    )
    env = _server_env(workdir)
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server, base = _start_gunicorn(env, workdir / "gunicorn.log")
    try:
        session = _sign_in(base, "bench-printer", password)
        for _ in range(8):
            session.get(f"{base}/orders/", timeout=30)
        started = time.perf_counter()
        response, status, start_ms = _post(session, base, ids)
        if status != 302:
            raise SystemExit(f"starting the print job answered {status}")
        job_url = base + response.headers["Location"]
        status_url = job_url + "status/"
        polls = 0
        while True:
            state = session.get(status_url, timeout=30).json()
            polls += 1
            if state["finished"]:
                break
            time.sleep(0.5)
        if state["state"] != "done":
            raise SystemExit(f"the print job failed: {state['error']}")
        pdf = session.get(base + state["download_url"], timeout=120)
        download_s = time.perf_counter() - started
        figures.update(
            start_ms=round(start_ms, 1),
            download_s=round(download_s, 1),
            pages=len(pypdf.PdfReader(io.BytesIO(pdf.content)).pages),
            pdf_kb=len(pdf.content) // 1024,
            status_polls=polls,
        )
        more = []
        for _ in range(starts):
            response, status, ms = _post(session, base, ids)
            if status != 302:
                raise SystemExit(f"starting a print job answered {status}")
            PrintJob.objects.filter(pk=int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])).delete()
            more.append(ms)
        all_starts = sorted([start_ms, *more])
        figures.update(
            start_p50_ms=round(statistics.median(all_starts), 1),
            start_max_ms=round(all_starts[-1], 1),
            starts=len(all_starts),
            worker_timeouts=(workdir / "gunicorn.log").read_text().count("WORKER TIMEOUT"),
        )
    finally:
        _stop(server)
        _stop(cluster)
    print(
        f"   server: gunicorn (README command) + qcluster: starting a {len(ids)}-slip print job "
        f"{figures['start_ms']:.0f} ms (over {figures['starts']} starts p50 {figures['start_p50_ms']:.0f} ms, "
        f"max {figures['start_max_ms']:.0f} ms); PDF downloaded {figures['download_s']:.1f} s after the post "
        f"({figures['pages']} pages, {figures['pdf_kb']} KB); gunicorn worker timeouts: {figures['worker_timeouts']}"
    )
    if inline_baseline:
        env = _server_env(workdir, PRINT_INLINE_MAX_ORDERS=str(len(ids)))
        server, base = _start_gunicorn(env, workdir / "gunicorn-inline.log")
        try:
            session = _sign_in(base, "bench-printer", password)
            response, status, ms = _post(session, base, ids)
            pages = 0
            if status == 200 and response.headers.get("Content-Type") == "application/pdf":
                pages = len(pypdf.PdfReader(io.BytesIO(response.content)).pages)
        finally:
            _stop(server)
        timeouts = (workdir / "gunicorn-inline.log").read_text().count("WORKER TIMEOUT")
        figures["inline_baseline"] = {"status": status, "seconds": round(ms / 1000, 1), "pages": pages}
        figures["inline_baseline"]["worker_timeouts"] = timeouts
        print(
            f" baseline: the same post rendered within the request (before print jobs): answered {status} "
            f"after {ms / 1000:.1f} s, {pages} pages; gunicorn worker timeouts: {timeouts}"
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--baseline", type=int, default=20)
    parser.add_argument("--skus", type=int, default=60)
    parser.add_argument("--server-orders", type=int, default=250)
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--no-server", action="store_true", help="skip the run through gunicorn and a cluster")
    parser.add_argument("--no-inline-baseline", action="store_true", help="skip the render-in-the-request baseline")
    args = parser.parse_args()
    server = None
    with tempfile.TemporaryDirectory() as workdir:
        setup_django(Path(workdir))
        httpd, base_url, hits = image_server(args.skus)
        try:
            baseline = run(seed(args.baseline, args.skus, base_url, "B"), "baseline")
            batch = run(seed(args.orders, args.skus, base_url, "O"), "batch")
            if not args.no_server:
                ids = list(seed(args.server_orders, args.skus, base_url, "S").values_list("pk", flat=True))
                server = server_run(Path(workdir), ids, args.starts, not args.no_inline_baseline)
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
                "server": server,
                "load_average": round(os.getloadavg()[0], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
