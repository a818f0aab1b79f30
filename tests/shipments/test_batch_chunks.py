"""A batch is applied in chunks (shipments/batch.py, "Chunks"): each task applies BATCH_CHUNK_SIZE rows and
queues the rest behind the other batches waiting, so two tenants' batches interleave; at most
BATCH_TENANT_CONCURRENCY batches of one tenant are applied at once."""

import pytest
from django.conf import settings

from shipments import batch as batches
from shipments import tasks
from shipments.models import Batch, BatchItem
from shipments.tasks import batch_run
from tests.factories import make_order
from tests.shipments.test_batch_durability import plan_for, shipped_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(monkeypatch):
    """The batches queue as a list: tasks queued at its end, run first in first out by `drain`."""
    waiting: list[int] = []
    monkeypatch.setitem(settings.Q_CLUSTER, "sync", False)  # batch_submit queues on commit, here never fired
    monkeypatch.setattr(batches, "_enqueue", waiting.append)
    monkeypatch.setattr(tasks, "_enqueue", waiting.append)
    return waiting


def submit(tenant, orders, key):
    return batches.batch_submit(tenant=tenant, key=key, kind="ship", plan=plan_for(orders))


def test_a_chunk_applies_its_rows_then_hands_the_rest_to_the_next_task(tenant_a, store_a, queue):
    orders = [make_order(store_a) for _ in range(60)]
    batch = submit(tenant_a, orders, "k-chunks")
    for done in (25, 50):
        assert batch_run(batch.pk, chunk=25).finished_at is None
        batch.refresh_from_db()
        assert (BatchItem.objects.filter(batch=batch).count(), batch.cursor) == (done, done)
        assert (batch.lease_until, batch.leased_by, batch.attempts) == (None, "", 0)  # progress: attempts reset
        assert queue == [batch.pk]
        queue.clear()
    assert batch_run(batch.pk, chunk=25).finished_at is not None
    assert queue == []
    shipped_once(orders)
    assert Batch.objects.get(pk=batch.pk).attempts == 1


def test_another_tenants_small_batch_finishes_after_one_chunk_of_a_big_one(tenant_a, tenant_b, store_a, store_b, queue):
    big = submit(tenant_a, [make_order(store_a) for _ in range(100)], "k-big")
    small = submit(tenant_b, [make_order(store_b) for _ in range(5)], "k-small")
    assert queue == [] and Batch.objects.filter(finished_at=None).count() == 2
    queue.extend([big.pk, small.pk])  # as they were submitted, the big one first
    runs = 0
    while not Batch.objects.get(pk=small.pk).finished_at:
        tasks.batch_run_task(queue.pop(0))
        runs += 1
    assert runs == 2
    assert BatchItem.objects.filter(batch=big).count() == settings.BATCH_CHUNK_SIZE
    while queue:
        tasks.batch_run_task(queue.pop(0))
    assert BatchItem.objects.filter(batch=big, outcome="shipped").count() == 100


def test_a_tenant_at_its_cap_waits_while_another_tenants_batch_goes_ahead(
    tenant_a, tenant_b, store_a, store_b, queue, monkeypatch, settings
):
    settings.BATCH_TENANT_CONCURRENCY = 1
    monkeypatch.setattr(tasks, "BUSY_PAUSE_SECONDS", 0)
    running = submit(tenant_a, [make_order(store_a)], "k-running")
    assert batches.batch_claim(running, worker="another worker")  # being applied elsewhere
    second = submit(tenant_a, [make_order(store_a)], "k-second")
    other = submit(tenant_b, [make_order(store_b)], "k-other")
    with pytest.raises(batches.TenantBusy):
        batches.batch_claim(second, worker="w", tenant_cap=1)
    assert "waits" in tasks.batch_run_task(second.pk)
    assert queue == [second.pk] and not BatchItem.objects.filter(batch=second).exists()
    tasks.batch_run_task(other.pk)
    assert Batch.objects.get(pk=other.pk).finished_at is not None
    Batch.objects.filter(pk=running.pk).update(lease_until=None)  # the first one's worker is done with it
    tasks.batch_run_task(queue.pop(0))
    assert Batch.objects.get(pk=second.pk).finished_at is not None
