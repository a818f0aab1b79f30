"""Writes for carrier tracking: the poll cycle (carrier accounts are written by carriers.services).

    tracking_poll_due()                     every TRACKING_SCHEDULE_MINUTES (tracking/schedules.py)
      ├─ tracking_enroll()                  shipments in transit whose carrier has an account get a
      │                                     ShipmentTracking row (one INSERT)
      └─ due rows, grouped per carrier account, in batches of TRACKING_BATCH_SIZE
           └─ one django-q2 task per batch: tracking.tasks.tracking_poll_batch(account_id, [ids])
              (ids only: the credentials are read from the database inside the task)
                └─ tracking_poll_batch: one karrio request for the batch (failed numbers asked again,
                   up to ATTEMPTS_PER_POLL times; a request refused as a whole split in halves, so one bad
                   number holds back no other), events stored once (INSERT … ON CONFLICT DO NOTHING),
                   states and next polls saved in one UPDATE; a state change calls the shipments app:
                     delivered        → shipments.services.shipment_mark_delivered (the "Mark delivered"
                                        action's own service: one delivery e-mail whoever sees it first)
                     out for delivery → webhook shipment.out_for_delivery (+ the store's optional e-mail)
                     exception        → the order flagged for attention + webhook shipment.exception
                                        (never e-mailed to the buyer)
                     returned         → the same, and no more polls (a return is never delivered)
                   and a moved estimated delivery date → shipments.services.shipment_estimated_delivery_notify
                                        (the store's optional e-mail, once per shipment)

Back-off with age (since the shipment was recorded): every TRACKING_POLL_MINUTES in the first two days,
4× that until a week, 24× after; no more polls after TRACKING_MAX_AGE_DAYS, at delivery, or once the
shipment is delivered by hand or voided.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from carriers.models import CarrierAccount
from core import queues
from orders.events import event
from orders.services import order_attention_flag, order_event_add
from shipments.models import Shipment, ShipmentState
from shipments.services import (
    shipment_estimated_delivery_notify,
    shipment_mark_delivered,
    shipment_out_for_delivery_notify,
)
from shipments.tracking_numbers import tracking_number_message, tracking_number_problem, tracking_number_tidy
from webhooks.services import webhook_emit_object

from . import carriers
from .models import TRACKED_CARRIERS, LookupThrottle, ShipmentTracking, TrackingEvent, TrackingState

logger = logging.getLogger(__name__)

# A number the carrier did not answer for (5xx, 429, timeout) is asked again within the same poll, after
# 0.1 s, 0.2 s, 0.4 s…: a carrier failing half its requests still answers for every number in one poll.
ATTEMPTS_PER_POLL = 6
# The states in which a moved delivery date is not e-mailed: the parcel is at the door, delivered, or going back.
MOVED_NOT_SAID = {TrackingState.OUT_FOR_DELIVERY, TrackingState.DELIVERED, TrackingState.RETURNED}
# The states that call the shipments app (deliver, notify, flag) when a shipment enters them.
ACTED_ON = {TrackingState.DELIVERED, TrackingState.OUT_FOR_DELIVERY, TrackingState.EXCEPTION, TrackingState.RETURNED}


# --- the schedule ------------------------------------------------------------------------------------


def next_poll_after(*, shipped_at: dt.datetime, now: dt.datetime) -> dt.datetime | None:
    age = now - shipped_at
    if age >= dt.timedelta(days=settings.TRACKING_MAX_AGE_DAYS):
        return None
    minutes = settings.TRACKING_POLL_MINUTES
    if age >= dt.timedelta(days=7):
        minutes *= 24
    elif age >= dt.timedelta(days=2):
        minutes *= 4
    # Due a little early (a quarter of the interval, at most one 5-minute cycle), so the cycle that runs
    # just after the interval ends picks the shipment up instead of the one after it.
    interval = dt.timedelta(minutes=minutes)
    return now + interval - min(interval / 4, dt.timedelta(minutes=5))


def tracking_enroll(
    *, now: dt.datetime | None = None, limit: int | None = None, shipment_ids: list[int] | None = None
) -> int:
    """Follow shipments in transit that have a tracking number and an active account for their carrier
    (`shipment_ids`: only those)."""
    now = now or timezone.now()
    limit = limit or settings.TRACKING_MAX_PER_CYCLE
    account = CarrierAccount.objects.filter(
        tenant_id=OuterRef("tenant_id"), carrier=OuterRef("carrier"), is_active=True
    )
    shipments = Shipment.objects.all() if shipment_ids is None else Shipment.objects.filter(pk__in=shipment_ids)
    rows = list(
        shipments.filter(
            state=ShipmentState.SHIPPED,
            carrier__in=TRACKED_CARRIERS,
            created_at__gte=now - dt.timedelta(days=settings.TRACKING_MAX_AGE_DAYS),
            tracking__isnull=True,
        )
        .exclude(tracking_number="")
        .filter(Exists(account), order__store__disconnected_at__isnull=True)  # a disconnected store: no tracking
        .values_list("pk", "tenant_id", "carrier")[:limit]
    )
    if not rows:
        return 0
    accounts = dict(
        ((t, c), pk)
        for pk, t, c in CarrierAccount.objects.filter(
            tenant_id__in={t for _, t, _ in rows}, is_active=True
        ).values_list("pk", "tenant_id", "carrier")
    )
    ShipmentTracking.objects.bulk_create(
        [
            ShipmentTracking(
                tenant_id=t,
                shipment_id=pk,
                account_id=accounts[(t, c)],
                next_poll_at=now,
                created_at=now,
                updated_at=now,
            )
            for pk, t, c in rows
            if (t, c) in accounts
        ],
        ignore_conflicts=True,
    )
    return len(rows)


def tracking_due_batches(*, now: dt.datetime | None = None, limit: int | None = None) -> list[tuple[int, list[int]]]:
    """Due trackings as (account id, [tracking ids]) batches of at most TRACKING_BATCH_SIZE."""
    now = now or timezone.now()
    limit = limit or settings.TRACKING_MAX_PER_CYCLE
    rows = (
        ShipmentTracking.objects.due(now)
        .filter(account__is_active=True, shipment__order__store__disconnected_at__isnull=True)
        .order_by("account_id", "next_poll_at")
        .values_list("account_id", "pk")[:limit]
    )
    batches: list[tuple[int, list[int]]] = []
    size = settings.TRACKING_BATCH_SIZE
    for account_id, pk in rows:
        if not batches or batches[-1][0] != account_id or len(batches[-1][1]) >= size:
            batches.append((account_id, []))
        batches[-1][1].append(pk)
    return batches


def tracking_poll_due(*, run_inline: bool = False) -> dict:
    """The periodic task's body: enroll, then hand each due batch to a worker (or poll it here). With
    Q_SYNC (the tests) django-q2 runs each batch task at once, in this process."""
    enrolled = tracking_enroll()
    batches = tracking_due_batches()
    if run_inline:
        for account_id, ids in batches:
            tracking_poll_batch(account_id=account_id, tracking_ids=ids)
    else:
        for account_id, ids in batches:
            queues.enqueue(
                queues.TRACKING, "tracking.tasks.tracking_poll_batch_task", account_id, ids, group="tracking"
            )
    return {"enrolled": enrolled, "batches": len(batches), "shipments": sum(len(ids) for _, ids in batches)}


def tracking_follow_corrected(shipment: Shipment) -> None:
    """A shipment's tracking number was corrected (shipments.changes): what was followed and heard about the
    old number is another parcel's, so it is forgotten, and the new number is followed from the next poll."""
    ShipmentTracking.objects.filter(shipment=shipment).delete()
    TrackingEvent.objects.filter(shipment=shipment).delete()
    tracking_enroll(shipment_ids=[shipment.pk])


# --- one batch ---------------------------------------------------------------------------------------


def tracking_poll_batch(*, account_id: int, tracking_ids: list[int]) -> dict:
    """Ask the carrier about one batch of one account's shipments and record what it says."""
    now = timezone.now()
    account = CarrierAccount.objects.filter(pk=account_id, is_active=True).first()
    if account is None:
        return {"polled": 0}
    trackings = list(
        ShipmentTracking.objects.filter(
            pk__in=tracking_ids, account_id=account_id, next_poll_at__isnull=False
        ).select_related("shipment")
    )
    stop, ask = [], []
    for tracking in trackings:
        shipment = tracking.shipment
        if shipment.state == ShipmentState.DELIVERED:
            tracking.stopped_reason = "delivered (recorded before the carrier said so)"
            stop.append(tracking)
        elif shipment.state == ShipmentState.VOIDED:
            tracking.stopped_reason = "the shipment was voided"
            stop.append(tracking)
        elif next_poll_after(shipped_at=shipment.created_at, now=now) is None:
            tracking.stopped_reason = f"no delivery after {settings.TRACKING_MAX_AGE_DAYS} days"
            stop.append(tracking)
        else:
            ask.append(tracking)
    for tracking in stop:
        tracking.next_poll_at = None
        tracking.updated_at = now

    # Numbers stored before the one rule (shipments/tracking_numbers.py) are asked about cleaned; one that
    # cannot be cleaned is not sent at all (it would fail the request of the whole batch) and says why.
    asked_as = {t.pk: tracking_number_tidy(t.shipment.tracking_number) for t in ask}
    unusable = {t.pk: problem for t in ask if (problem := tracking_number_problem(t.shipment.tracking_number))}
    found, errors, requests = _ask_carrier(account, sorted({asked_as[t.pk] for t in ask if t.pk not in unusable}))

    events: list[TrackingEvent] = []
    changes: list[tuple[ShipmentTracking, str, carriers.ParsedTracking]] = []
    moved: list[ShipmentTracking] = []  # the carrier gave another delivery date than before
    for tracking in ask:
        shipment = tracking.shipment
        parsed = found.get(asked_as[tracking.pk])
        tracking.last_polled_at = now
        tracking.polls += 1
        tracking.updated_at = now
        if tracking.pk in unusable:
            tracking.failures += 1
            tracking.last_error = tracking_number_message(shipment.tracking_number, unusable[tracking.pk])[:500]
            tracking.next_poll_at = None
            tracking.stopped_reason = "the tracking number cannot be sent to the carrier"
            continue
        if parsed is None:
            tracking.failures += 1
            tracking.last_error = errors.get(asked_as[tracking.pk], NO_ANSWER)[:500]
            tracking.next_poll_at = now + dt.timedelta(minutes=settings.TRACKING_POLL_MINUTES)
            continue
        tracking.failures = 0
        tracking.last_error = ""
        events.extend(
            TrackingEvent(
                tenant_id=tracking.tenant_id,
                shipment_id=shipment.pk,
                occurred_at=e.occurred_at,
                state=e.state,
                code=e.code,
                description=e.description,
                location=e.location,
                fingerprint=e.fingerprint,
                created_at=now,
            )
            for e in parsed.events
        )
        if parsed.estimated_delivery is not None and parsed.estimated_delivery != tracking.estimated_delivery:
            # A new date while the parcel travels (or is held up); not once it is out for delivery or done.
            if tracking.estimated_delivery is not None and parsed.state not in MOVED_NOT_SAID:
                moved.append(tracking)
            tracking.estimated_delivery = parsed.estimated_delivery
        before = tracking.state
        tracking.state = parsed.state
        tracking.status_text = parsed.status_text[:300]
        if parsed.state == TrackingState.DELIVERED:
            tracking.next_poll_at = None
            tracking.stopped_reason = "delivered"
        elif parsed.state == TrackingState.RETURNED:
            tracking.next_poll_at = None  # it will not be delivered: following it on would last forever
            tracking.stopped_reason = "returned to the sender"
        else:
            tracking.next_poll_at = next_poll_after(shipped_at=shipment.created_at, now=now)
            if tracking.next_poll_at is None:
                tracking.stopped_reason = f"no delivery after {settings.TRACKING_MAX_AGE_DAYS} days"
        if parsed.state != before and parsed.state in ACTED_ON:
            changes.append((tracking, before, parsed))
            if parsed.state == TrackingState.OUT_FOR_DELIVERY:
                tracking.out_for_delivery_at = now
            elif parsed.state == TrackingState.EXCEPTION:
                tracking.exception_at = now

    with transaction.atomic():
        if events:
            TrackingEvent.objects.bulk_create(events, ignore_conflicts=True)
        if trackings:
            ShipmentTracking.objects.bulk_update(
                trackings,
                [
                    "state",
                    "status_text",
                    "next_poll_at",
                    "last_polled_at",
                    "polls",
                    "failures",
                    "last_error",
                    "stopped_reason",
                    "exception_at",
                    "out_for_delivery_at",
                    "estimated_delivery",
                    "updated_at",
                ],
            )
    for tracking, before, parsed in changes:
        _state_changed(tracking=tracking, before=before, parsed=parsed, account=account)
    for tracking in moved:
        try:
            with transaction.atomic():
                shipment_estimated_delivery_notify(
                    shipment=tracking.shipment, estimated_delivery=tracking.estimated_delivery, actor="carrier tracking"
                )
        except ValidationError as exc:
            logger.warning("Tracking of shipment %s: %s", tracking.shipment_id, "; ".join(exc.messages))
    return {
        "polled": len(ask),
        "answered": sum(1 for t in ask if asked_as[t.pk] in found),
        "stopped": len(stop),
        "requests": requests,
        "changed": len(changes),
        "moved": len(moved),
    }


NO_ANSWER = "The carrier did not answer for this tracking number."


def _ask_carrier(
    account: CarrierAccount, numbers: list[str]
) -> tuple[dict[str, carriers.ParsedTracking], dict[str, str], int]:
    """({number: answer}, {number: why not}, requests made). Numbers the carrier did not answer for (5xx,
    429, timeout) are asked again within the same poll, after 0.1 s, 0.2 s, 0.4 s… A request the carrier
    refused as a whole (no answer for any number, and not for being busy) is split in two and each half
    asked on its own, down to single numbers: one number the carrier cannot take never holds back the
    others, and its own refusal is what its shipment shows."""
    found: dict[str, carriers.ParsedTracking] = {}
    errors: dict[str, str] = {}
    requests = 0
    missing = list(numbers)
    for attempt in range(ATTEMPTS_PER_POLL):
        if not missing:
            break
        if attempt:
            time.sleep(0.1 * 2 ** (attempt - 1))
        groups, again = [missing], []
        while groups:
            group = groups.pop(0)
            answer, error = carriers.track(account, group)
            requests += 1
            found.update(answer)
            left = [n for n in group if n not in answer]
            for number in left:
                errors[number] = error or NO_ANSWER
            if left and not answer and len(group) > 1 and error and not carriers.is_transient(error):
                half = len(group) // 2
                groups += [group[:half], group[half:]]
            elif left and (not error or carriers.is_transient(error) or len(group) > 1):
                again += left
        missing = again
    return found, errors, requests


def _state_changed(
    *, tracking: ShipmentTracking, before: str, parsed: carriers.ParsedTracking, account: CarrierAccount
) -> None:
    """Act on a new tracking state, each in its own transaction (one shipment's trouble stops no other)."""
    shipment = tracking.shipment
    carrier = account.get_carrier_display()
    try:
        with transaction.atomic():
            if parsed.state == TrackingState.DELIVERED:
                when = next((e.occurred_at for e in parsed.events if e.state == TrackingState.DELIVERED), None)
                if when is not None:
                    when = min(when, timezone.now())  # a carrier clock ahead of ours never delivers in the future
                shipment_mark_delivered(shipment=shipment, delivered_at=when, actor=f"{carrier} tracking")
            elif parsed.state == TrackingState.OUT_FOR_DELIVERY:
                shipment_out_for_delivery_notify(shipment=shipment, actor=f"{carrier} tracking")
                order_event_add(
                    order=shipment.order,
                    actor=f"{carrier} tracking",
                    **event("shipment_out_for_delivery", shipment_id=shipment.pk, carrier=shipment.carrier),
                    data={"shipment_id": shipment.pk},
                )
                webhook_emit_object(obj=shipment, tenant=shipment.tenant_id, event="shipment.out_for_delivery")
            elif parsed.state in (TrackingState.EXCEPTION, TrackingState.RETURNED):
                description = parsed.status_text or "no detail given"
                returned = parsed.state == TrackingState.RETURNED
                order_event_add(
                    order=shipment.order,
                    actor=f"{carrier} tracking",
                    **event(
                        "shipment_returned" if returned else "shipment_exception",
                        shipment_id=shipment.pk,
                        carrier=shipment.carrier,
                        description=description,
                    ),
                    data={"shipment_id": shipment.pk},
                )
                order_attention_flag(
                    order=shipment.order,
                    actor=f"{carrier} tracking",
                    reason=f"{carrier} is returning shipment {shipment.pk} to the sender: {description}"
                    if returned
                    else f"{carrier} exception on shipment {shipment.pk}: {description}",
                )
                # A return is an exception to webhook subscribers (the payload's shipment says which).
                webhook_emit_object(obj=shipment, tenant=shipment.tenant_id, event="shipment.exception")
    except ValidationError as exc:
        logger.warning("Tracking of shipment %s: %s", shipment.pk, "; ".join(exc.messages))


# --- the public tracking page's lookups (docs/tracking-page.md#limits) -----------------------------------


def lookup_key(client_address: str) -> str:
    """The limiter's key of a client address (config.client_ip): its SHA-256, so no address is stored."""
    return hashlib.sha256(f"tracking-lookup:{client_address}".encode()).hexdigest()


def lookup_failure_record(key: str) -> int:
    """Count one wrong lookup of this client; a window older than TRACKING_LOOKUP_WINDOW_MINUTES starts
    again. One row per client, changed in a locked read so two web processes never lose a count. Returns
    the count in the current window."""
    now = timezone.now()
    window = dt.timedelta(minutes=settings.TRACKING_LOOKUP_WINDOW_MINUTES)
    with transaction.atomic():
        row, created = LookupThrottle.objects.select_for_update().get_or_create(
            key=key, defaults={"failures": 1, "window_started_at": now}
        )
        if created:
            lookup_throttle_sweep()
            return 1
        if row.window_started_at <= now - window:
            row.failures, row.window_started_at = 1, now
        else:
            row.failures += 1
        row.save(update_fields=["failures", "window_started_at"])
        return row.failures


def lookup_throttle_sweep() -> int:
    """Forget the limiter's rows whose window ended (each time a new client's row is made: a handful of rows)."""
    since = timezone.now() - dt.timedelta(minutes=settings.TRACKING_LOOKUP_WINDOW_MINUTES)
    return LookupThrottle.objects.filter(window_started_at__lte=since).delete()[0]
