"""Issue 26, part 3: the store's webhooks for our own write of a shipment (the shipment, then the order's
status: OrderUpdated, OrderStatusChanged, OrderShipped) are recognised as echoes and cost no fetch; a change
the merchant makes afterwards is fetched as before. Over loopback: the REST sandbox sends its webhooks to
Outbound's receiver (a live server) and counts every call Outbound makes to its API."""

from __future__ import annotations

import os
import time

import pytest

from hooks.models import HookStats, PendingFetch
from hooks.services import hooks_fetch
from orders.models import Order
from shipments.services import shipment_create
from stores.models import Storefront
from tests import factories
from tests.shipments.conftest import order_from_truth, pick_orders, relay_all

pytestmark = pytest.mark.django_db(transaction=True)


def _wait(predicate, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _order_reads(server) -> int:
    return server.requests_served.get("rest:GET orders", 0)


def _delivered(server, order_id: str) -> int:
    deliveries = server.truth(include_orders=False)["webhooks"]["deliveries"]
    mine = [d for d in deliveries if str(d["order_id"]) == order_id]
    return len(mine) if all(d["state"] in ("sent", "failed") for d in mine) else -1


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the store's webhooks reach the live server's threads while the test writes: concurrent writers "
    "need PostgreSQL (SQLite's shared in-memory test database locks whole tables); runs in the PostgreSQL pass",
)
def test_the_webhooks_of_our_own_shipment_cost_no_fetch(live_server, tenant_a, sandbox_factory, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    server = sandbox_factory(orders=60, seed=7)
    store = factories.connect_sandbox(tenant_a, server, road="rest")  # subscribes (the task runs inline)
    assert factories.realtime_row(store).subscription_ids
    for front in server.truth(include_orders=False)["storefronts"]:
        Storefront.objects.update_or_create(
            store=store, name=front["name"], defaults={"shipped_status": front["shipped_status"]}
        )
    truth = pick_orders(server)[0]
    order = order_from_truth(store, truth)
    reads = _order_reads(server)

    shipment_create(order=order, carrier="USPS", tracking_number="9400100000000000000999")
    relay_all()
    shipment = order.shipments.get()
    assert shipment.store_update_state == "sent" and shipment.store_order_updated_at is not None
    assert _wait(lambda: _delivered(server, truth["OrderID"]) >= 3)  # OrderUpdated x2, StatusChanged, Shipped
    assert _wait(lambda: HookStats.objects.filter(store=store, events_received__gte=3).exists())
    hooks_fetch(store.pk)  # the sweep's turn, for events that came while the write was under way
    stats = HookStats.objects.get(store=store)
    # Most of the events are echoes and cost nothing. At most one fetch: an event the store dates a second
    # after its answer to our write (it dates to the second, and delivers after answering) is newer than the
    # date kept and is fetched once (seen in the PostgreSQL pass under load; the write-back bench counts 0
    # fetches for 734 events of 200 shipments). Without echo recognition every event would be fetched.
    assert stats.events_echoed >= 2 and stats.orders_fetched <= 1
    assert not PendingFetch.objects.filter(store=store).exists()
    assert _order_reads(server) <= reads + 1

    time.sleep(1.1)  # the store dates changes to the second: the merchant's change comes a second later
    server.mutate(order_ids=[truth["OrderID"]])
    assert _wait(lambda: HookStats.objects.get(store=store).orders_fetched >= 1)
    # A real change is fetched, as before (its events may come on both sides of a fetch: once or twice).
    assert _order_reads(server) >= reads + 1
    assert Order.objects.filter(pk=order.pk).exists()
    # The store's last webhooks reach the live server before the test ends (a late one kept the database open
    # and its flush failed at teardown, once, in the PostgreSQL pass).
    assert _wait(lambda: _delivered(server, truth["OrderID"]) >= 0)
