"""Issue 29, acceptance line 2 on a real django-q2 cluster (`manage.py qclusters`, two workers on the batches
queue) and the carrier sandbox over loopback, on PostgreSQL:

* a batch bought by two workers sharing it (each claims chunks of orders with a lease), the carrier failing
  20 % of its calls, then resubmitted: the sandbox's truth equals Outbound's shipments with labels;
* the cluster SIGKILLed in the middle of a batch: its orders' leases run out, the minute sweep queues the
  batch again, a new cluster finishes it without buying anything twice, and the purchases the killed
  workers left "calling" are matched by reference by the labels sweep: 0 orders with two live labels, every
  interrupted one matched (or flagged uncertain; or, killed before its request reached the carrier, "nothing
  was bought", as the carrier's lookup and truth agree), the truth equal to Outbound's records.

Worker processes need a database they share with the test: PostgreSQL (CI's second pass). Full size (200
labels) under `-m slow`; 20 by default."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys

import pytest
from django.db import connection
from django.utils import timezone

from labels import batches
from labels.batches import batch_items, item_outcome, label_batch_confirm, label_batch_preview
from labels.models import BatchMode, BatchState, LabelBatch, LabelPurchase, PurchaseState
from labels.services import labels_sweep
from orders.models import ShippingPreset
from tests.factories import make_detailed_order
from tests.orders.test_import_workers import ROOT, stop, wait_for, worker_env

from .test_batch_acceptance import SIZES, assert_truth_matches, labelled_store

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="worker processes need a shared database: runs in the PostgreSQL pass (DATABASE_URL=postgres://…)",
    ),
]


def cluster_env() -> dict:
    return {**worker_env("orm"), "Q_BATCHES_WORKERS": "2", "LABEL_BATCH_LEASE_SECONDS": "3", "LABEL_BATCH_CHUNK": "5"}


def start_cluster(env) -> subprocess.Popen:
    """The batches queue's cluster only (the label batches' queue): two workers."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "qclusters", "--queue", "batches"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def confirm_on_the_cluster(monkeypatch, env, batch) -> None:
    """Confirmed here (the limit, preview → buying), its two tasks queued on the cluster's own broker."""
    monkeypatch.setattr(batches, "enqueue_workers", lambda batch: None)
    label_batch_confirm(batch=batch)
    queue(batch.pk)
    queue(batch.pk)


def queue(batch_id: int) -> None:
    """labels.batches._enqueue, onto the broker the cluster reads (this process runs tasks inline otherwise)."""
    from django_q.tasks import async_task

    from core import queues

    async_task("labels.tasks.label_batch_task", batch_id, cluster=queues.cluster_name(queues.BATCHES), sync=False)


def finished(batch) -> bool:
    return LabelBatch.objects.get(pk=batch.pk).state == BatchState.DONE


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", SIZES)
def test_two_workers_share_a_batch_with_a_failing_carrier_then_resubmitted(
    size, tenant_a, carrier_sandbox, monkeypatch
):
    env = cluster_env()
    store, _accounts = labelled_store(tenant_a, carrier_sandbox)
    orders = [make_detailed_order(store, number=f"W-{i:03d}") for i in range(size)]
    batch = label_batch_preview(tenant=tenant_a, orders=orders, mode=BatchMode.CHEAPEST, key="w")
    carrier_sandbox.set_latency(ship=0.3)
    carrier_sandbox.set_faults("ship", error_rate=0.2, seed=7)
    cluster = start_cluster(env)
    try:
        confirm_on_the_cluster(monkeypatch, env, batch)
        done = wait_for(lambda: finished(batch), timeout=60 + size, step=0.2)
    finally:
        stop(cluster)
    connection.close()
    assert done, list(LabelBatch.objects.filter(pk=batch.pk).values())
    workers = {item.leased_by.rsplit(":", 1)[0] for item in batch_items(batch) if item.problem == ""}
    assert len(workers) == 2, workers  # both workers of the cluster bought labels of this batch
    outcomes = [item_outcome(item) for item in batch_items(batch)]
    assert "pending" not in outcomes and 0 < outcomes.count("bought") < size
    assert_truth_matches(carrier_sandbox, orders)

    # Resubmitted: the same confirmation is the same batch; a new batch of the same orders buys only the
    # orders with nothing bought, and the truth still equals Outbound's records.
    assert label_batch_confirm(batch=batch).pk == batch.pk
    carrier_sandbox.clear_faults()
    again = label_batch_preview(tenant=tenant_a, orders=orders, mode=BatchMode.CHEAPEST, key="w2")
    left = [item for item in batch_items(again) if item.problem == ""]
    assert len(left) == outcomes.count("failed")
    if left:
        cluster = start_cluster(env)
        try:
            confirm_on_the_cluster(monkeypatch, env, again)
            assert wait_for(lambda: finished(again), timeout=60 + size, step=0.2)
        finally:
            stop(cluster)
        connection.close()
    assert_truth_matches(carrier_sandbox, orders)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", SIZES)
def test_a_cluster_killed_mid_batch_buys_nothing_twice(size, tenant_a, carrier_sandbox, monkeypatch, settings):
    env = cluster_env()
    settings.LABEL_BATCH_LEASE_SECONDS = int(env["LABEL_BATCH_LEASE_SECONDS"])  # the sweep here: the same lease
    store, accounts = labelled_store(tenant_a, carrier_sandbox)
    orders = [make_detailed_order(store, number=f"K-{i:03d}") for i in range(size)]
    # FedEx for all: its reference tracking finds a label whose answer the killed worker never read.
    preset = ShippingPreset.objects.create(
        tenant=tenant_a, name="FedEx Ground", carrier_account=accounts["FedEx"], service="fedex_ground"
    )
    batch = label_batch_preview(tenant=tenant_a, orders=orders, mode=BatchMode.PRESET, preset=preset, key="k")
    carrier_sandbox.set_latency(ship=0.5)
    cluster = start_cluster(env)
    try:
        confirm_on_the_cluster(monkeypatch, env, batch)
        started = wait_for(lambda: carrier_sandbox.calls("fedex", "ship") >= 4, timeout=120, step=0.02)
    finally:
        stop(cluster, signal.SIGKILL)  # mid-purchase: both workers are calling the carrier
    assert started, "the cluster never started the batch"
    connection.close()
    calling = set(LabelPurchase.objects.filter(state=PurchaseState.CALLING).values_list("pk", flat=True))
    assert calling, "no purchase was cut off mid-call: nothing was tested"
    cut = sum(1 for item in batch_items(batch) if item.state == "done")
    assert cut < size and not finished(batch), "the batch finished before the kill: nothing was tested"

    # The leases run out; the minute sweep queues the batch again; a new cluster finishes it.
    assert wait_for(lambda: batches.label_batches_sweep(enqueue=queue)["resumed"] == 1, timeout=30, step=0.2)
    cluster = start_cluster(env)
    try:
        assert wait_for(lambda: finished(batch), timeout=60 + 2 * size, step=0.2)
    finally:
        stop(cluster)
    connection.close()
    # Purchases the killed workers left "calling": the labels sweep (after a carrier call's longest wait)
    # makes them uncertain and matches them by reference. Never bought again.
    assert labels_sweep(now=timezone.now() + dt.timedelta(hours=1)) == len(calling)
    for purchase in LabelPurchase.objects.filter(pk__in=calling):
        # Matched by reference, or flagged uncertain; or, killed before its request reached the carrier,
        # "nothing was bought" — which the carrier's own lookup said, and its truth confirms.
        sold = carrier_sandbox.label_by_reference(purchase.reference)
        if purchase.state == PurchaseState.FAILED:
            assert sold == [] and "nothing was bought" in purchase.error
        else:
            assert (purchase.state == PurchaseState.BOUGHT and purchase.matched) or purchase.state == "uncertain"
    assert LabelPurchase.objects.filter(state=PurchaseState.CALLING).count() == 0
    outcomes = [item_outcome(item) for item in batch_items(batch)]
    assert "pending" not in outcomes and outcomes.count("bought") >= size - len(calling), outcomes
    assert LabelPurchase.objects.count() == size  # one purchase per order, whoever asked
    assert len(carrier_sandbox.labels_sold()) == carrier_sandbox.calls("fedex", "ship")
    assert_truth_matches(carrier_sandbox, orders)
