"""Issue 28 part 1: the store's row holds the store; the import engine's bookkeeping is the orders app's own
row (StoreImportState), real time's link the hooks app's (StoreRealtime). A store gets its rows with it, or
from the first claim or tick that needs them, also when two workers race to make them."""

import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hooks.models import StoreRealtime
from orders.importing.state import claim_store
from orders.models import ImportRun, ImportTrigger, StoreImportState
from orders.services import import_tick
from stores.models import Store
from tests.factories import make_store, make_tenant

# What the store row held before issue 28, and no longer does.
ENGINE_COLUMNS = {f.name for f in StoreImportState._meta.concrete_fields} - {"store"}
REALTIME_COLUMNS = {"hooks_token_hash", "hooks_subscription_ids", "hooks_message", "token_hash", "subscription_ids"}


def test_the_store_row_has_no_import_engine_or_real_time_column():
    columns = {f.column for f in Store._meta.concrete_fields}
    assert len(ENGINE_COLUMNS) == 16
    assert not columns & (ENGINE_COLUMNS | REALTIME_COLUMNS)


def test_a_new_store_gets_its_rows_with_it(tenant_a):
    store = make_store(tenant_a, name="Fresh")
    assert StoreImportState.objects.filter(store=store).exists() and StoreRealtime.objects.filter(store=store).exists()


def test_stores_made_without_their_rows_get_them_at_the_tick_in_one_insert(tenant_a):
    """A bulk load makes stores with no import-state row: the tick makes them, in one INSERT whatever the
    number of stores, and hands their slots out as for any store."""
    stores = [make_store(tenant_a, name=f"Bulk {i}") for i in range(12)]
    StoreImportState.objects.filter(store__in=stores).delete()
    planned = []
    with CaptureQueriesContext(connection) as queries:
        handed = import_tick(timezone.now(), enqueue=planned.append)
    assert set(handed) == {s.pk for s in stores}
    table = StoreImportState._meta.db_table
    inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT") and table in q["sql"]]
    assert len(inserts) == 1
    assert StoreImportState.objects.filter(store__in=stores, import_queued_until__isnull=False).count() == 12


@pytest.mark.skipif(connection.vendor == "sqlite", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_a_store_without_its_row_never_both_hold_it():
    """Each of 8 stores has no import-state row; two workers claim each at the same moment: the row is made
    once (the loser's insert does nothing) and exactly one of them holds the claim."""
    tenant = make_tenant()
    stores = [make_store(tenant, name=f"Race {i}") for i in range(8)]
    StoreImportState.objects.filter(store__in=stores).delete()
    winners: dict[int, list[int]] = {s.pk: [] for s in stores}
    errors = []
    for store in stores:
        runs = [ImportRun.objects.create(store=store, trigger=ImportTrigger.MANUAL) for _ in range(2)]
        start = threading.Barrier(2)

        def claim(run, store=store, start=start):
            start.wait()
            try:
                if claim_store(store, run, timezone.now()):
                    winners[store.pk].append(run.pk)
            except Exception as exc:  # noqa: BLE001 — reported below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=claim, args=(run,)) for run in runs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert not errors
    assert all(len(won) == 1 for won in winners.values()), winners
    assert StoreImportState.objects.filter(store__in=stores).count() == 8
    held = dict(StoreImportState.objects.filter(store__in=stores).values_list("store_id", "import_lock_run"))
    assert held == {pk: won[0] for pk, won in winners.items()}
