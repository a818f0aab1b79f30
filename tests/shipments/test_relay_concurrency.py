"""Two relays never send the same row; a relay killed mid-way leaves the store with one copy."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from outbox import claim as outbox_claim
from outbox import services as outbox
from outbox.models import OutboxMessage, OutboxState
from outbox.services import outbox_relay
from shipments.services import shipment_create
from tests.factories import connect_sandbox

from .conftest import order_from_truth, pick_orders, relay_all, set_emails, store_truth


def _hundred_store_updates(tenant, server):
    store = connect_sandbox(tenant, server, name="Harbor & Pine")
    set_emails(store, confirmation=False, delivery=False)
    for truth in pick_orders(server, count=100):
        order = order_from_truth(store, truth)
        shipment_create(order=order, carrier="UPS", tracking_number=f"1Z{order.number}")
    assert OutboxMessage.objects.filter(state=OutboxState.PENDING).count() == 100


def _assert_each_sent_once(server):
    assert OutboxMessage.objects.filter(state=OutboxState.SENT, attempts=1).count() == 100
    log = server.truth(include_orders=False)["shipnotify_log"]
    assert (log["received"], log["recorded"], log["duplicates_ignored"]) == (100, 100, 0)


@pytest.mark.skipif(connection.vendor == "sqlite", reason="row locks and concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_relay_threads_on_the_same_rows_send_each_once(tenant_a, sandbox_factory, monkeypatch):
    monkeypatch.setattr(outbox, "_schedule", lambda message_id: None)  # leave the rows to the two relays
    server = sandbox_factory(orders=150, seed=11)
    _hundred_store_updates(tenant_a, server)
    start = threading.Barrier(2)
    done: dict[str, int] = {}

    def relay(name):
        start.wait()
        try:
            while n := outbox_relay(limit=7, worker=name):
                done[name] = done.get(name, 0) + n
        finally:
            connections.close_all()

    threads = [threading.Thread(target=relay, args=(name,)) for name in ("relay-a", "relay-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(done.values()) == 100 and len(done) == 2
    _assert_each_sent_once(server)


def test_two_relays_that_read_the_same_rows_claim_each_once(tenant_a, sandbox_factory):
    # SQLite has no row locks: both relays see all 100 rows; the conditional UPDATE decides.
    server = sandbox_factory(orders=150, seed=11)
    _hundred_store_updates(tenant_a, server)
    now = timezone.now()
    seen_a = outbox_claim._candidates(OutboxMessage.objects.all(), limit=100, now=now)
    seen_b = outbox_claim._candidates(OutboxMessage.objects.all(), limit=100, now=now)
    assert len(seen_a) == len(seen_b) == 100
    won_a = outbox_claim._take(seen_a[::2] + seen_a[1::2], worker="a", now=now)
    won_b = outbox_claim._take(seen_b[1::2] + seen_b[::2], worker="b", now=now)
    assert len(won_a) == 100 and won_b == []
    for pk in won_a:
        outbox._deliver(pk, worker="a")
    _assert_each_sent_once(server)


class Killed(BaseException):
    """A worker killed by the OS: no except clause catches it."""


def test_relay_killed_after_the_store_accepted_leaves_one_copy(store, shop, monkeypatch, settings):
    settings.OUTBOX_LEASE_SECONDS = 60
    set_emails(store, confirmation=False, delivery=False)
    order = order_from_truth(store, pick_orders(shop)[0])
    shipment_create(order=order, carrier="FedEx", tracking_number="794600000001")

    def killed(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(outbox, "_record_success", killed)
    with pytest.raises(Killed):
        outbox_relay()
    monkeypatch.undo()
    message = OutboxMessage.objects.get()
    assert message.state == OutboxState.SENDING
    assert outbox_relay() == 0  # the lease still holds
    assert relay_all(now=timezone.now() + timedelta(seconds=61)) == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.SENT, 2)
    assert len(store_truth(shop, order.number)["Shipments"]) == 1
    assert shop.truth(include_orders=False)["shipnotify_log"]["duplicates_ignored"] == 1


def test_answer_lost_after_the_store_recorded_is_retried_harmlessly(store, shop):
    set_emails(store, confirmation=False, delivery=False)
    order = order_from_truth(store, pick_orders(shop)[0])
    shipment_create(order=order, carrier="FedEx", tracking_number="794600000002")
    shop.set_faults(sequence=["drop"], actions="shipnotify")  # store commits, then the socket dies
    relay_all()
    assert OutboxMessage.objects.get().state == OutboxState.PENDING
    relay_all(now=timezone.now() + timedelta(hours=1))
    assert OutboxMessage.objects.get().state == OutboxState.SENT
    assert len(store_truth(shop, order.number)["Shipments"]) == 1
