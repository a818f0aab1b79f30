"""Issue 16, end to end over loopback: the REST sandbox sends its order webhooks to Outbound's receiver (a
live server), and the changed order arrives in Outbound through the targeted fetch, with no import run."""

from __future__ import annotations

import time

import pytest

from hooks.models import HookStats
from orders.models import ImportRun, Order
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def _wait(predicate, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_store_change_arrives_through_its_webhook(live_server, tenant_a, sandbox_factory, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    server = sandbox_factory(orders=10, seed=6)
    store = factories.connect_sandbox(tenant_a, server, road="rest")  # subscribes (the task runs inline)
    store.refresh_from_db()
    assert factories.realtime_row(store).subscription_ids
    server.mutate(add=1)  # a new order placed at the store: NewOrder (and OrderUpdated)
    added = max(int(o["OrderID"]) for o in server.truth()["orders"])
    assert _wait(lambda: Order.objects.filter(store=store, external_id=str(added)).exists())
    assert not ImportRun.objects.filter(store=store).exists()  # the webhook's fetch, not a run
    stats = HookStats.objects.get(store=store)
    assert stats.events_received >= 1 and stats.orders_imported == 1
