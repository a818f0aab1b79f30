"""Issue 30: a rule's "hold until a date" ends on that date: the scheduled sweep releases the orders whose date
has come (through the hold service, with their history line), and leaves the others: held until later, held
for review, held by a person, or one that cannot be released now (its store disconnected)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from orders.models import Order, OrderEvent, OrderStatus
from orders.rules import services as rules
from orders.services import order_set_hold
from orders.tasks import holds_release_task
from tests.factories import make_order, make_store


def test_the_sweep_releases_the_holds_whose_date_has_come(tenant_a, store_a):
    today = timezone.localdate()
    rules.rule_save(
        tenant=tenant_a,
        name="Customs",
        conditions=[{"field": "gift", "op": "is", "value": True}],
        actions=[{"type": "hold", "until": (today + dt.timedelta(days=1)).isoformat(), "reason": "customs"}],
    )
    rules.rule_save(
        tenant=tenant_a,
        name="Review",
        conditions=[{"field": "buyer_note", "op": "is", "value": True}],
        actions=[{"type": "hold", "until": None, "reason": "review"}],
    )
    gone = make_store(tenant_a, name="Gone")
    dated = [make_order(store_a, is_gift=True) for _ in range(2)] + [make_order(gone, is_gift=True)]
    review = make_order(store_a, customer_notes="please check")
    by_hand = make_order(store_a)
    order_set_hold(order=by_hand, hold=True, actor="alice", reason="call the buyer")
    for store in (store_a, gone):
        rules.rules_reapply(tenant=tenant_a, orders=Order.objects.filter(store=store), actor="alice")
    held = dict(Order.objects.values_list("pk", "status"))
    assert {held[o.pk] for o in [*dated, review, by_hand]} == {OrderStatus.ON_HOLD}
    assert Order.objects.get(pk=dated[0].pk).hold_until == today + dt.timedelta(days=1)

    assert holds_release_task() == "released 0 held order(s)"  # not yet
    Order.objects.filter(pk=dated[1].pk).update(hold_until=today + dt.timedelta(days=5))  # later still
    gone.disconnected_at = timezone.now()
    gone.save(update_fields=["disconnected_at"])
    assert rules.holds_release_due(today=today + dt.timedelta(days=1)) == 1
    after = {o.pk: (o.status, o.hold_until) for o in Order.objects.all()}
    assert after[dated[0].pk] == (OrderStatus.AWAITING_SHIPMENT, None)
    assert after[dated[1].pk] == (OrderStatus.ON_HOLD, today + dt.timedelta(days=5))
    assert after[dated[2].pk] == (OrderStatus.ON_HOLD, today + dt.timedelta(days=1))  # its store disconnected
    assert after[review.pk][0] == after[by_hand.pk][0] == OrderStatus.ON_HOLD
    assert OrderEvent.objects.filter(order_id=dated[0].pk, kind="status", actor="rules").exists()
