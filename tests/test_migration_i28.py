"""Issue 28 part 1: the import engine's bookkeeping and real time's link leave the store's row for rows of
their own apps (orders.StoreImportState, hooks.StoreRealtime). A database holding stores with those values
upgrades without losing any (create + copy, then the drops), and downgrades back to the store's columns."""

import datetime as dt
from importlib import import_module

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import make_store, make_tenant

BEFORE = [("stores", "0013_i26_call_budget"), ("orders", "0010_i26_list_indexes")]
BEFORE_HOOKS = [*BEFORE, ("hooks", "0005_i26_echoes")]
ENGINE = {
    "import_watermark": timezone.now().replace(microsecond=0) - dt.timedelta(hours=1),
    "last_import_at": timezone.now().replace(microsecond=0) - dt.timedelta(minutes=5),
    "last_import_ok": False,
    "last_import_message": "HTTP 500 from the store",
    "consecutive_failures": 4,
    "needs_attention": True,
    "import_running_since": timezone.now().replace(microsecond=0),
    "import_lock_run": -77,
    "import_pending_since": timezone.now().replace(microsecond=0) - dt.timedelta(days=9),
    "import_scheduled_at": timezone.now().replace(microsecond=0) - dt.timedelta(minutes=1),
    "next_import_at": timezone.now().replace(microsecond=0) + dt.timedelta(minutes=14),
    "import_queued_until": timezone.now().replace(microsecond=0) + dt.timedelta(minutes=2),
    "last_checked_at": timezone.now().replace(microsecond=0) - dt.timedelta(minutes=3),
    "idle_checks": 1234,
    "last_reconcile_at": timezone.now().replace(microsecond=0) - dt.timedelta(days=1),
    "orders_recovered": 3,
}
REALTIME = {"hooks_token_hash": "c" * 64, "hooks_subscription_ids": [11, 12], "hooks_message": "tries again"}


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


def _latest() -> None:
    latest = MigrationExecutor(connection)
    latest.migrate(latest.loader.graph.leaf_nodes())


# A shipped migration (its issue is closed): it unapplies most of the project's migrations and applies them
# again (minutes on SQLite), so it runs with `pytest -m slow` only (docs/testing.md#shipped-migrations).
@pytest.mark.slow
@pytest.mark.exhaustive
@pytest.mark.django_db(transaction=True)
def test_the_store_rows_bookkeeping_moves_to_its_own_rows_and_back(monkeypatch):
    stores = [make_store(make_tenant(), name=f"S{i}") for i in range(3)]
    executor = _migrate(BEFORE_HOOKS)
    try:
        old = executor.loader.project_state(BEFORE_HOOKS).apps
        OldStore = old.get_model("stores", "Store")
        OldStore.objects.filter(pk=stores[0].pk).update(**ENGINE, **REALTIME)
        # Small batches: the copy goes batch by batch and misses no store between two of them.
        for module in ("orders.migrations.0011_i28_store_import_state", "hooks.migrations.0006_i28_store_realtime"):
            monkeypatch.setattr(import_module(module), "BATCH", 2)
        _latest()

        from hooks.models import StoreRealtime
        from orders.models import StoreImportState
        from stores.models import Store

        names = {f.name for f in Store._meta.concrete_fields}
        assert not names & (set(ENGINE) | set(REALTIME))  # the store row holds the store
        state = StoreImportState.objects.get(store_id=stores[0].pk)
        assert {name: getattr(state, name) for name in ENGINE} == ENGINE
        realtime = StoreRealtime.objects.get(store_id=stores[0].pk)
        assert (realtime.token_hash, realtime.subscription_ids, realtime.message) == tuple(REALTIME.values())
        # Every store has its rows, the untouched ones with the defaults.
        assert StoreImportState.objects.filter(store__in=stores).count() == 3
        assert StoreRealtime.objects.filter(store__in=stores).count() == 3
        plain = StoreImportState.objects.get(store_id=stores[2].pk)
        assert (plain.import_watermark, plain.idle_checks, plain.needs_attention) == (None, 0, False)

        executor = _migrate(BEFORE_HOOKS)
        back = (
            executor.loader.project_state(BEFORE_HOOKS).apps.get_model("stores", "Store").objects.get(pk=stores[0].pk)
        )
        assert {name: getattr(back, name) for name in ENGINE} == ENGINE
        assert {name: getattr(back, name) for name in REALTIME} == REALTIME
    finally:
        _latest()
