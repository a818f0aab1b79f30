"""Batches: ship, mark delivered or re-send the store update for many orders, order by order.

Each order goes through the same services as a single one (shipments.services), in its own transaction
together with its BatchItem, so an order is never half-applied and a second submission of the same batch
(same key) skips every order it finds done. An order refused (already shipped, blocked by its status, an
invalid tracking number) gets its reason; the batch goes on with the next order.

Leases: a batch is durable work. Submitting it records its plan and when it was queued; a worker takes
it with a conditional UPDATE (free, or its lease ran out: the outbox relay's claim-then-work pattern)
and renews its lease as it goes (`batch_heartbeat`, from apply_item). A batch unfinished whose lease ran
out (its worker was killed, the broker lost its task, the web process died between the commit and the
enqueue, or the task raised) is handed to a worker again by the minute sweep (`batch_sweep`), which
claims it the same way before queueing it, so two sweeps queue it once. The resumed run skips every
order whose item is done (each item commits with what it did, under the item's row lock and unique
key), so each order is done exactly once however many workers took the batch. After BATCH_MAX_ATTEMPTS
workers in a row without a chunk done the batch stops with its last error shown.

Chunks: a worker applies BATCH_CHUNK_SIZE rows, then records where it stopped (`cursor`), gives up its
lease and queues the batch again behind the other tasks of the batches queue, so two tenants' batches
interleave instead of one holding a worker for its 500 orders. At most BATCH_TENANT_CONCURRENCY batches of
one tenant hold a lease at once: a task finding its tenant at the cap waits a moment and queues itself
again, leaving the worker to other tenants' batches.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from core import queues
from orders.actions import NotShippable, order_actions
from orders.models import Order
from outbox.models import OutboxState
from stores.models import Tenant

from . import services
from .models import DONE_OUTCOMES, Batch, BatchItem, BatchKind, Outcome, Shipment, ShipmentState
from .tracking_numbers import tracking_number_problem, tracking_number_tidy

log = logging.getLogger(__name__)

# A batch form lists its orders one per row: beyond this, narrow the list's filters.
MAX_BATCH = 500
# The batch keys of CSV imports start with this (`csv:<import id>`); a form's key never does.
CSV_KEY_SPACE = "csv:"


class Refused(Exception):
    """An order the batch leaves alone, with the outcome that says why (and a code or words as detail)."""

    def __init__(self, outcome: str, detail: str = ""):
        super().__init__(outcome)
        self.outcome, self.detail = outcome, detail


def tracking_problem(value: str) -> str:
    """ "" for a usable tracking number, else why not: "too_long" or "characters" (the one rule of
    shipments/tracking_numbers.py: the spaces and dashes carriers print are removed, anything else refused)."""
    return tracking_number_problem(value)


def batch_for(*, tenant: Tenant, key: str, kind: str, user=None) -> Batch:
    """The batch with this key (a second submission of the same form finds the first's), counted."""
    batch, _ = Batch.objects.get_or_create(
        tenant=tenant, key=key[:80], defaults={"kind": kind, "created_by_user": user}
    )
    if batch.kind != kind:
        raise ValidationError("This form was already used for another action; open it again.")
    Batch.objects.filter(pk=batch.pk).update(submissions=F("submissions") + 1)
    batch.refresh_from_db(fields=["submissions"])
    return batch


def apply_item(
    batch: Batch,
    *,
    ref: str,
    position: int,
    order: Order | None,
    order_number: str,
    action: Callable[[], tuple[str, str, Shipment | None]],
) -> BatchItem | None:
    """Run `action` for one order (or row) unless this batch already did it: the item and what the action
    wrote commit together. A refusal or a service's ValidationError becomes the item's outcome. In a
    worker's chunk (batch._chunk), rows before the chunk are passed over and the row after it raises
    ChunkFull."""
    chunk = getattr(batch, "_chunk", None)
    if chunk is not None:
        if position < chunk.start:
            return None
        if chunk.left <= 0:
            chunk.end = position
            raise ChunkFull
        chunk.left -= 1
    batch_heartbeat(batch)
    try:
        with transaction.atomic():
            item = BatchItem.objects.select_for_update().filter(batch=batch, ref=ref).first()
            if item is not None and item.outcome in DONE_OUTCOMES:
                return item
            if item is None:
                # Created first: a concurrent submission of the same batch waits here, then fails the unique key.
                item = BatchItem.objects.create(
                    batch=batch,
                    ref=ref,
                    position=position,
                    order=order,
                    order_number=order_number,
                    outcome=Outcome.INVALID,
                )
            try:
                with transaction.atomic():
                    outcome, detail, shipment = action()
            except Refused as refusal:
                outcome, detail, shipment = refusal.outcome, refusal.detail, None
            except ValidationError as exc:
                outcome, detail, shipment = Outcome.INVALID, " ".join(exc.messages), None
            item.outcome, item.detail, item.shipment = outcome, detail, shipment
            item.save(update_fields=["outcome", "detail", "shipment"])
            return item
    except IntegrityError:
        return None  # the same batch, submitted at the same moment, recorded this one: its outcome stands


# --- ship ------------------------------------------------------------------------------------------


@dataclass
class ShipRow:
    order: Order
    carrier: str
    service: str = ""
    tracking_number: str = ""
    ship_date: dt.date | None = None
    carrier_fee: object = None
    # The row's carrier and service were chosen for this order (not a batch-wide default): they may teach
    # the store's shipping method mapping, as a single shipment does.
    learn_method: bool = True


def ship_refusal(reason: str) -> Refused:
    """A ship refusal of orders.actions as the batch keeps it: its outcome, and its reason code as the detail
    (worded when shown, the same words as the single form's)."""
    outcome = Outcome.ALREADY_SHIPPED if reason in ("already_shipped", "nothing_to_ship") else Outcome.BLOCKED
    return Refused(outcome, reason)


def check_can_ship(order: Order, *, lines=None, shipped: dict[int, int] | None = None) -> None:
    """Refuse an order a batch must not ship (Refused with the reason): what orders.actions says. With `lines`
    and `shipped` (shipped_quantities) an order with nothing left to ship is refused here too; without, the
    shipment service refuses it."""
    actions = order_actions(order, lines=lines, shipped=shipped)
    if not actions.can_ship:
        raise ship_refusal(actions.ship_refusal)


def _ship(row: ShipRow, *, notify_buyer: bool, user, duplicate: bool):
    def action():
        # The order row is locked first: what it holds now decides, not what the form showed.
        order = Order.objects.select_for_update().select_related("store").get(pk=row.order.pk)
        check_can_ship(order)
        problem = "duplicate" if duplicate else tracking_problem(row.tracking_number)
        if problem:
            raise Refused(Outcome.INVALID_TRACKING, problem)
        try:
            shipment = services.shipment_create(
                order=order,
                carrier=row.carrier,
                service=row.service,
                tracking_number=tracking_number_tidy(row.tracking_number),
                ship_date=row.ship_date,
                carrier_fee=row.carrier_fee,
                notify_buyer=notify_buyer,
                user=user,
                learn_method=row.learn_method,
            )
        except NotShippable as exc:
            raise ship_refusal(exc.reason) from None
        return Outcome.SHIPPED, "", shipment

    return action


def batch_ship(
    *, tenant: Tenant, key: str, rows: list[ShipRow], notify_buyer: bool, user=None, kind: str = BatchKind.SHIP
) -> Batch:
    """Ship each row's order (everything left to ship) with its carrier, service and tracking number."""
    batch = batch_for(tenant=tenant, key=key, kind=kind, user=user)
    _ship_rows(batch, rows, notify_buyer=notify_buyer, user=user)
    return batch


def _ship_rows(batch: Batch, rows: list[ShipRow], *, notify_buyer: bool, user) -> None:
    tenant_id = batch.tenant_id
    seen: set[str] = set()
    for position, row in enumerate(rows):
        if row.order.tenant_id != tenant_id:
            continue
        tracking = tracking_number_tidy(row.tracking_number)
        duplicate = bool(tracking) and tracking.upper() in seen
        seen.add(tracking.upper())
        apply_item(
            batch,
            ref=f"order:{row.order.pk}",
            position=position,
            order=row.order,
            order_number=row.order.number,
            action=_ship(row, notify_buyer=notify_buyer, user=user, duplicate=duplicate),
        )


# --- mark delivered, re-send -------------------------------------------------------------------------


def _active_shipments(order: Order) -> list[Shipment]:
    return list(Shipment.objects.filter(order=order).exclude(state=ShipmentState.VOIDED).order_by("pk"))


def _deliver(order: Order, actor: str):
    def action():
        shipments = _active_shipments(order)
        if not shipments:
            raise Refused(Outcome.NOT_SHIPPED)
        waiting = [s for s in shipments if s.state == ShipmentState.SHIPPED]
        if not waiting:
            raise Refused(Outcome.ALREADY_DELIVERED)
        for shipment in waiting:
            services.shipment_mark_delivered(shipment=shipment, actor=actor)
        return Outcome.DELIVERED, str(len(waiting)), waiting[-1]

    return action


def _resend(order: Order):
    def action():
        shipments = [
            s for s in _active_shipments(order) if s.store_update_state in (OutboxState.FAILED, OutboxState.PENDING)
        ]
        if not shipments:
            raise Refused(Outcome.NOTHING_TO_RESEND)
        for shipment in shipments:
            services.store_update_retry(shipment=shipment, deliver=False)  # the outbox workers send them
        return Outcome.RESENT, str(len(shipments)), shipments[-1]

    return action


def batch_mark_delivered(*, tenant: Tenant, key: str, orders: Iterable[Order], user=None) -> Batch:
    """Mark every shipment of each order that is not yet delivered as delivered."""
    batch = batch_for(tenant=tenant, key=key, kind=BatchKind.DELIVER, user=user)
    _deliver_orders(batch, orders, user)
    return batch


def _deliver_orders(batch: Batch, orders: Iterable[Order], user) -> None:
    actor = user.get_username() if user is not None else "system"
    for position, order in enumerate(orders):
        apply_item(
            batch,
            ref=f"order:{order.pk}",
            position=position,
            order=order,
            order_number=order.number,
            action=_deliver(order, actor),
        )


def batch_resend(*, tenant: Tenant, key: str, orders: Iterable[Order], user=None) -> Batch:
    """Send again each order's store updates that failed or wait for their next try."""
    batch = batch_for(tenant=tenant, key=key, kind=BatchKind.RESEND, user=user)
    _resend_orders(batch, orders)
    return batch


def _resend_orders(batch: Batch, orders: Iterable[Order]) -> None:
    for position, order in enumerate(orders):
        apply_item(
            batch,
            ref=f"order:{order.pk}",
            position=position,
            order=order,
            order_number=order.number,
            action=_resend(order),
        )


# --- submitted from the portal, applied by a worker ---------------------------------------------------


def batch_submit(*, tenant: Tenant, key: str, kind: str, plan: dict, user=None) -> Batch:
    """Record what a batch form asks for and queue its run (a django-q2 task; inline when Q_SYNC is on).
    A second submission of the same form finds the same batch: its run skips every order already done.
    `plan`: {"rows": [ShipRow as plan_row()], "notify_buyer": bool} to ship, {"order_ids": [...]} to mark
    delivered or re-send, {"csv_import_id": id} for a CSV import.
    Keys live in two spaces: a CSV import's `csv:<id>`, a form's anything else; a form's key in the CSV space
    (tampered) is refused, so it can never take a later import's key."""
    if (kind == BatchKind.CSV_IMPORT) != key.startswith(CSV_KEY_SPACE):
        raise ValidationError("This form was already used for another action; open it again.")
    batch = batch_for(tenant=tenant, key=key, kind=kind, user=user)
    total = len(plan.get("rows") or plan.get("order_ids") or [])
    # A new submission is a new piece of work: its task takes it whoever held the previous one's lease
    # (that worker's next renewal fails and it stops; the orders it did stay done).
    fields = dict(plan=plan, total=total, finished_at=None, queued_at=timezone.now(), lease_until=None, cursor=0)
    fields.update(leased_by="", attempts=0, last_error="")
    Batch.objects.filter(pk=batch.pk).update(**fields)
    for name, value in fields.items():
        setattr(batch, name, value)
    if settings.Q_CLUSTER.get("sync"):
        _enqueue(batch.pk)  # tasks run inline (tests, a demo without workers): now, in this transaction
    else:
        transaction.on_commit(lambda: _enqueue(batch.pk))  # a worker must find the plan committed
    return batch


def _enqueue(batch_id: int) -> None:
    queues.enqueue(
        queues.BATCHES, "shipments.tasks.batch_run_task", batch_id, task_name=f"batch-{batch_id}", group="batches"
    )


def plan_row(row: ShipRow) -> dict:
    return {
        "order_id": row.order.pk,
        "carrier": row.carrier,
        "service": row.service,
        "tracking_number": row.tracking_number,
        "ship_date": row.ship_date.isoformat() if row.ship_date else None,
        "carrier_fee": None if row.carrier_fee is None else str(row.carrier_fee),
        "learn_method": row.learn_method,
    }


def batch_apply(batch: Batch) -> None:
    """Apply a submitted ship / deliver / re-send batch (shipments.tasks.batch_run; a CSV import's rows are
    applied by shipments.csv_import.csv_import_run). Safe to run twice: each order's item says it is done."""
    from decimal import Decimal

    plan, user, tenant = batch.plan or {}, batch.created_by_user, batch.tenant
    if batch.kind == BatchKind.SHIP:
        rows_plan = plan.get("rows") or []
        orders = Order.objects.for_tenant(tenant).in_bulk([r["order_id"] for r in rows_plan])
        rows = [
            ShipRow(
                order=orders[r["order_id"]],
                carrier=r["carrier"],
                service=r.get("service") or "",
                tracking_number=r.get("tracking_number") or "",
                ship_date=dt.date.fromisoformat(r["ship_date"]) if r.get("ship_date") else None,
                carrier_fee=Decimal(r["carrier_fee"]) if r.get("carrier_fee") else None,
                learn_method=r.get("learn_method", True),
            )
            for r in rows_plan
            if r["order_id"] in orders
        ]
        _ship_rows(batch, rows, notify_buyer=bool(plan.get("notify_buyer")), user=user)
    else:
        ids = plan.get("order_ids") or []
        found = Order.objects.for_tenant(tenant).in_bulk(ids)
        orders = [found[pk] for pk in ids if pk in found]
        if batch.kind == BatchKind.DELIVER:
            _deliver_orders(batch, orders, user)
        elif batch.kind == BatchKind.RESEND:
            _resend_orders(batch, orders)


# --- leases: a worker's claim on a batch, its heartbeat, and the sweep that resumes stalled batches ------


class LeaseLost(Exception):
    """Another worker was handed this batch (its lease had run out, or the form was submitted again)."""


class ChunkFull(Exception):
    """The worker's chunk is applied; the rest of the batch goes to the next task (batch_next_chunk)."""


class TenantBusy(Exception):
    """BATCH_TENANT_CONCURRENCY batches of this tenant are being applied: this one waits its turn."""


@dataclass
class _Chunk:
    start: int  # positions below were applied by earlier chunks
    left: int  # rows this chunk may still apply
    end: int | None = None  # where the next chunk starts, once this one is full


def batch_chunk_start(batch: Batch, size: int | None = None) -> None:
    """From now on, applying `batch` applies one chunk (BATCH_CHUNK_SIZE rows) from its cursor."""
    batch._chunk = _Chunk(start=batch.cursor, left=size or settings.BATCH_CHUNK_SIZE)


def batch_next_chunk(batch: Batch, *, enqueue: Callable[[int], None] | None = None) -> bool:
    """The chunk is applied: record where the next starts, give up the lease (a chunk done is progress:
    the attempts count again from zero) and queue the batch again. False when the lease was lost."""
    lease, chunk = batch._lease, batch._chunk
    if not Batch.objects.filter(pk=batch.pk, leased_by=lease.worker, finished_at__isnull=True).update(
        cursor=chunk.end, lease_until=None, leased_by="", attempts=0, queued_at=timezone.now()
    ):
        return False
    try:
        (enqueue or _enqueue)(batch.pk)
    except Exception:  # the broker is down: the sweep queues it again once its lease would have run out
        log.exception("Could not queue the next chunk of batch %s", batch.pk)
    return True


@dataclass
class _Lease:
    worker: str
    renewed: float  # time.monotonic() of the last renewal


def _lease_length() -> dt.timedelta:
    return dt.timedelta(seconds=settings.BATCH_LEASE_SECONDS)


def batch_claim(batch: Batch, *, worker: str, now: dt.datetime | None = None, tenant_cap: int | None = None) -> bool:
    """Take the batch for this worker if it is unfinished and no live lease holds it (one conditional
    UPDATE: of two workers only one matches). The lease rides on the instance for batch_heartbeat.

    `tenant_cap`: raise TenantBusy rather than take it while that many other batches of its tenant hold
    a live lease (the tenant's row is locked meanwhile, so two claims of one tenant count in turn)."""
    now = now or timezone.now()
    with transaction.atomic():
        if tenant_cap is not None:
            Tenant.objects.select_for_update().filter(pk=batch.tenant_id).first()
            running = Batch.objects.filter(tenant_id=batch.tenant_id, finished_at__isnull=True, lease_until__gte=now)
            if running.exclude(pk=batch.pk).count() >= tenant_cap:
                raise TenantBusy(f"batch {batch.pk} waits: {tenant_cap} batch(es) of its tenant are being applied")
        won = (
            Batch.objects.filter(pk=batch.pk, finished_at__isnull=True)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .update(lease_until=now + _lease_length(), leased_by=worker[:100], attempts=F("attempts") + 1)
        )
    if won:
        batch._lease = _Lease(worker=worker[:100], renewed=time.monotonic())
    return bool(won)


def batch_heartbeat(batch: Batch) -> None:
    """Renew the worker's lease, at most every quarter lease (one UPDATE). Raises LeaseLost when the batch
    was handed to someone else meanwhile. A batch applied without a claim (a direct call) has no lease."""
    lease = getattr(batch, "_lease", None)
    if lease is None or time.monotonic() - lease.renewed < settings.BATCH_LEASE_SECONDS / 4:
        return
    if not Batch.objects.filter(pk=batch.pk, leased_by=lease.worker, finished_at__isnull=True).update(
        lease_until=timezone.now() + _lease_length()
    ):
        raise LeaseLost(f"batch {batch.pk} was handed to another worker")
    lease.renewed = time.monotonic()


def batch_release(batch: Batch, *, error: str) -> None:
    """The worker's run raised: its lease ends now, so the next sweep resumes the batch."""
    lease = getattr(batch, "_lease", None)
    if lease is not None:
        Batch.objects.filter(pk=batch.pk, leased_by=lease.worker).update(
            lease_until=timezone.now(), last_error=error[:2000]
        )


def batch_finish(batch: Batch) -> Batch:
    """Mark the batch finished: only by the worker holding its lease (a worker that lost it finishes
    nothing), or unconditionally for a batch applied without a claim."""
    lease = getattr(batch, "_lease", None)
    rows = Batch.objects.filter(pk=batch.pk)
    if lease is not None:
        rows = rows.filter(leased_by=lease.worker)
    rows.update(finished_at=timezone.now(), lease_until=None, leased_by="", last_error="")
    batch.refresh_from_db()
    return batch


def _stalled(now: dt.datetime):
    waited = now - _lease_length()
    return (
        Batch.objects.filter(finished_at__isnull=True)
        .exclude(plan={})
        .filter(
            Q(lease_until__lt=now)
            | Q(lease_until__isnull=True, queued_at__lt=waited)
            | Q(lease_until__isnull=True, queued_at__isnull=True, created_at__lt=waited)
        )
    )


def batch_sweep(*, now: dt.datetime | None = None, enqueue: Callable[[int], None] | None = None) -> dict[str, int]:
    """Every minute: hand each stalled batch to a worker again, claimed first (a conditional UPDATE on the
    row as read, so two sweeps queue it once), or stop it with its error after BATCH_MAX_ATTEMPTS."""
    now = now or timezone.now()
    rows = _stalled(now).values_list("pk", "queued_at", "lease_until", "attempts", "last_error")[:500]
    resumed, stopped = sweep_stalled(
        rows,
        now=now,
        as_read=lambda pk, queued_at, lease_until: Batch.objects.filter(
            pk=pk, queued_at=queued_at, lease_until=lease_until, finished_at__isnull=True
        ),
        stop=lambda reason: {"finished_at": now, "lease_until": None, "leased_by": "", "last_error": reason},
        enqueue=enqueue or _enqueue,
        what="Batch",
    )
    return {"resumed": resumed, "stopped": stopped}


def sweep_stalled(rows, *, now, as_read, stop, enqueue: Callable[[int], None], what: str) -> tuple[int, int]:
    """The sweep of leased work (batches; print jobs, shipments/print_jobs.py): for each stalled row
    (pk, queued_at, lease_until, attempts, last error), stop it with the reason once BATCH_MAX_ATTEMPTS
    workers took it (`stop(reason)`: the fields to write), else claim it as read (`as_read(pk, queued_at,
    lease_until)`: a queryset matching the row only if nobody changed it) and queue it again. Returns
    (resumed, stopped)."""
    resumed = stopped = 0
    for pk, queued_at, lease_until, attempts, last_error in rows:
        row = as_read(pk, queued_at, lease_until)
        if attempts >= settings.BATCH_MAX_ATTEMPTS:
            reason = f"gave up after {attempts} attempts" + (f": {last_error}" if last_error else "")
            if row.update(**stop(reason[:2000])):
                log.error("%s %s stopped: %s", what, pk, reason)
                stopped += 1
            continue
        if row.update(queued_at=now, lease_until=None, leased_by=""):
            log.warning("%s %s stalled (attempt %s): handed to a worker again", what, pk, attempts)
            try:
                enqueue(pk)
            except Exception:  # the broker is down: it stays stalled, the sweep tries again a lease later
                log.exception("Could not queue %s %s", what.lower(), pk)
                continue
            resumed += 1
    return resumed, stopped


# --- reads -----------------------------------------------------------------------------------------


def batch_get(*, tenant: Tenant, pk) -> Batch:
    from django.http import Http404

    try:
        return Batch.objects.for_tenant(tenant).get(pk=pk)
    except (Batch.DoesNotExist, ValueError, TypeError):
        raise Http404("No such batch.")


def batch_items(batch: Batch):
    return batch.items.select_related("order", "shipment").order_by("position", "id")
