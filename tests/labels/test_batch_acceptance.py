"""Issue 29, acceptance line 2 (parts a and b), against the carrier sandbox over loopback HTTP: the sandbox's
truth of labels sold equals Outbound's shipments with labels after a batch with the carrier failing 20 % of
its calls, and after the same batch resubmitted (the same confirmation again, and the same orders in a new
batch). The batch's task runs inline here (Q_SYNC, any database); on a real two-worker django-q2 cluster,
with a worker SIGKILLed mid-batch (part c), in test_batch_workers.py (PostgreSQL).

Full size (200 labels) under `-m slow`; 10 by default (a default test stays under 5 s)."""

from __future__ import annotations

import pytest

from labels.batches import batch_items, item_outcome, label_batch_confirm, label_batch_preview
from labels.models import BatchMode, BatchState, LabelPurchase, PurchaseState
from shipments.models import Shipment, ShipmentState
from tests.factories import make_detailed_order, make_store

from .conftest import label_setup

pytestmark = pytest.mark.django_db

SIZES = [10, pytest.param(200, marks=[pytest.mark.slow, pytest.mark.exhaustive])]


def outbound_labels() -> set[str]:
    """Outbound's shipments with labels: each live (not voided) shipment a bought purchase recorded."""
    return set(
        Shipment.objects.filter(label_purchase__state=PurchaseState.BOUGHT)
        .exclude(state=ShipmentState.VOIDED)
        .values_list("tracking_number", flat=True)
    )


def assert_truth_matches(sandbox, orders) -> None:
    sold = [label.tracking_number for label in sandbox.labels_sold(live_only=True)]
    assert len(sold) == len(set(sold))
    assert set(sold) == outbound_labels()
    for order in orders:  # no order with two live labels, nor two live shipments
        assert LabelPurchase.objects.filter(order=order, state__in=["calling", "bought", "uncertain"]).count() <= 1
        assert Shipment.objects.filter(order=order).exclude(state=ShipmentState.VOIDED).count() <= 1


def labelled_store(tenant, sandbox):
    from carriers.gateway import forget_all_tokens

    forget_all_tokens()
    # Store updates fail fast (nothing listens there) and wait for their retry: they play no part here.
    store = make_store(tenant, url="http://127.0.0.1:9/")
    return store, label_setup(tenant, store, sandbox)


@pytest.mark.parametrize("size", SIZES)
def test_a_batch_with_a_failing_carrier_then_resubmitted_matches_the_truth(size, tenant_a, carrier_sandbox):
    store, _accounts = labelled_store(tenant_a, carrier_sandbox)
    orders = [make_detailed_order(store, number=f"F-{i:03d}") for i in range(size)]
    batch = label_batch_preview(tenant=tenant_a, orders=orders, mode=BatchMode.CHEAPEST, key="a")
    assert all(item.problem == "" for item in batch_items(batch))
    # (a) every carrier fails 20 % of its label calls (a 500 in its own shape: nothing sold).
    faults = carrier_sandbox.set_faults("ship", error_rate=0.2, seed=29)
    label_batch_confirm(batch=batch)
    batch.refresh_from_db()
    assert batch.state == BatchState.DONE
    outcomes = [item_outcome(item) for item in batch_items(batch)]
    assert faults.drawn == size and 0 < outcomes.count("bought") < size
    assert "pending" not in outcomes
    for item in batch_items(batch):
        if item_outcome(item) != "bought":  # the carrier's plain words, or flagged (USPS has no lookup)
            assert item.purchase.error
    assert_truth_matches(carrier_sandbox, orders)
    sold = len(carrier_sandbox.labels_sold())
    assert sold == outcomes.count("bought")

    # (b) the same confirmation again: nothing more; the same orders as a new batch: only those not labelled
    # are labellable, and the carrier is asked only for them.
    carrier_sandbox.clear_faults()
    assert label_batch_confirm(batch=batch).pk == batch.pk
    again = label_batch_preview(tenant=tenant_a, orders=orders, mode=BatchMode.CHEAPEST, key="b")
    left = [item for item in batch_items(again) if item.problem == ""]
    failed = [o for o in outcomes if o == "failed"]
    assert len(left) == len(failed)  # uncertain ones stay flagged: never bought again automatically
    if left:
        label_batch_confirm(batch=again)
        assert all(item_outcome(item) == "bought" for item in batch_items(again) if item.problem == "")
    assert_truth_matches(carrier_sandbox, orders)
    assert len(carrier_sandbox.labels_sold()) == sold + len(left)
