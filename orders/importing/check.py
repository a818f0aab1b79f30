"""The scheduled check of one store: one request, a handful of queries, and no ImportRun row when the
store has nothing new.

    claim the store (conditional UPDATE: free, or its claim's lease expired; this slot not done yet)
    read the store, its tenant, mapping and settings (one SELECT)
    ask the store for page 1 of [watermark − overlap, now]           ← the one HTTP request
          │  orders on it are recognised unchanged from their bytes (one SELECT of their digests,
          │  a second only when some are not held as orders: held as skipped)
          ▼
    nothing new or changed, one page:  advance the watermark, last_checked_at, idle_checks + 1,
                                       release the claim (one UPDATE). No row anywhere else.
    anything else (new or changed orders, several pages, a first import, a window asked for):
                                       release the claim; the caller queues an ordinary import
                                       run (orders.services.import_request), which records an ImportRun
    the store failed:                  a failed ImportRun row, as any failed run (kept longer)

The claim is the same lease on StoreImportState.import_running_since as an import run's (see run.claim_store),
held under a negative token in StoreImportState.import_lock_run so it can never be mistaken for a run's id; a
check whose worker died holds the store no longer than the lease.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import NamedTuple

from django.db.models import Case, F, Q, TextField, Value, When
from django.utils import timezone

from stores.connector.errors import StoreError
from stores.connector.registry import connector_for_store
from stores.models import Store

from ..limits import export_limits
from ..models import ImportRun, ImportState, ImportTrigger, Order, SkippedOrder, import_state_of
from .run import finish_failed, overlap
from .schedule import next_slot
from .snapshot import digest_with, fingerprint_of
from .state import import_state, import_state_update, lease

log = logging.getLogger(__name__)

IDLE = "idle"
IMPORT = "import"  # something new: an import run is queued
FAILED = "failed"
SKIPPED = "skipped"  # another import holds the store, the slot was done already, or the store is off
RECOVERED_MESSAGE = "Checked: nothing new since the last import."


class CheckOutcome(NamedTuple):
    outcome: str
    http_requests: int = 0


def _token() -> int:
    return -(secrets.randbits(62) + 1)


def _schedule_fields(store_id: int, slot: dt.datetime, interval_minutes: int) -> dict:
    return {"import_scheduled_at": slot, "next_import_at": next_slot(store_id, interval_minutes, slot)}


def _not_done(slot: dt.datetime) -> Q:
    return Q(import_scheduled_at__isnull=True) | Q(import_scheduled_at__lt=slot)


def check_store(store_id: int, slot: dt.datetime, interval_minutes: int, *, client=None) -> CheckOutcome:
    """Check one store at its scheduled slot. Returns what happened (see the module docstring)."""
    now = timezone.now()
    token = _token()
    schedule = _schedule_fields(store_id, slot, interval_minutes)
    claimed = import_state_update(
        store_id,
        _not_done(slot),
        Q(import_running_since__isnull=True) | Q(import_running_since__lt=now - lease()),
        import_running_since=now,
        import_lock_run=token,
        **schedule,
    )
    if not claimed:
        # Another import holds the store (it reads the store anyway) or the slot was checked already: the
        # schedule moves on all the same.
        import_state(store_id).filter(_not_done(slot)).update(**schedule)
        return CheckOutcome(SKIPPED)
    store = (
        Store.objects.with_secrets()
        .select_related("tenant", "status_mapping", "settings", "import_state")
        .get(pk=store_id)
    )
    state = import_state_of(store)
    mapping = store.status_mapping if _has(store, "status_mapping") else None
    store_settings = store.settings if _has(store, "settings") else None
    if not (store.is_active and store.tenant.is_active):
        # Switched off (or its tenant is): the claim made the slot checked, the schedule moves on.
        _release(store_id, token)
        return CheckOutcome(SKIPPED)
    if (
        state.import_watermark is None
        or state.import_pending_since is not None
        or mapping is None
        or store_settings is None
    ):
        return _escalate(store, token)  # a first import, a window asked for: an ordinary run does it

    fingerprint = fingerprint_of(mapping.lookup(), store_settings)

    def unchanged(digests: dict[str, str]) -> set[str]:
        ids = list(digests)
        held = dict(
            Order.objects.filter(store_id=store_id, external_id__in=ids).values_list("external_id", "content_hash")
        )
        rest = [oid for oid in ids if oid not in held]
        if rest:
            held.update(
                SkippedOrder.objects.filter(store_id=store_id, external_id__in=rest).values_list(
                    "external_id", "content_hash"
                )
            )
        return {oid for oid, raw in digests.items() if held.get(oid) == digest_with(fingerprint, raw)}

    own_client = client is None
    client = client or connector_for_store(store)
    client.limits = export_limits()
    start, end = state.import_watermark - overlap(), timezone.now()
    try:
        page = client.export_page(start, end, 1, skip=unchanged)
    except StoreError as exc:
        run = ImportRun.objects.create(
            store=store,
            trigger=ImportTrigger.SCHEDULE,
            state=ImportState.RUNNING,
            started_at=now,
            heartbeat_at=now,
            window_start=start,
            window_end=end,
            http_requests=client.requests_made,
        )
        finish_failed(run, store, str(exc))
        _release(store_id, token)
        return CheckOutcome(FAILED, run.http_requests)
    finally:
        requests = client.requests_made
        if own_client:
            client.close()
    if page.orders or page.pages > 1:
        return _escalate(store, token, requests)
    # Nothing new or changed, and one page holds the whole window: the page walk of an import run would
    # read exactly this, and its tail check has nothing to find (no later page an order could hide).
    import_state(store_id).filter(import_lock_run=token).update(
        import_running_since=None,
        import_lock_run=None,
        import_watermark=end,
        last_checked_at=timezone.now(),
        idle_checks=F("idle_checks") + 1,
        consecutive_failures=0,
        needs_attention=False,
        last_import_message=Case(
            When(last_import_ok=False, then=Value(RECOVERED_MESSAGE)),
            default=F("last_import_message"),
            output_field=TextField(),
        ),
        last_import_ok=True,
    )
    return CheckOutcome(IDLE, requests)


def _has(store: Store, name: str) -> bool:
    try:
        getattr(store, name)
    except Store._meta.get_field(name).related_model.DoesNotExist:
        return False
    return True


def _release(store_id: int, token: int) -> None:
    import_state(store_id).filter(import_lock_run=token).update(import_running_since=None, import_lock_run=None)


def _escalate(store: Store, token: int, requests: int = 0) -> CheckOutcome:
    """Release the claim: the caller queues an ordinary import run (orders.services.import_request)."""
    _release(store.pk, token)
    return CheckOutcome(IMPORT, requests)
