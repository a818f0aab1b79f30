"""A batch submitted from the portal is applied by a real django-q2 cluster (PostgreSQL: the worker
processes need a shared database); the result page follows it while it runs."""

import os

import pytest
from django.conf import settings
from django.urls import reverse
from django_q.models import Task

from shipments import batch as batches
from shipments.models import Batch, Shipment
from shipments.tasks import batch_run
from tests.factories import make_order
from tests.shipments.test_batch_durability import plan_for as _plan


def test_result_page_says_the_batch_is_running_until_a_worker_applied_it(alice, tenant_a, store_a, monkeypatch):
    from tests.portal.conftest import signed_in

    alice_client = signed_in(alice)
    monkeypatch.setitem(settings.Q_CLUSTER, "sync", False)  # no inline run: the task waits for a worker
    orders = [make_order(store_a) for _ in range(3)]
    batch = batches.batch_submit(tenant=tenant_a, key="k-run", kind="ship", plan=_plan(orders))
    page = alice_client.get(reverse("portal:batch_result", args=[batch.pk])).content.decode()
    assert 'id="batch-running"' in page and "0 of 3 done" in page and not Shipment.objects.exists()
    batch_run(batch.pk)  # what the worker's task calls
    page = alice_client.get(reverse("portal:batch_result", args=[batch.pk])).content.decode()
    assert 'id="batch-running"' not in page and page.count('data-outcome="shipped"') == 3


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="worker processes need a shared database: runs in the PostgreSQL pass",
)
@pytest.mark.django_db(transaction=True)
def test_a_real_cluster_applies_a_submitted_batch_once(tenant_a, store_a, monkeypatch):
    from tests.orders.test_import_workers import start_cluster, stop, wait_for, worker_env

    monkeypatch.setitem(settings.Q_CLUSTER, "sync", False)
    orders = [make_order(store_a) for _ in range(30)]
    batch = batches.batch_submit(tenant=tenant_a, key="k-cluster", kind="ship", plan=_plan(orders))
    batches.batch_submit(tenant=tenant_a, key="k-cluster", kind="ship", plan=_plan(orders))  # submitted twice
    cluster = start_cluster(worker_env("orm"))
    relay = "outbox.tasks.outbox_relay_task"
    try:
        assert wait_for(
            lambda: Batch.objects.get(pk=batch.pk).finished_at is not None and Shipment.objects.count() == 30,
            timeout=120,
        )
        assert wait_for(lambda: Task.objects.filter(func=relay).exists(), timeout=60)
    finally:
        stop(cluster)
    assert Shipment.objects.count() == 30
    assert set(Batch.objects.get(pk=batch.pk).items.values_list("outcome", flat=True)) == {"shipped"}
    # Each kind of task ran on its own queue's cluster: the batch (in chunks) on the batches queue, the
    # store updates its shipments wrote on the outbox queue (a relay task, not a task per row).
    ran = set(Task.objects.values_list("func", "cluster"))
    assert {cluster for func, cluster in ran if func == "shipments.tasks.batch_run_task"} == {"outbound-batches"}
    assert {cluster for func, cluster in ran if func == relay} == {"outbound-outbox"}
    assert Task.objects.filter(func="shipments.tasks.batch_run_task").count() >= 2  # 30 orders: two chunks
    assert not Task.objects.filter(func="outbox.tasks.outbox_deliver_one").exists()
