"""Issue 25 item 30: a flood of forged order ids on a valid receiver URL (whoever holds it can name any id)
costs the store's API a bounded number of calls, and a real order placed during the flood still arrives
through the fetch. Over loopback: the flood is POSTed to Outbound's receiver (a live server), the real
order's webhook comes from the REST sandbox's own sender, and the calls are counted at the sandbox."""

from __future__ import annotations

import json
import os
import random
import time

import pytest
import requests
from django.conf import settings
from django.db import OperationalError

from hooks import services as hooks
from hooks.models import HookStats, PendingFetch
from orders.models import Order
from orders.services import import_store_now
from tests import factories

# Two minutes of 2,000 real HTTP posts: run once, in the PostgreSQL pass (docs/testing.md#run-once), where
# the receiver's concurrent writes are the production database's.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="a two-minute flood, run once: in the PostgreSQL pass (DATABASE_URL=postgres://…)",
    ),
]

FLOOD = 2000
# What the store's API may see while the flood's fetches are processed: a run of not-found answers before
# unlikely ids are left to the schedule (10), plus the real order's own fetch (6: the order, then its
# storefront, statuses, addresses, customer and products).
BOUND = hooks.NOT_FOUND_RUN + 6


def _wait(predicate, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except OperationalError:  # SQLite's shared in-memory database: the live server is writing
            pass
        time.sleep(0.05)
    return False


def _sender_idle(server) -> bool:
    """Every webhook the sandbox planned has been delivered (so the live server writes nothing more)."""
    deliveries = server.truth(include_orders=False)["webhooks"]["deliveries"]
    return all(d["state"] != "planned" for d in deliveries)


@pytest.fixture
def armed(live_server, tenant_a, sandbox_factory, monkeypatch):
    """A REST store subscribed to its webhooks (the receiver: the live server), its orders imported."""
    monkeypatch.setattr(settings, "PUBLIC_BASE_URL", live_server.url)
    server = sandbox_factory(orders=20, seed=25)
    store = factories.connect_sandbox(tenant_a, server, road="rest")  # subscribes (the task runs inline)
    import_store_now(store=store)
    store.refresh_from_db()
    subscription = server.truth(include_orders=False)["webhooks"]["subscriptions"][0]
    return store, server, subscription["url"]


def test_a_flood_of_forged_ids_costs_the_store_a_bounded_number_of_calls_and_a_real_order_still_arrives(
    armed, monkeypatch
):
    store, server, url = armed
    # The workers are behind (the worst case: the queue grows while the flood lasts); the fetches are
    # processed below, as a worker would, once the flood is over.
    queued: list[int] = []
    monkeypatch.setattr(hooks, "enqueue_fetch", queued.append)
    forged = random.Random(25).sample(range(5_000_000, 90_000_000), FLOOD)
    calls_before = server.requests_served.get("total", 0)
    served_before = dict(server.requests_served)
    real_id = None
    with requests.Session() as session:
        for n, order_id in enumerate(forged):
            body = json.dumps({"order": {"id": order_id}, "event": "OrderUpdated"})
            assert session.post(url, data=body, headers={"Content-Type": "application/json"}).status_code == 200
            if n == FLOOD // 2:  # a buyer places a real order in the middle of the flood
                server.mutate(add=1)
                real_id = max(int(o["OrderID"]) for o in server.truth()["orders"])
                assert _wait(lambda: PendingFetch.objects.filter(store=store, order_id=real_id).exists())
    assert _wait(lambda: _sender_idle(server))
    waiting = PendingFetch.objects.filter(store=store).count()
    assert waiting <= settings.HOOKS_MAX_PENDING_PER_STORE + 1  # the cap, and the real order's event
    assert HookStats.objects.get(store=store).events_dropped >= FLOOD - settings.HOOKS_MAX_PENDING_PER_STORE

    for _ in range(10):  # the fetch tasks, until nothing waits
        hooks.hooks_fetch(store.pk)
        if not PendingFetch.objects.filter(store=store).exists():
            break
    assert Order.objects.filter(store=store, external_id=str(real_id)).exists()
    calls = server.requests_served.get("total", 0) - calls_before
    served = {k: n - served_before.get(k, 0) for k, n in server.requests_served.items() if n != served_before.get(k, 0)}
    assert calls <= BOUND, f"{calls} calls of the store's API for a flood of {FLOOD} forged ids: {served}"
    stats = HookStats.objects.get(store=store)
    assert stats.orders_imported == 1 and stats.orders_not_found == hooks.NOT_FOUND_RUN
    assert not PendingFetch.objects.filter(store=store).exists()  # the rest left to the schedule

    # The flood goes on after the fetch gave up on it: its ids are no longer asked for, event by event.
    monkeypatch.setattr(hooks, "enqueue_fetch", lambda store_id: hooks.hooks_fetch(store_id))
    calls_before = server.requests_served.get("total", 0)
    with requests.Session() as session:
        for order_id in forged[:50]:
            session.post(
                url, data=json.dumps({"order": {"id": order_id}}), headers={"Content-Type": "application/json"}
            )
    assert server.requests_served.get("total", 0) == calls_before
