"""Writes for orders: history events, the status machine, import requests and their scheduling, a change of
a store's status mapping (status_mapping_update: the orders it no longer skips are imported).

The import pipeline itself lives in orders.importing (run.py runs one import, page.py writes one page).
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Min, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core import queues
from stores import changes, statuses
from stores.models import StatusMapping, Store
from stores.services import status_mapping_set

from . import events
from .actions import order_actions
from .events import event
from .importing.check import IMPORT as CHECK_IMPORT
from .importing.check import check_store
from .importing.idle import pass_time
from .importing.run import (
    claim_run,
    finish_failed,
    mapping_lookup,
    remember_requested_window,
    run_import,
    skip_run,
)
from .importing.schedule import LOOKAHEAD, Slot, plan_tick, wait_seconds
from .importing.state import claim_store, lease, release_store
from .models import (
    ImportRun,
    ImportState,
    ImportTrigger,
    Order,
    OrderEvent,
    OrderStatus,
    Product,
    SkippedOrder,
    SkipReason,
    StoreImportState,
    UnmappedStatus,
    status_event_data,
    status_event_params,
    status_transition,
)

log = logging.getLogger(__name__)


def order_event_add(
    *, order: Order, kind: str, params: dict | None = None, message: str = "", actor: str = "", data: dict | None = None
) -> OrderEvent:
    """One line of the order's history: `kind` and `params` (see orders.events), worded when read."""
    if params is not None and not message:
        message = event(kind, **params)["message"]
    return OrderEvent.objects.create(
        order=order, kind=kind, params=params or {}, message=message, actor=actor, data=data or {}
    )


def order_set_status(*, order: Order, actor: str, status: str | None = None, reason: str | dict = "") -> Order:
    """Move an order through the status machine (orders.models.status_transition), recording the move.

    `status`: a move asked for in Outbound (hold, release), refused when the machine does not allow it;
    None: the order's shipments changed (order.shipping is already saved) and its status follows them.
    `reason` is text a person typed, or `orders.events.reason(code, **params)`.
    """
    decision = status_transition(order.status, order.situation, requested=status, note=reason)
    if decision.refused:
        raise ValidationError(f"{decision.reason[:1].upper()}{decision.reason[1:]}.")
    if decision.status == order.status:
        return order
    previous = order.status
    order.status = decision.status
    order.updated_at = timezone.now()
    order.save(update_fields=["status", "updated_at"])
    order_event_add(
        order=order,
        actor=actor,
        data=status_event_data(previous, decision),
        **event("status", **status_event_params(previous, decision)),
    )
    return order


def order_check_writable(*, order: Order) -> None:
    """The one place that says whether a person may work an order (ship, void, hold, notes): not when its
    store was disconnected (its orders are kept read only). Raises ValidationError in words."""
    store = order.store
    if store.is_disconnected:
        raise ValidationError(
            _("%(store)s is disconnected: its orders are kept read only. Connect it again to work them.")
            % {"store": store.name},
            code="store_disconnected",
        )


@transaction.atomic
def order_set_hold(*, order: Order, hold: bool, actor: str, reason: str = "") -> Order:
    """Put an order on hold in Outbound, or release it back to Awaiting Shipment."""
    order_check_writable(order=order)
    actions = order_actions(order, disconnected=False)  # order_check_writable said it is
    if hold and not actions.can_hold:
        raise ValidationError(actions.hold_why_not, code="not_holdable")
    if not hold and not actions.can_release:
        raise ValidationError(actions.release_why_not, code="not_on_hold")
    if hold:
        order_set_status(
            order=order, status=OrderStatus.ON_HOLD, actor=actor, reason=reason or events.reason("put_on_hold")
        )
        order.hold_reason = reason
    else:
        order_set_status(
            order=order, status=OrderStatus.AWAITING_SHIPMENT, actor=actor, reason=events.reason("hold_released")
        )
        order.hold_reason = ""
    order.save(update_fields=["hold_reason"])
    return order


def order_attention_flag(*, order: Order, reason: str, actor: str) -> None:
    """Flag an order for a person to look at (the dashboard lists it, the order page says why)."""
    Order.objects.filter(pk=order.pk).update(needs_attention=True, attention_reason=reason[:200])
    order.needs_attention, order.attention_reason = True, reason[:200]


def order_attention_clear(*, orders, actor: str) -> int:
    """Clear "needs attention" on orders a person has looked at, saying so in their history."""
    flagged = [order for order in orders if order.needs_attention]
    if not flagged:
        return 0
    Order.objects.filter(pk__in=[o.pk for o in flagged]).update(needs_attention=False, attention_reason="")
    OrderEvent.objects.bulk_create(
        [OrderEvent(order=o, actor=actor, **event("attention_cleared", attention=o.attention_reason)) for o in flagged]
    )
    return len(flagged)


def order_set_notes(
    *, order: Order, actor: str, notes_to_buyer: str | None = None, outbound_notes: str | None = None
) -> Order:
    order_check_writable(order=order)
    fields = []
    if notes_to_buyer is not None:
        order.notes_to_buyer = notes_to_buyer
        fields.append("notes_to_buyer")
    if outbound_notes is not None:
        order.outbound_notes = outbound_notes
        fields.append("outbound_notes")
    if fields:
        order.updated_at = timezone.now()
        order.save(update_fields=[*fields, "updated_at"])
        order_event_add(order=order, actor=actor, data={"fields": fields}, **event("notes"))
    return order


def enqueue_import(run_id: int) -> None:
    queues.enqueue(
        queues.IMPORTS, "orders.tasks.import_run_task", run_id, task_name=f"import-run-{run_id}", group="imports"
    )


def import_request(
    *, store: Store, trigger: str = ImportTrigger.MANUAL, user=None, since: datetime | None = None
) -> ImportRun:
    """Queue an import of one store now (portal, API, admin) and return its run.

    A store with a run already queued or running gets that run back instead of a second one; a `since`
    further back than that run reaches is remembered on the store and covered by the next run. A
    disconnected store is refused (its imports stopped with it).
    """
    if store.is_disconnected:
        raise ValidationError(
            _("%(store)s is disconnected: Outbound no longer imports it. Connect it again to import.")
            % {"store": store.name},
            code="store_disconnected",
        )
    with transaction.atomic():
        Store.objects.select_for_update().filter(pk=store.pk).first()
        if since is not None:  # kept until a run covers it, whether this request's run or a later one
            remember_requested_window(store, since)
        active = ImportRun.objects.filter(store=store, state__in=[ImportState.QUEUED, ImportState.RUNNING]).first()
        if active:
            return active
        run = ImportRun.objects.create(store=store, trigger=trigger, requested_by=user, since=since)
        # Enqueue after commit: a worker must find the run row when the task reaches it.
        transaction.on_commit(lambda: enqueue_import(run.pk))
    run.refresh_from_db()
    return run


class MappingSaved(NamedTuple):
    mapping: StatusMapping
    run: ImportRun | None  # the import bringing in orders skipped for a status mapped now, if any


@transaction.atomic
def status_mapping_update(*, store: Store, lists: dict[str, str], user=None) -> MappingSaved:
    """Change some of a store's five status lists (stores.services.status_mapping_set; a store without a
    mapping gets one), and tell which import that started: like every change of the mapping, it forgets the
    unmapped statuses mapped now and imports the orders skipped for them (store_changed, below)."""
    mapping, started = status_mapping_set(store=store, lists=lists, user=user)
    return MappingSaved(mapping, next((run for run in started if isinstance(run, ImportRun)), None))


def store_changed(change: changes.StoreChange) -> ImportRun | None:
    """The listener of stores.changes (OrdersConfig.ready): after any change of a store's mapping, the orders
    skipped for a status mapped now are brought in (the run that does it is returned); a new store gets its
    import-state row."""
    if change.kind == changes.CREATED:  # a new store gets its import-state row with it
        StoreImportState.objects.bulk_create([StoreImportState(store_id=change.store.pk)], ignore_conflicts=True)
    if change.kind == changes.MAPPING_CHANGED:
        return skipped_orders_remap(store=change.store, user=change.user)
    return None


@transaction.atomic
def unmapped_status_add_to_mapping(*, unmapped, outbound_status: str, user=None) -> ImportRun:
    """Add an unmapped store status to one mapping list and bring its orders in (a store without a
    mapping gets one)."""
    store = unmapped.store
    mapping = StatusMapping.objects.select_for_update().filter(store=store).first() or StatusMapping(store=store)
    mapping.add_status(outbound_status, unmapped.status)
    run = status_mapping_update(store=store, lists=mapping.lists(), user=user).run
    if run is None:  # no order of that status was held as skipped: re-read the window it was seen in
        run = import_request(
            store=unmapped.store, trigger=ImportTrigger.MANUAL, user=user, since=unmapped.earliest_modified
        )
    return run


@transaction.atomic
def skipped_orders_remap(*, store: Store, user=None) -> ImportRun | None:
    """After any change of a store's status mapping (portal form, API, admin, the unmapped "Add" action):
    forget the unmapped statuses that are mapped now, and bring in the orders skipped for a status that
    is mapped now, by re-reading the store from the earliest of them (the mapping is part of every
    order's digest, so the run converts them again). Returns that run, or None when nothing is due."""
    mapping = StatusMapping.objects.filter(store=store).first()
    if mapping is None:
        return None
    lookup = mapping.lookup()
    since = None
    mapped_now = []
    for row in UnmappedStatus.objects.filter(store=store):
        if statuses.map_status(lookup, row.status):
            mapped_now.append(row.pk)
            since = min(filter(None, [since, row.earliest_modified]), default=None)
    skipped = (
        SkippedOrder.objects.filter(store=store, reason=SkipReason.UNMAPPED_STATUS)
        .values("store_status")
        .annotate(earliest=Min("modified_at"))
    )
    for row in skipped:
        if statuses.map_status(lookup, row["store_status"]):
            since = min(filter(None, [since, row["earliest"]]))
    UnmappedStatus.objects.filter(pk__in=mapped_now).delete()
    if since is None:
        return None
    return import_request(store=store, trigger=ImportTrigger.MANUAL, user=user, since=since)


def import_run_execute(*, run_id: int, client=None) -> ImportRun | None:
    """Run one queued import. Safe to call twice: only the caller that claims the run does the work."""
    run = claim_run(run_id)
    if run is None:
        return None
    store = run.store
    if not claim_store(store, run, run.started_at):
        skip_run(run)
        return run
    lookup = mapping_lookup(store)
    try:
        run_import(run, store, client)
    finally:
        release_store(store, run)
        _remap_if_mapping_changed(store, lookup)
    return run


def _remap_if_mapping_changed(store: Store, lookup: dict[str, str] | None) -> None:
    """A mapping edited while this run was going was not applied to the run's pages: the orders it
    skipped for a status that is mapped now are brought in by a follow-up run."""
    if lookup is not None and mapping_lookup(store) not in (None, lookup):
        skipped_orders_remap(store=store)


def import_store_now(
    *, store: Store, since: datetime | None = None, trigger: str = ImportTrigger.MANUAL, user=None, client=None
) -> ImportRun:
    """Import one store synchronously (management command, tests, benchmarks)."""
    run = ImportRun.objects.create(store=store, trigger=trigger, since=since, requested_by=user)
    return import_run_execute(run_id=run.pk, client=client) or run


def import_runs_reap(now: datetime | None = None) -> int:
    """Fail runs whose worker died (no heartbeat within the lease) so the store can be imported again."""
    now = now or timezone.now()
    stale = now - lease()
    dead = ImportRun.objects.filter(state=ImportState.RUNNING, heartbeat_at__lt=stale)
    count = 0
    for run in dead.select_related("store"):
        finish_failed(
            run,
            run.store,
            "The worker stopped during this import (killed or timed out); the next run covers the same window.",
            due_again=True,
        )
        release_store(run.store, run)
        count += 1
    # A queued run whose task was lost by the broker is re-enqueued.
    lost = ImportRun.objects.filter(state=ImportState.QUEUED, queued_at__lt=now - lease())
    for run_id in lost.values_list("pk", flat=True):
        enqueue_import(run_id)
    return count


SPLIT_BEHIND = 5.0  # seconds a batch may run late before it hands half its overdue slots to a helper task
SPLIT_MIN = 20  # ... when at least this many are overdue


def enqueue_checks(slots: list[Slot], *, helper: bool = False) -> None:
    first = slots[0]
    queues.enqueue(
        queues.IMPORTS,
        "orders.tasks.import_check_task",
        [tuple(slot) for slot in slots],
        helper,
        group="import-checks",
        task_name=f"import-checks-{first.at:%H%M%S}-{len(slots)}{'-helper' * helper}",
    )


def import_tick(now: datetime | None = None, *, enqueue=None) -> list[int]:
    """Every minute: hand each active store's slots up to LOOKAHEAD ahead (orders.importing.schedule)
    to one batch task. Returns the ids of the stores handed out.

    The same few queries whatever the number of stores: the reaper's two, one SELECT of the stores, one
    UPDATE recording the horizon on those handed out, and one task. A store with an import run queued or running is
    left to that run (its slots resume after it)."""
    now = now or timezone.now()
    import_runs_reap(now)
    horizon = now + LOOKAHEAD
    stores = _stores_without_active_run(Store.objects.filter(is_active=True, tenant__is_active=True)).filter(
        Q(import_state__isnull=True)
        | Q(import_state__import_queued_until__isnull=True)
        | Q(import_state__import_queued_until__lt=horizon)
    )
    rows = list(
        stores.values_list(
            "pk",
            "import_state__import_queued_until",
            "import_state__next_import_at",
            "import_interval_minutes",
            "import_state__store_id",
        )
    )
    slots = plan_tick([row[:4] for row in rows], now, horizon)
    store_ids = sorted({slot.store_id for slot in slots})
    if store_ids:  # a store with no slot this time keeps its horizon: its next slots come after it all the same
        # A store without its import-state row yet (made by a bulk load, say) gets it here, in one INSERT.
        given = set(store_ids)
        if missing := [StoreImportState(store_id=row[0]) for row in rows if row[4] is None and row[0] in given]:
            StoreImportState.objects.bulk_create(missing, ignore_conflicts=True)
        # A store never checked gets its first slot's time as its next one: a check lost on the way is
        # noticed then (LOST_AFTER), as for any other store.
        StoreImportState.objects.filter(store_id__in=store_ids).update(
            import_queued_until=horizon, next_import_at=Coalesce(F("next_import_at"), Value(now))
        )
        transaction.on_commit(lambda: (enqueue or enqueue_checks)(slots))
    return store_ids


def import_checks_run(slots, *, wait: bool = True, sleep=time.sleep, client_for=None, split=None) -> Counter:
    """Check a batch of stores, each at its slot (a batch task): waits for each slot when `wait` (a real
    cluster), and queues an ordinary import run for a store that has something new. Returns the count
    of each outcome (orders.importing.check).

    A batch that falls behind (its next slot SPLIT_BEHIND late, and many more past due) hands every
    other overdue slot to `split` once (a helper task, which has nothing to wait for): the idle worker
    then catches up alongside this one, and is left alone while the batch keeps up."""
    outcomes: Counter = Counter()
    pending = deque(sorted(Slot(*item) for item in slots))
    last_split = None
    while pending:
        slot = pending.popleft()
        if wait and (pause := wait_seconds(slot.at)) > 0:
            pass_time(pause, sleep=sleep)  # real-time fetches meanwhile (orders.importing.idle)
        now = timezone.now()
        if split is not None and last_split is None and (now - slot.at).total_seconds() > SPLIT_BEHIND:
            overdue = [s for s in pending if s.at <= now]
            if len(overdue) >= SPLIT_MIN:
                given = set(overdue[1::2])
                pending = deque(s for s in pending if s not in given)
                split(sorted(given))
                outcomes["handed_to_helper"] += len(given)
                last_split = now
        try:
            outcome = check_store(
                slot.store_id, slot.at, slot.interval_minutes, client=client_for(slot.store_id) if client_for else None
            )
        except Exception:  # noqa: BLE001  (one store's bug must not cost the rest of the batch its check)
            log.exception("Scheduled check of store %s crashed", slot.store_id)
            outcomes["crashed"] += 1
            continue
        outcomes[outcome.outcome] += 1
        if outcome.outcome == CHECK_IMPORT:
            store = Store.objects.filter(pk=slot.store_id).first()
            if store is not None:
                import_request(store=store, trigger=ImportTrigger.SCHEDULE)
    return outcomes


def import_runs_prune(now: datetime | None = None) -> dict[str, int]:
    """Delete finished import runs past their retention (IMPORT_RUNS_KEEP_*_DAYS): runs that brought
    nothing go first, failed ones are kept longer, productive ones longest. Queued and running runs, and
    the one a store's first import still reads its "since" from, are never deleted."""
    now = now or timezone.now()
    finished = ImportRun.objects.filter(finished_at__isnull=False).exclude(
        Q(store__import_state__isnull=True) | Q(store__import_state__import_watermark__isnull=True), since__isnull=False
    )
    productive = Q(orders_created__gt=0) | Q(orders_updated__gt=0) | ~Q(recovered=[])
    rules = {
        "idle": (
            finished.filter(state__in=[ImportState.SUCCEEDED, ImportState.SKIPPED]).exclude(productive),
            settings.IMPORT_RUNS_KEEP_IDLE_DAYS,
        ),
        "failed": (finished.filter(state=ImportState.FAILED), settings.IMPORT_RUNS_KEEP_FAILED_DAYS),
        "productive": (
            finished.filter(state=ImportState.SUCCEEDED).filter(productive),
            settings.IMPORT_RUNS_KEEP_PRODUCTIVE_DAYS,
        ),
    }
    deleted = {}
    for kind, (runs, days) in rules.items():
        old = runs.filter(finished_at__lt=now - timedelta(days=days))
        deleted[kind] = ImportRun.objects.filter(pk__in=old.values("pk")).delete()[0]
    return deleted


def reconcile_tick(now: datetime | None = None) -> list[int]:
    """Every hour: queue a reconciliation sweep of each active store whose sweep is due and which has no
    active run (a store busy importing is swept at a later tick)."""
    now = now or timezone.now()
    queued = []
    stores = Store.objects.filter(
        is_active=True,
        tenant__is_active=True,
        reconcile_every_hours__gt=0,
        import_state__import_watermark__isnull=False,
    ).select_related("import_state")
    for store in _stores_without_active_run(stores):
        if store.import_state.reconcile_due(now):
            queued.append(import_request(store=store, trigger=ImportTrigger.RECONCILE).pk)
    return queued


def _stores_without_active_run(stores):
    active_store_ids = ImportRun.objects.filter(state__in=[ImportState.QUEUED, ImportState.RUNNING]).values("store_id")
    return stores.exclude(pk__in=active_store_ids)


def reconcile_request(*, store: Store, user=None) -> ImportRun:
    """Queue a reconciliation sweep of one store (portal, API, admin; the schedule uses reconcile_tick).

    Like any import request, a store with a run already queued or running gets that run back."""
    return import_request(store=store, trigger=ImportTrigger.RECONCILE, user=user)


PRODUCT_UNSET = object()


def product_update(
    *,
    product: Product,
    warehouse_location: str | None = None,
    weight: Decimal | None = None,
    weight_unit: str | None = None,
    set_weight: bool = False,
    dimensions: dict | None = None,
    default_package=PRODUCT_UNSET,
) -> Product:
    """Edit a product (the API, the admin; None leaves a value alone, `set_weight` writes `weight` even when
    None).

    A location set here survives imports unless the store settings say otherwise. `dimensions`: any of
    length, width, height (None clears one) and dimension_unit; `default_package`: a package preset of the
    product's tenant, or None for none. What is written is validated against the model first (lengths,
    digits, choices); the import never writes these."""
    fields = []
    for name, value in (dimensions or {}).items():
        if name not in ("length", "width", "height", "dimension_unit"):
            continue
        if name != "dimension_unit" and value is not None and Decimal(value) <= 0:
            raise ValidationError({name: ["Give a size above zero, or none."]})
        setattr(product, name, value if name != "dimension_unit" else (value or ""))
        fields.append(name)
    if default_package is not PRODUCT_UNSET:
        tenant_id = Store.objects.filter(pk=product.store_id).values_list("tenant_id", flat=True).first()
        if default_package is not None and default_package.tenant_id != tenant_id:
            raise ValidationError({"default_package": ["No such package preset."]})
        product.default_package = default_package
        fields.append("default_package")
    if warehouse_location is not None:
        product.warehouse_location = warehouse_location
        product.location_set_in_outbound = True
        fields += ["warehouse_location", "location_set_in_outbound"]
    if set_weight:
        product.weight = weight
        fields.append("weight")
    if weight_unit is not None:
        product.weight_unit = weight_unit
        fields.append("weight_unit")
    product.full_clean(
        exclude=[f.name for f in Product._meta.fields if f.name not in fields],
        validate_unique=False,
        validate_constraints=False,
    )
    product.updated_at = timezone.now()
    product.save(update_fields=[*fields, "updated_at"])
    return product
