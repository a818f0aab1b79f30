"""Issue 26, part 2: a store's 429 (its call limit) puts the store update off by the store's Retry-After,
without the outbox's back-off (170 s, doubling) and without spending an attempt; a store that refuses for
ever still ends in the normal failure path once the row's deferrals are spent. Real HTTP to the sandbox's
REST face, whose fault switch answers 429 with the Retry-After it is given."""

from __future__ import annotations

import datetime as dt

from outbox.models import OutboxMessage, OutboxState
from outbox.services import MAX_DEFERRALS
from shipments.services import shipment_create

from .conftest import order_from_truth, pick_orders, relay_all, store_truth


def _ship(rest_store, shop):
    order = order_from_truth(rest_store, pick_orders(shop)[0])
    shipment_create(order=order, carrier="USPS", tracking_number="9400100000000000000777")
    relay_all()  # the worker's first try
    return order


def test_a_429_defers_the_update_by_retry_after_with_its_attempts_unchanged(rest_store, shop):
    shop.set_faults(sequence=["429"], actions="shipnotify", retry_after=2)
    order = _ship(rest_store, shop)  # its first try meets the 429
    message = OutboxMessage.objects.get(kind="store_update")
    assert message.state == OutboxState.PENDING and message.response_status == 429
    assert (message.attempts, message.deferrals) == (0, 1)  # the attempt given back
    waits = (message.next_attempt_at - message.updated_at).total_seconds()
    assert 1.5 <= waits <= 2.5  # the store's Retry-After, not the back-off's 170 s
    assert not store_truth(shop, order.number)["Shipments"]
    relay_all(now=message.next_attempt_at + dt.timedelta(seconds=1))
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.SENT, 1)
    assert len(store_truth(shop, order.number)["Shipments"]) == 1


def test_a_store_that_refuses_for_ever_ends_in_the_normal_failure_path(rest_store, shop):
    shop.set_faults(sequence=["429"], actions="shipnotify", retry_after=1)
    OutboxMessage.objects.all().delete()
    _ship(rest_store, shop)
    message = OutboxMessage.objects.get(kind="store_update")
    assert message.deferrals == 1
    OutboxMessage.objects.filter(pk=message.pk).update(deferrals=MAX_DEFERRALS, next_attempt_at=message.created_at)
    shop.set_faults(sequence=["429"], actions="shipnotify", retry_after=1)
    relay_all(now=message.next_attempt_at + dt.timedelta(seconds=2))
    message.refresh_from_db()
    assert (message.state, message.attempts, message.deferrals) == (OutboxState.PENDING, 1, MAX_DEFERRALS)
    assert (message.next_attempt_at - message.updated_at).total_seconds() > 100  # the back-off (170 s ± 25 %)
