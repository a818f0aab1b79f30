"""The store's import state (orders.models.StoreImportState): the one way the engine writes it, and the store's
import claim.

Every write is a conditional UPDATE of the state row alone, never joined to the store's row (a join becomes
`pk IN (SELECT …)`, whose condition PostgreSQL does not re-check on the row it waited for): the claim is one
row's compare-and-set on every database. A store without its row yet (made by a bulk load) gets it from the
first write that needs it, made with INSERT … ON CONFLICT DO NOTHING (two workers racing to make it is harmless).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q

from stores.models import Store

from ..models import ImportRun, StoreImportState


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.IMPORT_LEASE_SECONDS)


def import_state(store_id: int):
    """The store's import-state row, to UPDATE (conditionally): the engine's writes go through here."""
    return StoreImportState.objects.filter(store_id=store_id)


def import_state_update(store_id: int, *conditions: Q, **changes) -> int:
    """A conditional UPDATE of the store's import state (one row, no join: a compare-and-set on every
    database); the row is made first when the store has none yet (safe when two workers race to make it)."""
    done = import_state(store_id).filter(*conditions).update(**changes)
    if not done and not import_state(store_id).exists():
        StoreImportState.objects.bulk_create([StoreImportState(store_id=store_id)], ignore_conflicts=True)
        done = import_state(store_id).filter(*conditions).update(**changes)
    return done


def claim_store(store: Store, run: ImportRun, now: dt.datetime) -> bool:
    stale = now - lease()
    return bool(
        import_state_update(
            store.pk,
            Q(import_running_since__isnull=True) | Q(import_running_since__lt=stale) | Q(import_lock_run=run.pk),
            import_running_since=now,
            import_lock_run=run.pk,
        )
    )


def release_store(store: Store, run: ImportRun) -> None:
    import_state(store.pk).filter(import_lock_run=run.pk).update(import_running_since=None, import_lock_run=None)
