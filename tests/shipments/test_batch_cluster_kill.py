"""A real django-q2 cluster (`manage.py qcluster`) SIGKILLed in the middle of a 200-order batch, on both
brokers: the batch is stalled once its lease runs out (the Redis broker lost its task for good; the ORM
broker would hand it out again only after Q_RETRY), the minute sweep hands it to a worker again, a new
cluster finishes it, and every order is shipped exactly once with one store update.

Worker processes need a database they can share: PostgreSQL (CI's second pass)."""

import os
import signal
import subprocess
import sys

import pytest
from django.db import connection
from django.utils import timezone

from shipments import batch as batches
from shipments.models import Batch, BatchItem
from tests.factories import make_order, make_store
from tests.orders.test_import_workers import ROOT, start_cluster, stop, wait_for, worker_env
from tests.shipments.test_batch_durability import plan_for, shipped_once

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="worker processes need a shared database: runs in the PostgreSQL pass (DATABASE_URL=postgres://…)",
    ),
]

ORDERS = 200


def in_cluster_env(env, code: str) -> str:
    """Run `code` in a process configured like the cluster (its broker and queue name)."""
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    return done.stdout


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker", ["orm", "redis"])
def test_a_batch_cut_off_by_a_killed_cluster_is_resumed_by_the_sweep_and_ships_each_order_once(
    tenant_a, monkeypatch, broker
):
    env = {**worker_env(broker), "BATCH_LEASE_SECONDS": "3"}
    # Store updates fail fast (nothing listens there) and wait for their retry: only their rows count here.
    store = make_store(tenant_a, url="http://127.0.0.1:9/")
    orders = [make_order(store) for _ in range(ORDERS)]
    monkeypatch.setattr(batches, "_enqueue", lambda pk: None)  # queued below, on the cluster's own broker
    batch = batches.batch_submit(tenant=tenant_a, key=f"k-kill-{broker}", kind="ship", plan=plan_for(orders))
    in_cluster_env(env, f"from shipments.batch import _enqueue; _enqueue({batch.pk})")

    cluster = start_cluster(env)
    try:
        started = wait_for(lambda: BatchItem.objects.filter(batch=batch).count() >= 20, timeout=120, step=0.05)
    finally:
        stop(cluster, signal.SIGKILL)
    assert started, "the cluster never started the batch"
    cut = BatchItem.objects.filter(batch=batch).count()
    assert cut < ORDERS, "the batch finished before the kill: nothing was tested"
    assert Batch.objects.get(pk=batch.pk).finished_at is None

    # Nothing resumes it on its own: after the lease, it is stalled (the page says so) until the sweep.
    assert wait_for(lambda: Batch.objects.get(pk=batch.pk).is_stalled(), timeout=30)
    assert BatchItem.objects.filter(batch=batch).count() == cut
    assert "'resumed': 1" in in_cluster_env(env, "from shipments.batch import batch_sweep; print(batch_sweep())")

    cluster = start_cluster(env)
    try:
        finished = wait_for(lambda: Batch.objects.get(pk=batch.pk).finished_at is not None, timeout=180)
    finally:
        stop(cluster)
    connection.close()
    assert finished, Batch.objects.filter(pk=batch.pk).values("attempts", "lease_until", "last_error").get()
    final = Batch.objects.get(pk=batch.pk)
    # The batch goes on in chunks (BATCH_CHUNK_SIZE): its attempts count the workers since its last chunk
    # done: 2 when the resumed worker finished the cut chunk's batch in one go, else 1.
    assert final.attempts in (1, 2) and not final.is_stalled() and final.last_error == ""
    assert BatchItem.objects.filter(batch=batch, outcome="shipped").count() == ORDERS
    shipped_once(orders)
    assert timezone.now() >= final.finished_at
