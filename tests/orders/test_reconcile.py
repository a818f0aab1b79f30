"""The reconciliation sweep: orders earlier runs missed are found and imported, loudly; an unchanged
window costs no write."""

import datetime as dt
import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import ImportRun, ImportTrigger, Order, OrderEvent
from orders.services import import_store_now, reconcile_tick
from stores.models import Store
from tests import factories
from tests.orders.truth import expected_orders, mismatches
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_subscription_create

pytestmark = pytest.mark.django_db

STORE_DATA = ("orders_order", "orders_orderline", "orders_product", "orders_orderevent", "orders_skippedorder")


def _writes(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and any(f'"{table}"' in q["sql"] for table in STORE_DATA)
    ]


def _everyday_imports(store, server, runs=2):
    """What the schedule would do: a few store changes, then incremental runs (no --since)."""
    for _ in range(runs):
        server.mutate(change=3)
        store.refresh_from_db()
        run = import_store_now(store=store)
        assert run.state == "succeeded", run.error


def _sweep(store) -> ImportRun:
    store.refresh_from_db()
    run = import_store_now(store=store, trigger=ImportTrigger.RECONCILE)
    assert run.state == "succeeded", run.error
    return run


@pytest.fixture(params=["xml", "rest"])
def swept_store(request, sandbox_factory, tenant_a):
    """A store whose clock runs five minutes behind ours: its changes are stamped well before the time
    the runs that follow them have covered (LastModified travels at minute precision)."""
    from tests.orders.conftest import connect

    server = sandbox_factory(orders=120, seed=7, page_size=25, now=timezone.now() - dt.timedelta(minutes=5))
    store = connect(tenant_a, server, road=request.param)
    store.reconcile_days = 90  # the sandbox's orders go back about 60 days
    store.save()
    return store, server


def test_an_order_hidden_from_the_first_walk_is_recovered_by_the_sweep(swept_store, caplog):
    store, server = swept_store
    webhook_subscription_create(
        tenant=store.tenant, url="https://hooks.example.com/outbound", events=["import.recovered", "order.imported"]
    )
    truth = server.truth()
    lost = next(o for o in truth["orders"] if o["OrderID"] in expected_orders(truth, store.status_mapping))
    server.hide_orders([lost["OrderID"]], requests=10_000)
    first = import_store_now(store=store, since=timezone.now() - dt.timedelta(days=90))
    assert first.state == "succeeded", first.error
    server.hide_orders([lost["OrderID"]], requests=0)  # the store serves it again, unchanged
    _everyday_imports(store, server)
    assert not Order.objects.filter(store=store, external_id=lost["OrderID"]).exists()  # no run brings it back
    watermark = factories.import_state(store).import_watermark

    with caplog.at_level(logging.WARNING, logger="orders.importing.run"):
        run = _sweep(store)

    assert run.recovered == [lost["OrderNumber"]]
    assert run.recovered_message == f"Recovered 1 order(s) missed by earlier runs: {lost['OrderNumber']}"
    assert run.window_end == watermark and factories.import_state(store).import_watermark == watermark
    order = Order.objects.get(store=store, external_id=lost["OrderID"])
    assert (
        OrderEvent.objects.filter(
            order=order, kind="recovered", message__startswith="Recovered by reconciliation"
        ).count()
        == 1
    )
    assert any(lost["OrderNumber"] in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    assert factories.import_state(store).orders_recovered == 1
    recovered = WebhookDelivery.objects.filter(event="import.recovered")
    assert [d.payload["number"] for d in recovered] == [lost["OrderNumber"]]
    assert mismatches(store, server.truth()) == []


def test_an_update_missed_by_the_everyday_run_is_recovered(swept_store):
    store, server = swept_store
    assert import_store_now(store=store, since=timezone.now() - dt.timedelta(days=90)).state == "succeeded"
    held = Order.objects.filter(store=store).order_by("pk").first()
    changed = server.mutate(order_ids=[held.external_id])
    assert changed["changed"]
    server.hide_orders([held.external_id], requests=10_000)
    store.refresh_from_db()
    assert import_store_now(store=store).state == "succeeded"  # the everyday run misses the change
    server.hide_orders([held.external_id], requests=0)
    held.refresh_from_db()
    stale_modified = held.modified_at

    run = _sweep(store)

    held.refresh_from_db()
    assert run.recovered == [held.number] and held.modified_at > stale_modified
    assert held.events.filter(kind="recovered").exists()
    assert mismatches(store, server.truth()) == []


def test_a_sweep_over_an_unchanged_window_writes_nothing_and_recovers_nothing(swept_store):
    store, server = swept_store
    assert import_store_now(store=store, since=timezone.now() - dt.timedelta(days=90)).state == "succeeded"
    events = OrderEvent.objects.count()
    with CaptureQueriesContext(connection) as captured:
        run = _sweep(store)
    assert run.recovered == [] and run.orders_created == run.orders_updated == 0
    assert run.orders_unchanged > 0
    assert _writes(captured) == []
    assert OrderEvent.objects.count() == events
    store.refresh_from_db()
    assert (
        factories.import_state(store).orders_recovered == 0
        and factories.import_state(store).last_reconcile_at == run.finished_at
    )


def test_a_sweep_before_any_import_has_nothing_to_compare(swept_store):
    store, server = swept_store
    run = _sweep(store)
    assert run.pages_done == 0 and run.recovered == [] and not Order.objects.filter(store=store).exists()


def test_orders_changed_after_the_watermark_are_imported_but_not_counted_as_recovered(connected):
    store, server = connected
    store.reconcile_days = 90
    store.save()
    assert import_store_now(store=store, since=timezone.now() - dt.timedelta(days=90)).state == "succeeded"
    server.advance(2)  # so that the store's clock (whole seconds) is past the watermark
    added = server.mutate(add=2)["added"]  # new in the store since the last run: the next everyday run's business
    run = _sweep(store)
    assert run.recovered == []
    assert not Order.objects.filter(external_id__in=added, events__kind="recovered").exists()


def test_the_hourly_tick_queues_due_sweeps_only(swept_store, tenant_b, monkeypatch):
    monkeypatch.setattr("orders.services.enqueue_import", lambda run_id: None)
    store, _server = swept_store
    now = timezone.now()
    Store.objects.filter(pk=store.pk).update(created_at=now - dt.timedelta(days=2))
    factories.import_state_set(store, import_watermark=now)
    assert reconcile_tick(now) == [ImportRun.objects.get(store=store, trigger="reconcile").pk]
    assert reconcile_tick(now) == []  # a run is queued: nothing more
    ImportRun.objects.filter(store=store).update(state="succeeded")
    factories.import_state_set(store, last_reconcile_at=now - dt.timedelta(hours=1))
    assert reconcile_tick(now) == []  # swept an hour ago; due every 24 hours
    Store.objects.filter(pk=store.pk).update(reconcile_every_hours=0)
    factories.import_state_set(store, last_reconcile_at=None)
    assert reconcile_tick(now) == []  # 0: only when asked


def test_setup_schedules_declares_the_hourly_sweep_tick():
    from django.core.management import call_command
    from django_q.models import Schedule

    call_command("setup_schedules")
    schedule = Schedule.objects.get(name="outbound-reconcile-tick")
    assert schedule.func == "orders.tasks.reconcile_tick_task" and schedule.minutes == 60
