"""The buyers' tracking page over 100,000 shipments (issue 33): p50/p95 of the page by token and by lookup.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/tracking_page_bench.py \
        [--shipments 100000] [--stores 10] [--requests 300] [--baseline-requests 60]

PostgreSQL only (a throw-away database named as in DATABASE_URL, or tracking_page_bench; BENCH_DB_NAME wins).
Seeds `--shipments` shipped orders spread over `--stores` stores of as many tenants (INSERT … SELECT), each
with a line, a shipment, its line, 4 carrier scans and a tracking row with an estimated delivery date, then
ANALYZE. Each request goes through the whole Django stack in-process (django.test.Client: middleware, CSP,
the view, the template), for random shipments:

* by token: GET /t/<token>/;
* by lookup: POST /track/<store>/ with the order number and the buyer's e-mail (a right answer: the page).

The same-run baseline: the same requests with the token and the order number found without their indexes
(UPPER(column) = UPPER(value) on the token, and the order number matched without the tenant that leads its
index: a sequential scan each, what the page cost before the unique token index and a tenant-first lookup).
Printed: queries per request, p50/p95 of each; the last line is JSON with token_p95_ms and lookup_p95_ms.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _setup import postgres_database, use_environment  # noqa: E402


def seed(shipments: int, stores: int) -> None:
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from carriers.models import CarrierAccount
    from carriers.services import carrier_account_create
    from orders.models import OrderLine
    from shipments.models import Shipment, ShipmentLine
    from stores.services import store_settings_update
    from tests.factories import bulk_orders, make_line, make_shipment, make_store, make_tenant
    from tracking.models import ShipmentTracking, TrackingEvent

    now = timezone.now()
    per = shipments // stores
    made = []
    for i in range(stores):
        tenant = make_tenant(f"Bench tenant {i}")
        store = make_store(tenant, name=f"Bench store {i}")
        store_settings_update(store=store, company_name=f"Bench Goods {i}", website="https://goods.example.com")
        carrier_account_create(
            tenant=tenant, carrier="UPS", client_id="id", client_secret="secret", server_url="http://127.0.0.1:9"
        )
        for _ in bulk_orders(store, per):
            pass
        made.append(store)
        print(f"  orders of store {i + 1}/{stores}", flush=True)
    template = Shipment.objects.order_by("pk").first()
    if template is None:  # the first shipment of the first store is the template of every other row
        from orders.models import Order

        order = Order.objects.order_by("pk").first()
        make_line(order, line_key="L0", position=0, sku="MUG", name="Red mug")
        template = make_shipment(order, carrier="UPS", tracking_number="1ZTEMPLATE")
    line = OrderLine.objects.get(order_id=template.order_id)
    sline = ShipmentLine.objects.get(shipment=template)
    account = dict(CarrierAccount.objects.values_list("tenant_id", "pk"))
    tracking = ShipmentTracking.objects.create(
        tenant_id=template.tenant_id,
        shipment=template,
        account_id=account[template.tenant_id],
        state="in_transit",
        estimated_delivery=now.date() + dt.timedelta(days=2),
    )
    event = TrackingEvent.objects.create(
        tenant_id=template.tenant_id,
        shipment=template,
        occurred_at=now,
        state="in_transit",
        description="Departed from facility",
        location="Dallas TX",
        fingerprint="template",
    )

    def clone(model, row, overrides: dict[str, str], source: str, where: str = "") -> int:
        columns = [f.column for f in model._meta.concrete_fields if f.column != model._meta.pk.column]
        select = ", ".join(overrides.get(c, f"t.{c}") for c in columns)
        sql = (
            f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {select} "
            f"FROM {model._meta.db_table} t, {source} WHERE t.id = %s {where}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [row.pk])
            return cursor.rowcount

    accounts = " ".join(f"WHEN {t} THEN {a}" for t, a in account.items())
    t0 = time.perf_counter()
    clone(OrderLine, line, {"order_id": "o.id"}, "orders_order o", f"AND o.id <> {template.order_id}")
    clone(
        Shipment,
        template,
        {
            "order_id": "o.id",
            "tenant_id": "o.tenant_id",
            "tracking_number": "'1ZB' || o.id",
            "tracking_token": "md5(random()::text || o.id) || substr(md5(o.id::text), 1, 11)",
        },
        "orders_order o",
        f"AND o.id <> {template.order_id}",
    )
    clone(
        ShipmentLine,
        sline,
        {"shipment_id": "s.id", "order_line_id": "l.id"},
        "shipments_shipment s JOIN orders_orderline l ON l.order_id = s.order_id",
        f"AND s.id <> {template.pk}",
    )
    clone(
        ShipmentTracking,
        tracking,
        {"shipment_id": "s.id", "tenant_id": "s.tenant_id", "account_id": f"CASE s.tenant_id {accounts} END"},
        "shipments_shipment s",
        f"AND s.id <> {template.pk}",
    )
    clone(
        TrackingEvent,
        event,
        {
            "shipment_id": "s.id",
            "tenant_id": "s.tenant_id",
            "occurred_at": "t.occurred_at - g * interval '7 hours'",
            "fingerprint": "s.id || '-' || g",
        },
        "shipments_shipment s, generate_series(1, 4) g",
        f"AND s.id <> {template.pk}",
    )
    with connection.cursor() as cursor:
        cursor.execute("UPDATE orders_order SET status = 'shipped'")
        cursor.execute("ANALYZE")  # as autovacuum would after a bulk load: the planner needs the row counts
    print(f"  shipments, lines, tracking rows and scans in {time.perf_counter() - t0:.1f} s", flush=True)


def timed(client, requests: list[tuple[str, str, dict]]) -> list[float]:
    out = []
    for method, url, data in requests:
        t0 = time.perf_counter()
        response = client.post(url, data, secure=True) if method == "POST" else client.get(url, secure=True)
        out.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def queries_of(client, method: str, url: str, data: dict) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.post(url, data, secure=True) if method == "POST" else client.get(url, secure=True)
    return len(ctx.captured_queries)


def naive_selectors():
    """The baseline's reads: the same answers found without their indexes (a sequential scan each)."""
    from orders.models import Order
    from tracking import selectors

    def by_token(token):
        return selectors._public_shipments().filter(tracking_token__iexact=token).first()

    def by_order(*, store, number, email="", postal_code=""):
        # The order number matched over every tenant's orders (no tenant to lead an index), then checked.
        for order in Order.objects.filter(number__iexact=number).only("pk", "store_id", "email"):
            if order.store_id == store.pk and order.email.lower() == email.lower():
                return selectors._public_shipments().filter(order_id=order.pk).order_by("-created_at", "-pk").first()
        return None

    return by_token, by_order


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shipments", type=int, default=100_000)
    parser.add_argument("--stores", type=int, default=10)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--baseline-requests", type=int, default=60)
    args = parser.parse_args()

    database_url, cleanup = postgres_database("tracking_page_bench")
    use_environment(database_url, ALLOWED_HOSTS="testserver")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from shipments.models import Shipment
    from tracking import selectors

    try:
        call_command("migrate", verbosity=0)
        t0 = time.perf_counter()
        seed(args.shipments, args.stores)
        total = Shipment.objects.count()
        print(f"seeded {total:,} shipments in {time.perf_counter() - t0:.1f} s", flush=True)

        rng = random.Random(33)
        picks = list(
            Shipment.objects.filter(
                pk__in=rng.sample(list(Shipment.objects.values_list("pk", flat=True)), min(args.requests, total))
            )
            .select_related("order__store")
            .values_list("tracking_token", "order__number", "order__email", "order__store__tracking_slug")
        )
        by_token = [("GET", reverse("trackpage:shipment", args=[p[0]]), {}) for p in picks]
        by_lookup = [
            (
                "POST",
                reverse("trackpage:lookup", args=[p[3]]),
                {"kind": "order", "order-number": p[1], "order-contact": p[2]},
            )
            for p in picks
        ]
        client = Client(REMOTE_ADDR="203.0.113.1")
        timed(client, by_token[:10] + by_lookup[:10])  # warm: templates, translations, connections
        token_queries = queries_of(client, *by_token[0])
        lookup_queries = queries_of(client, *by_lookup[0])
        token_ms, lookup_ms = timed(client, by_token), timed(client, by_lookup)

        real = selectors.public_shipment_by_token, selectors.public_shipment_by_order
        selectors.public_shipment_by_token, selectors.public_shipment_by_order = naive_selectors()
        try:
            n = args.baseline_requests
            base_token_ms, base_lookup_ms = timed(client, by_token[:n]), timed(client, by_lookup[:n])
        finally:
            selectors.public_shipment_by_token, selectors.public_shipment_by_order = real

        def line(name, values, queries=None):
            q = f" ({queries} queries)" if queries is not None else ""
            return f"{name:<34} p50 {statistics.median(values):7.1f} ms  p95 {p95(values):7.1f} ms  n={len(values)}{q}"

        print(line("page by token", token_ms, token_queries))
        print(line("page by lookup (number + e-mail)", lookup_ms, lookup_queries))
        print(line("baseline: token without its index", base_token_ms))
        print(line("baseline: lookup without the tenant", base_lookup_ms))
        print(
            json.dumps(
                {
                    "shipments": total,
                    "requests": len(token_ms),
                    "token_p50_ms": round(statistics.median(token_ms), 1),
                    "token_p95_ms": round(p95(token_ms), 1),
                    "lookup_p50_ms": round(statistics.median(lookup_ms), 1),
                    "lookup_p95_ms": round(p95(lookup_ms), 1),
                    "token_queries": token_queries,
                    "lookup_queries": lookup_queries,
                    "baseline": {
                        "token_p95_ms": round(p95(base_token_ms), 1),
                        "lookup_p95_ms": round(p95(base_lookup_ms), 1),
                    },
                }
            )
        )
    finally:
        cleanup()


if __name__ == "__main__":
    main()
