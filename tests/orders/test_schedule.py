"""The schedule at fleet scale: the interval is what it says, idle checks cost one request and a few
queries and leave no row, the tick costs the same for 10 or 500 stores and spreads them, runs are pruned."""

import datetime as dt
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.importing import check as check_mod
from orders.importing.schedule import (
    LOOKAHEAD,
    LOST_AFTER,
    next_slot,
    offset_ms,
    plan_tick,
    slot_at_or_after,
    slots_due,
)
from orders.models import ImportRun, ImportState, ImportTrigger
from orders.services import import_checks_run, import_runs_prune, import_store_now, import_tick
from stores.models import Store
from tests import factories
from tests.orders.conftest import connect

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 30, 12, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def imported(sandbox_factory, tenant_a):
    """A store on a sandbox, imported once (it has a watermark): its next scheduled checks are idle."""
    server = sandbox_factory(orders=60, seed=5, page_size=25)
    store = connect(tenant_a, server)
    assert import_store_now(store=store).state == ImportState.SUCCEEDED
    store.refresh_from_db()
    return store, server


def requests_of(server) -> int:
    return server.store.request_counts().get("endpoint", 0)


def run_ticks(store_ids, times, capture):
    """Tick at each of `times` (an injected clock); the batches each tick hands out run inline."""
    handed = []
    for now in times:
        planned = []
        with capture(execute=True):  # the tick enqueues on commit
            import_tick(now, enqueue=planned.append)
        for batch in planned:
            handed += [slot for slot in batch if slot.store_id in store_ids]
            import_checks_run(batch, wait=False)
    return handed


# --- 1. the interval is what it says -------------------------------------------------------------


def test_a_one_minute_interval_checks_every_60_seconds_not_every_120(imported, django_capture_on_commit_callbacks):
    """The issue's measurement: ticks 60.1 s apart (and django-q2's up-to-30 s lateness) found 59.7 s
    since the previous *finish* and skipped, so a 1-minute store was imported every 120 s. Slots are
    measured from the previous slot: over 22 minutes of ticks, one check per minute, 60 s apart."""
    store, server = imported
    Store.objects.filter(pk=store.pk).update(import_interval_minutes=1)
    rng = random.Random(16)
    ticks, at = [], T0
    for _ in range(22):
        ticks.append(at + dt.timedelta(seconds=rng.uniform(0, 30)))  # the scheduler fires up to 30 s late
        at += dt.timedelta(seconds=60.1)
    slots = run_ticks({store.pk}, ticks, django_capture_on_commit_callbacks)
    times = [slot.at for slot in slots]
    assert times == sorted(set(times))  # each slot handed out once
    gaps = {(b - a).total_seconds() for a, b in zip(times[1:], times[2:], strict=False)}
    assert gaps == {60.0}, gaps  # after the first check (at once), every 60 s exactly
    assert 22 <= len(times) <= 24  # ~ one per minute over the 22 ticks (+ the lookahead), not 11
    store.refresh_from_db()
    assert factories.import_state(store).idle_checks == len(times)
    assert ImportRun.objects.filter(store=store).count() == 1  # only the first import: idle checks leave no row


def test_import_due_is_measured_from_the_slot_with_tolerance(imported):
    store, _ = imported
    state = factories.import_state(store)
    state.next_import_at = T0
    assert state.import_due(T0 - dt.timedelta(seconds=1))  # a tick a moment early still counts
    assert not state.import_due(T0 - dt.timedelta(seconds=10))
    state.next_import_at = None
    assert state.import_due(T0)


# --- 2. idle runs leave no row, cost one request and at most 6 queries ---------------------------


@pytest.mark.parametrize("recent", [False, True], ids=["empty-window", "recent-orders-unchanged"])
def test_an_idle_check_costs_one_request_and_at_most_six_queries_and_writes_no_run(imported, recent):
    store, server = imported
    if recent:  # orders modified within the overlap: page 1 serves them, recognised unchanged by digest
        server.store.mutate(change=3)
        assert import_store_now(store=store).orders_updated >= 1
    else:  # the window [watermark − overlap, now] holds no order at all
        factories.import_state_set(store, import_watermark=timezone.now() + dt.timedelta(hours=1))
    store.refresh_from_db()
    runs, before = ImportRun.objects.count(), requests_of(server)
    slot = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        outcome = check_mod.check_store(store.pk, slot, 1)
    assert outcome.outcome == check_mod.IDLE
    assert requests_of(server) - before == 1 == outcome.http_requests
    assert len(queries) <= 6, [q["sql"] for q in queries]
    assert ImportRun.objects.count() == runs
    fresh = Store.objects.get(pk=store.pk)
    assert factories.import_state(fresh).idle_checks == 1 and factories.import_state(fresh).last_checked_at is not None
    assert factories.import_state(fresh).import_scheduled_at == slot and factories.import_state(
        fresh
    ).next_import_at == next_slot(store.pk, 1, slot)
    assert (
        factories.import_state(fresh).import_running_since is None
        and factories.import_state(fresh).import_lock_run is None
    )


def test_a_check_that_finds_a_change_queues_an_ordinary_import_run(imported, django_capture_on_commit_callbacks):
    store, server = imported
    server.store.mutate(change=2)
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = import_checks_run([(timezone.now(), store.pk, 1)], wait=False)
    assert outcomes == {check_mod.IMPORT: 1}
    run = ImportRun.objects.filter(store=store, trigger=ImportTrigger.SCHEDULE).get()
    assert run.state == ImportState.SUCCEEDED and run.orders_updated + run.skipped_total >= 1


def test_a_failed_check_records_a_failed_run(imported):
    store, server = imported
    server.store.set_faults(down=True)
    factories.import_state_set(store, import_watermark=timezone.now())
    client = check_mod.connector_for_store(store, max_attempts=1)
    outcome = check_mod.check_store(store.pk, timezone.now(), 1, client=client)
    assert outcome.outcome == check_mod.FAILED
    run = ImportRun.objects.filter(store=store, state=ImportState.FAILED).get()
    assert run.trigger == ImportTrigger.SCHEDULE and run.error
    fresh = Store.objects.get(pk=store.pk)
    assert (
        factories.import_state(fresh).consecutive_failures == 1
        and factories.import_state(fresh).import_lock_run is None
    )


def test_an_idle_check_after_failures_ends_the_imports_failing_alert(imported):
    """Issue 25 item 6: a store that failed and is then checked successfully with nothing new (no run row) is
    not "failing" any more; a failure after that check is a new streak."""
    from orders.selectors import import_failure_streaks

    store, server = imported
    factories.import_state_set(store, import_watermark=timezone.now())
    server.store.set_faults(down=True)
    for _ in range(2):
        client = check_mod.connector_for_store(store, max_attempts=1)
        assert check_mod.check_store(store.pk, timezone.now(), 1, client=client).outcome == check_mod.FAILED
    [streak] = import_failure_streaks(tenant=store.tenant)
    assert streak["attempts"] == 2
    server.store.set_faults(down=False)
    assert check_mod.check_store(store.pk, timezone.now(), 1).outcome == check_mod.IDLE
    assert import_failure_streaks(tenant=store.tenant) == []
    server.store.set_faults(down=True)
    client = check_mod.connector_for_store(store, max_attempts=1)
    assert check_mod.check_store(store.pk, timezone.now(), 1, client=client).outcome == check_mod.FAILED
    [streak] = import_failure_streaks(tenant=store.tenant)
    assert streak["attempts"] == 1


def test_a_check_leaves_a_store_another_import_holds_and_moves_the_schedule_on(imported):
    store, _ = imported
    factories.import_state_set(store, import_running_since=timezone.now(), import_lock_run=999)
    outcome = check_mod.check_store(store.pk, T0, 1)
    assert outcome == (check_mod.SKIPPED, 0)
    fresh = Store.objects.get(pk=store.pk)
    assert factories.import_state(fresh).import_lock_run == 999 and factories.import_state(
        fresh
    ).next_import_at == next_slot(store.pk, 1, T0)
    assert check_mod.check_store(store.pk, T0, 1).outcome == check_mod.SKIPPED  # a slot is done once


# --- 3. the tick: constant queries, spread over the interval --------------------------------------


def make_stores(tenant, count, minutes=1):
    Store.objects.bulk_create(
        [
            Store(
                tenant=tenant,
                name=f"Fleet {i}",
                url="https://shop.example.com",
                username="u",
                import_interval_minutes=minutes,
            )
            for i in range(count)
        ]
    )
    return list(Store.objects.filter(name__startswith="Fleet ").values_list("pk", flat=True))


def tick_queries(now):
    planned = []
    with CaptureQueriesContext(connection) as queries:
        ids = import_tick(now, enqueue=planned.append)
    return len(queries), ids


def test_the_tick_costs_the_same_queries_for_10_and_500_stores(tenant_a, tenant_b):
    make_stores(tenant_a, 10)
    small, ids_small = tick_queries(T0)
    assert len(ids_small) == 10
    make_stores(tenant_b, 490)
    big, ids_big = tick_queries(T0 + dt.timedelta(hours=1))
    assert len(ids_big) == 500
    assert small == big <= 5


def test_the_tick_spreads_stores_over_the_interval_in_one_task(tenant_a):
    ids = make_stores(tenant_a, 500)
    # Every store checked before, its horizon the previous tick's: the slots of the next minute.
    rows = [(pk, T0, T0 + dt.timedelta(seconds=30), 1) for pk in ids]
    slots = plan_tick(rows, T0)
    first = [s for s in slots if s.at <= T0 + dt.timedelta(minutes=1)]
    assert len({s.store_id for s in first}) == 500
    per_second = {}
    for slot in first:
        per_second[slot.at.second] = per_second.get(slot.at.second, 0) + 1
    assert len(per_second) == 60 and max(per_second.values()) <= 20  # ~8 a second, not 500 at once
    assert all(T0 < s.at <= T0 + LOOKAHEAD for s in slots) and slots == sorted(slots)
    # Deterministic: the same store always gets the same offset; consecutive ids land far apart.
    assert offset_ms(ids[0], 15) == offset_ms(ids[0], 15)
    assert abs(offset_ms(ids[0], 1) - offset_ms(ids[1], 1)) > 1000
    assert next_slot(first[0].store_id, 1, first[0].at) - first[0].at == dt.timedelta(minutes=1)
    planned = []
    import_tick(T0, enqueue=planned.append)
    assert len(planned) <= 1  # one batch task per tick, whatever the number of stores


def test_a_slot_in_the_millisecond_after_a_horizon_is_handed_out_by_the_next_tick():
    """Slots are whole milliseconds, a tick's horizon is not: a slot at 50.846 s after a horizon at
    50.845683 s belongs to the next tick (it used to be skipped, and the store waited a whole interval)."""
    for store_id in (1, 1278, 4242):
        slot = slot_at_or_after(T0, store_id, 1)
        horizon = slot - dt.timedelta(microseconds=317)  # the previous tick's, 0.3 ms before the slot
        now = horizon + dt.timedelta(seconds=60)
        due = slots_due(store_id, 1, queued_until=horizon, next_at=slot, now=now, horizon=now + LOOKAHEAD)
        assert due[0] == slot, (store_id, due)
        # ... and never one the previous tick handed out.
        assert slots_due(store_id, 1, queued_until=slot, next_at=slot, now=now, horizon=now + LOOKAHEAD)[0] > slot


def test_a_slot_is_handed_out_once_and_a_lost_one_again(tenant_a, django_capture_on_commit_callbacks):
    (pk,) = make_stores(tenant_a, 1, minutes=15)

    def tick(now):
        planned = []
        with django_capture_on_commit_callbacks(execute=True):
            import_tick(now, enqueue=planned.append)
        return [slot.at for batch in planned for slot in batch]

    # Half an interval from the store's own slots (an offset from its id, which differs run to run): none
    # of them falls within a tick's lookahead below.
    t0 = slot_at_or_after(T0, pk, 15) + dt.timedelta(minutes=7, seconds=30)
    assert tick(t0) == [t0]  # never checked: at once
    assert tick(t0 + dt.timedelta(minutes=1)) == []  # handed out already; the next slot is further on
    # That check never happened (the broker lost the task): once LOST_AFTER has passed, at once again.
    later = t0 + dt.timedelta(minutes=15) + LOST_AFTER + dt.timedelta(seconds=1)
    assert tick(later) == [later]


# --- retention -------------------------------------------------------------------------------------


def test_import_runs_are_pruned_by_kind(imported, settings):
    store, _ = imported
    settings.IMPORT_RUNS_KEEP_IDLE_DAYS, settings.IMPORT_RUNS_KEEP_FAILED_DAYS = 2, 30
    settings.IMPORT_RUNS_KEEP_PRODUCTIVE_DAYS = 90
    now = timezone.now()
    ImportRun.objects.all().delete()

    def run(state, days, **kw):
        return ImportRun.objects.create(store=store, state=state, finished_at=now - dt.timedelta(days=days), **kw)

    keep = [
        run(ImportState.SUCCEEDED, 1),
        run(ImportState.FAILED, 10),
        run(ImportState.SUCCEEDED, 10, orders_created=1),
        ImportRun.objects.create(store=store, state=ImportState.QUEUED),
    ]
    gone = [
        run(ImportState.SUCCEEDED, 3),
        run(ImportState.SKIPPED, 3),
        run(ImportState.FAILED, 31),
        run(ImportState.SUCCEEDED, 91, orders_updated=2),
    ]
    assert import_runs_prune(now) == {"idle": 2, "failed": 1, "productive": 1}
    assert set(ImportRun.objects.values_list("pk", flat=True)) == {r.pk for r in keep}
    assert not ImportRun.objects.filter(pk__in=[r.pk for r in gone]).exists()


def test_a_batch_running_late_hands_half_its_overdue_slots_to_a_helper(tenant_a):
    ids = make_stores(tenant_a, 60)
    late = timezone.now() - dt.timedelta(seconds=30)
    slots = [(late + dt.timedelta(milliseconds=i), pk, 1) for i, pk in enumerate(ids)]
    handed = []
    outcomes = import_checks_run(slots, wait=False, split=handed.append)
    assert len(handed) == 1 and outcomes["handed_to_helper"] == len(handed[0]) == 29
    checked = sum(n for kind, n in outcomes.items() if kind != "handed_to_helper")
    assert checked + len(handed[0]) == 60  # every slot checked once, here or by the helper
    assert import_checks_run([], wait=False, split=handed.append) == {}  # nothing to do, nothing handed
