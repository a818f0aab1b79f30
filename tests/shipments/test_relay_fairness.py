"""The outbox relay is fair between tenants and stores, and writing rows queues one relay task on the
outbox queue, not a task per row; every kind of task lands on its own queue's cluster (docs/queues.md)."""

import threading
from functools import partial

import pytest
from django.db import connection, connections

from core import queues
from outbox import services as outbox
from outbox.models import OutboxMessage, OutboxState, RelayKick
from outbox.services import outbox_enqueue, outbox_enqueue_many, outbox_relay
from shipments.services import shipment_create
from tests.factories import connect_sandbox

from .conftest import order_from_truth, pick_orders, set_emails

pytestmark = pytest.mark.django_db

KIND = "test_fair"


@pytest.fixture
def sent(monkeypatch):
    """A handler for KIND that records the messages it sends, in order."""
    log: list[tuple[int, str]] = []
    lock = threading.Lock()

    def send(message):
        with lock:
            log.append((message.tenant_id, message.payload["n"]))
        return 200, "ok"

    monkeypatch.setitem(outbox._HANDLERS, KIND, outbox._Registered(send=send, on_state=None))
    return log


@pytest.fixture
def queued(monkeypatch):
    """The django-q2 tasks queued (func, args, cluster), recorded instead of run."""
    log: list[tuple[str, tuple, str | None]] = []
    monkeypatch.setattr(
        "django_q.tasks.async_task", lambda func, *args, **kwargs: log.append((func, args, kwargs.get("cluster")))
    )
    return log


def waiting(tenant, count, *, lane="store:1", start=0):
    outbox_enqueue_many(
        tenant=tenant,
        kind=KIND,
        payloads=[{"n": start + i} for i in range(count)],
        dedupe_keys=[f"{tenant.pk}-{lane}-{start + i}" for i in range(count)],
        lane=lane,
        returning=False,
    )


def test_a_tenant_with_hundreds_waiting_does_not_delay_anothers_single_row_beyond_one_round(
    tenant_a, tenant_b, sent, queued
):
    waiting(tenant_a, 300)  # written first: every one of them is older than tenant B's row
    outbox_enqueue(tenant=tenant_b, kind=KIND, payload={"n": 0}, dedupe_key="b-0")
    assert outbox_relay() == 50  # one round
    assert (tenant_b.pk, 0) in sent
    assert sent.index((tenant_b.pk, 0)) == 1  # round-robin: tenant A's oldest, then tenant B's


def test_a_round_takes_at_most_per_lane_rows_of_one_store_and_every_lane_its_first(tenant_a, tenant_b, sent, queued):
    waiting(tenant_a, 200, lane="store:1")
    waiting(tenant_a, 3, lane="store:2", start=1000)  # the same tenant's other store is a lane of its own
    waiting(tenant_b, 1, lane="email", start=2000)
    assert outbox_relay(limit=50, per_lane=10) == 14
    assert sent[:3] == [(tenant_a.pk, 0), (tenant_a.pk, 1000), (tenant_b.pk, 2000)]
    assert sum(1 for tenant, n in sent if n < 1000) == 10
    assert OutboxMessage.objects.filter(state=OutboxState.PENDING).count() == 190


def test_the_relay_task_runs_rounds_until_nothing_is_due(tenant_a, tenant_b, sent, queued, settings):
    settings.OUTBOX_RELAY_ROUND, settings.OUTBOX_RELAY_PER_LANE = 20, 5
    waiting(tenant_a, 60)
    waiting(tenant_b, 2, start=500)
    result = outbox.outbox_relay_run(budget_seconds=600)
    # 12 rounds of 5 of tenant A's (tenant B's two in the first), then one that finds nothing.
    assert result == {"sent": 62, "rounds": 13}
    assert [n for _, n in sent[:4]] == [0, 500, 1, 501]
    assert queued == []  # nothing left: no successor queued


def test_a_relay_out_of_budget_with_rows_left_queues_its_successor_on_the_outbox_queue(tenant_a, sent, queued):
    waiting(tenant_a, 30)
    assert outbox.outbox_relay_run(budget_seconds=0) == {"sent": 10, "rounds": 1}  # one round at least
    assert queued == [("outbox.tasks.outbox_relay_task", (), queues.cluster_name(queues.OUTBOX))]


def test_writing_rows_queues_one_relay_task_on_the_outbox_queue_not_a_task_per_row(
    tenant_a, sandbox_factory, queued, django_capture_on_commit_callbacks
):
    server = sandbox_factory(orders=20, seed=5)
    store = connect_sandbox(tenant_a, server, name="Kite & Co")
    set_emails(store, confirmation=True, delivery=False)
    for truth in pick_orders(server, count=5):
        order = order_from_truth(store, truth)
        with django_capture_on_commit_callbacks(execute=True):
            shipment_create(order=order, carrier="UPS", tracking_number=f"1Z{order.number}")
    assert OutboxMessage.objects.filter(state=OutboxState.PENDING).count() >= 5
    assert queued == [("outbox.tasks.outbox_relay_task", (), "outbound-outbox")]
    assert set(OutboxMessage.objects.filter(kind="store_update").values_list("lane", flat=True)) == {
        f"store:{store.pk}"
    }
    # Once the waiting relay starts, the next write queues the next one.
    RelayKick.objects.update(kicked_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        outbox_enqueue(tenant=tenant_a, kind=KIND, payload={"n": 1}, dedupe_key="after")
    assert len(queued) == 2


def test_every_kind_of_task_lands_on_its_queues_cluster(tenant_a, store_a, queued, monkeypatch):
    from hooks.services import enqueue_fetch
    from orders.services import enqueue_import
    from shipments.batch import _enqueue as enqueue_batch
    from tracking import services as tracking

    enqueue_import(1)
    enqueue_fetch(store_a.pk)
    enqueue_batch(3)
    monkeypatch.setattr(tracking, "tracking_enroll", lambda: 0)
    monkeypatch.setattr(tracking, "tracking_due_batches", lambda: [(4, [5, 6])])
    tracking.tracking_poll_due()
    outbox.outbox_kick()
    assert [(func.rsplit(".", 1)[-1], cluster) for func, _, cluster in queued] == [
        ("import_run_task", "outbound"),
        ("hooks_fetch_task", "outbound"),
        ("batch_run_task", "outbound-batches"),
        ("tracking_poll_batch_task", "outbound-tracking"),
        ("outbox_relay_task", "outbound-outbox"),
    ]


@pytest.mark.skipif(connection.vendor == "sqlite", reason="row locks and concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_relay_tasks_racing_over_two_tenants_send_each_row_once(tenant_a, tenant_b, sent, queued, settings):
    settings.OUTBOX_RELAY_ROUND, settings.OUTBOX_RELAY_PER_LANE = 7, 3
    waiting(tenant_a, 120, lane="store:1")
    waiting(tenant_a, 40, lane="store:2", start=1000)
    waiting(tenant_b, 40, lane="store:3", start=2000)
    start = threading.Barrier(2)
    results = {}

    def relay(name):
        start.wait()
        try:
            results[name] = outbox.outbox_relay_run(budget_seconds=600)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=partial(relay, name)) for name in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(sent) == len(set(sent)) == 200
    assert sum(r["sent"] for r in results.values()) == 200 and all(r["sent"] for r in results.values())
    assert OutboxMessage.objects.filter(state=OutboxState.SENT, attempts=1).count() == 200
