"""A batch is durable work (shipments/batch.py, "Leases"): a batch whose task never reached a worker, or
whose task raised half-way, is stalled once its lease runs out; the result page says so, and the minute
sweep hands it to a worker again, which finishes each order exactly once. Real django-q2 clusters killed
mid-batch: tests/shipments/test_batch_cluster_kill.py."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from ops.schedules import declared_schedules
from outbox.models import OutboxMessage
from shipments import batch as batches
from shipments import services
from shipments.models import Batch, BatchItem, Shipment
from shipments.tasks import batch_run
from tests.factories import make_order
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db


def plan_for(orders):
    return {
        "rows": [
            batches.plan_row(batches.ShipRow(order=o, carrier="UPS", tracking_number=f"1ZD{i:04d}"))
            for i, o in enumerate(orders)
        ],
        "notify_buyer": False,
    }


def lease():
    return dt.timedelta(seconds=settings.BATCH_LEASE_SECONDS)


def page(user, batch):
    return signed_in(user).get(reverse("portal:batch_result", args=[batch.pk])).content.decode()


def shipped_once(orders):
    """Each order has exactly one shipment and each shipment exactly one store update."""
    per_order = {o.pk: Shipment.objects.filter(order=o).count() for o in orders}
    assert set(per_order.values()) == {1}, per_order
    for shipment in Shipment.objects.filter(order__in=orders):
        assert OutboxMessage.objects.filter(kind="store_update", ref=f"shipment:{shipment.pk}").count() == 1


def submit_without_worker(monkeypatch, tenant, orders, key):
    """Submitted as the portal does, but no task ever runs it: the web process died between the commit and
    the enqueue (or the broker lost the task)."""
    monkeypatch.setitem(settings.Q_CLUSTER, "sync", False)  # on_commit: never fired inside this test's transaction
    batch = batches.batch_submit(tenant=tenant, key=key, kind="ship", plan=plan_for(orders))
    monkeypatch.setitem(settings.Q_CLUSTER, "sync", True)  # the sweep's task runs inline
    return batch


def test_a_batch_whose_task_never_ran_is_stalled_after_its_lease_and_the_sweep_applies_it(
    alice, tenant_a, store_a, monkeypatch
):
    orders = [make_order(store_a) for _ in range(4)]
    batch = submit_without_worker(monkeypatch, tenant_a, orders, "k-lost")
    assert batches.batch_sweep() == {"resumed": 0, "stopped": 0}  # within its lease: a worker may be coming
    assert 'id="batch-running"' in page(alice, batch) and 'id="batch-stalled"' not in page(alice, batch)

    Batch.objects.filter(pk=batch.pk).update(queued_at=timezone.now() - lease() - dt.timedelta(seconds=1))
    stalled = page(alice, batch)
    assert 'id="batch-stalled"' in stalled and "Stalled — resuming: 0 of 4 done" in stalled
    french = signed_in(alice).get(reverse("portal:batch_result", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="fr")
    assert "Interrompu — reprise en cours : 0 sur 4 traitées" in french.content.decode()

    assert batches.batch_sweep() == {"resumed": 1, "stopped": 0}
    batch.refresh_from_db()
    assert batch.finished_at is not None and batch.attempts == 1 and batch.lease_until is None
    shipped_once(orders)
    done = page(alice, batch)
    assert 'id="batch-stalled"' not in done and done.count('data-outcome="shipped"') == 4


def test_two_sweeps_hand_a_stalled_batch_out_once(tenant_a, store_a, monkeypatch):
    batch = submit_without_worker(monkeypatch, tenant_a, [make_order(store_a)], "k-twice")
    later = timezone.now() + lease() + dt.timedelta(seconds=1)
    queued: list[int] = []
    assert batches.batch_sweep(now=later, enqueue=queued.append)["resumed"] == 1
    assert batches.batch_sweep(now=later, enqueue=queued.append)["resumed"] == 0
    assert queued == [batch.pk]


def test_a_batch_whose_task_raised_half_way_is_resumed_and_each_order_shipped_once(
    alice, tenant_a, store_a, monkeypatch
):
    orders = [make_order(store_a) for _ in range(5)]
    batch = submit_without_worker(monkeypatch, tenant_a, orders, "k-raise")
    real_create, calls = services.shipment_create, []

    def crash_on_the_third(**kwargs):
        calls.append(kwargs["order"].pk)
        if len(calls) == 3:
            raise RuntimeError("worker lost its database connection")
        return real_create(**kwargs)

    monkeypatch.setattr(services, "shipment_create", crash_on_the_third)
    with pytest.raises(RuntimeError):
        batch_run(batch.pk)
    monkeypatch.setattr(services, "shipment_create", real_create)
    assert Shipment.objects.count() == 2
    batch.refresh_from_db()
    assert batch.finished_at is None and "RuntimeError" in batch.last_error
    assert "Stalled — resuming: 2 of 5 done" in page(alice, batch)  # its lease ended when it raised

    assert batches.batch_sweep()["resumed"] == 1
    batch.refresh_from_db()
    assert batch.finished_at is not None and batch.attempts == 2 and batch.last_error == ""
    shipped_once(orders)
    assert BatchItem.objects.filter(batch=batch, outcome="shipped").count() == 5


def test_a_batch_that_keeps_failing_stops_after_its_attempts_with_the_reason_shown(
    alice, tenant_a, store_a, monkeypatch, settings
):
    settings.BATCH_MAX_ATTEMPTS = 3
    orders = [make_order(store_a) for _ in range(2)]
    batch = submit_without_worker(monkeypatch, tenant_a, orders, "k-poison")

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "shipment_create", broken)
    monkeypatch.setattr(batches, "_enqueue", lambda pk: pytest.raises(RuntimeError, batch_run, pk))
    later = timezone.now()
    for _ in range(5):
        later += lease() + dt.timedelta(seconds=1)
        batches.batch_sweep(now=later)
    batch.refresh_from_db()
    assert batch.finished_at is not None and batch.attempts == 3
    assert batch.last_error.startswith("gave up after 3 attempts: RuntimeError: a bug")
    shown = page(alice, batch)
    assert 'id="batch-stopped"' in shown and 'id="batch-running"' not in shown and not Shipment.objects.exists()


def test_a_worker_holding_the_lease_keeps_others_out_and_one_that_lost_it_stops(tenant_a, store_a, monkeypatch):
    batch = submit_without_worker(monkeypatch, tenant_a, [make_order(store_a) for _ in range(2)], "k-lease")
    first = Batch.objects.get(pk=batch.pk)
    assert batches.batch_claim(first, worker="w1")
    assert batch_run(batch.pk, worker="w2") is None and not Shipment.objects.exists()  # a duplicate task
    # w1 went silent past its lease: the sweep hands the batch out again, and w1's next heartbeat fails.
    handed: list[int] = []
    batches.batch_sweep(now=timezone.now() + lease() + dt.timedelta(seconds=1), enqueue=handed.append)
    assert handed == [batch.pk]
    monkeypatch.setattr(settings, "BATCH_LEASE_SECONDS", 0)  # renew at every order
    with pytest.raises(batches.LeaseLost):
        batches.batch_heartbeat(first)
    batches.batch_finish(first)  # a worker that lost its lease finishes nothing
    assert Batch.objects.get(pk=batch.pk).finished_at is None


def test_the_sweep_is_declared_every_minute():
    assert ("outbound-batches-sweep", "shipments.tasks.batch_sweep_task", 1, "batches") in declared_schedules()
