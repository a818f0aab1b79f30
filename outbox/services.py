"""The outbox: work that must leave the database (store updates, buyer e-mails, webhooks) without ever
being lost.

Pipeline::

    service, inside its own transaction
      └─ outbox_enqueue()            writes an OutboxMessage (pending) beside the rows that caused it
    or, for many rows written at once (an import page's webhooks)
      └─ outbox_enqueue_many()       one INSERT for all the rows, one on_state call for all of them
    on commit
      └─ outbox_kick()               queues the relay task on the outbox queue, unless one is waiting
                                     already (RelayKick): never a task per row
    relay task (outbox_relay_run), for OUTBOX_RELAY_BUDGET_SECONDS, round after round
      └─ outbox_relay()              one round: claims up to OUTBOX_RELAY_ROUND due rows round-robin
                                     across tenants' lanes (a store's updates, a tenant's e-mails…), at
                                     most OUTBOX_RELAY_PER_LANE of one lane (outbox.claim), and sends
                                     them; work left when the budget is spent: it kicks its successor
    every minute
      └─ outbox_relay_due()          the same relay: retries that fell due, and anything whose kick was lost
    relay, for each row
      1. claim: in a short transaction, lock due rows (select_for_update(skip_locked=True); on SQLite,
         which has no row locks, a conditional UPDATE … WHERE state = … AND attempts = … whose row
         count tells who won) and set state=sending, lease_until, leased_by, attempts+1; COMMIT.
      2. call the kind's handler (HTTP, SMTP) outside any transaction.
      3. record: sent (with the answer, never sent again), or back to pending with exponential
         back-off and jitter, or failed (a permanent error, or attempts exhausted).

Two relays never send the same row: the claim is committed before the handler runs, and a claimed row
is not due again until its lease expires.

**At-least-once, on purpose.** A relay killed after the store accepted a notice but before step 3
leaves the row in `sending`; when its lease expires another relay claims it and sends it again. We
accept that rather than risk losing a notice, because a repeat is harmless where it lands: the store
ignores an exact repeat of (order, tracking number, carrier) (docs/custom-store-v1.md#shipnotify-repeats, "design for
idempotency"), and buyer e-mails carry their own send record (shipments.emails) so a repeated row
finds the e-mail already sent. The lease (OUTBOX_LEASE_SECONDS) must outlast a handler's own timeout.

Handlers are registered per kind with `register_handler(kind)`, by the app that owns the kind, from its
AppConfig.ready (shipments: store updates and e-mails; webhooks: webhooks); a handler takes the message and
returns `(status_code, body)` or raises PermanentDeliveryError / TransientDeliveryError. The optional
`on_state` hook runs inside the transaction that records each state change (pending on enqueue and
retry, sent, failed, cancelled), so history and mirrors never disagree with the row. The optional
`on_state_many` hook does the same for the rows of one bulk enqueue at once (without it, `on_state`
runs once per row).

A round is claimed up front and then sent, so a round must be sent well inside OUTBOX_LEASE_SECONDS:
OUTBOX_RELAY_ROUND (50) rows of a few hundred milliseconds each. (outbox_deliver_batch, the task of
rows written before the relay, claims each row just before sending it.)

Settings (read with defaults): OUTBOX_MAX_ATTEMPTS (10), OUTBOX_BASE_DELAY_SECONDS (170: ten attempts
span about a day), OUTBOX_MAX_DELAY_SECONDS (12 h), OUTBOX_LEASE_SECONDS (300).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q as models_Q
from django.utils import timezone

from core import bulk, queues
from outbox.claim import _claim, _claim_fair
from stores.models import Tenant

from .models import OutboxMessage, OutboxState, RelayKick

logger = logging.getLogger(__name__)

RESPONSE_BODY_LIMIT = 2000


class DeliveryError(Exception):
    def __init__(self, message: str, *, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (the store refused the request, the credentials are wrong, …)."""


class TransientDeliveryError(DeliveryError):
    """Retrying later may help (the store is down, timed out, answered 5xx, …)."""


class DeferredDelivery(TransientDeliveryError):
    """Nothing was done and the other side said when to come back (a store's 429 with Retry-After): the row
    is sent again after `retry_after` seconds, without the back-off and without spending an attempt, at
    most MAX_DEFERRALS times (then it is a failed attempt like any other: a store that refuses for ever
    still ends in the normal failure path)."""

    def __init__(self, message: str, *, retry_after: float, status: int | None = None, body: str = "") -> None:
        super().__init__(message, status=status, body=body)
        self.retry_after = max(0.0, retry_after)


# Deferrals a row may have (DeferredDelivery) before a refusal counts as a failed attempt.
MAX_DEFERRALS = 30


Handler = Callable[[OutboxMessage], tuple[int, str]]
StateHook = Callable[[OutboxMessage], None]
StatesHook = Callable[[list[OutboxMessage]], None]

# outbox_deliver_batch (the task of rows written before the relay) stops after BATCH_BUDGET_SECONDS and
# leaves the rest to the relay.
BATCH_BUDGET_SECONDS = 20.0
RELAY_TASK = "outbox.tasks.outbox_relay_task"


@dataclass(frozen=True)
class _Registered:
    send: Handler
    on_state: StateHook | None
    on_state_many: StatesHook | None = None


_HANDLERS: dict[str, _Registered] = {}


def register_handler(kind: str, *, on_state: StateHook | None = None, on_state_many: StatesHook | None = None):
    """Decorator: `handler(message) -> (status, body)` delivers messages of `kind`."""

    def decorator(fn: Handler) -> Handler:
        _HANDLERS[kind] = _Registered(send=fn, on_state=on_state, on_state_many=on_state_many)
        return fn

    return decorator


def _handler(kind: str) -> _Registered | None:
    return _HANDLERS.get(kind)


def _fire(message: OutboxMessage) -> None:
    registered = _handler(message.kind)
    if registered and registered.on_state:
        registered.on_state(message)


# --- settings -----------------------------------------------------------------------------------


def _max_attempts() -> int:
    return settings.OUTBOX_MAX_ATTEMPTS


def retry_delay(attempt: int) -> timedelta:
    """Back-off after the `attempt`-th failed attempt: base·2^(attempt-1), ±25 % jitter, capped."""
    base = settings.OUTBOX_BASE_DELAY_SECONDS
    cap = settings.OUTBOX_MAX_DELAY_SECONDS
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    # Jitter spreads a burst of failures (a store that was down for everyone) over time.
    return timedelta(seconds=delay * random.uniform(0.75, 1.25))


def default_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


# --- enqueue ------------------------------------------------------------------------------------


def outbox_enqueue(
    *,
    tenant: Tenant,
    kind: str,
    payload: dict,
    ref: str = "",
    dedupe_key: str | None = None,
    max_attempts: int | None = None,
    lane: str = "",
) -> OutboxMessage:
    """Write a message in the caller's transaction; the relay is kicked once that commits.

    `ref` names what the message is about ("shipment:123"), for the queries that look for it. A message
    with the same `dedupe_key` is returned instead of a second one. `lane`: what the message waits in line
    with, within its tenant (a store's updates: "store:<id>"; blank: its kind), see outbox.claim.
    """
    if dedupe_key:
        existing = OutboxMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                tenant=tenant,
                kind=kind,
                payload=payload,
                ref=ref,
                dedupe_key=dedupe_key,
                max_attempts=max_attempts or _max_attempts(),
                lane=(lane or kind)[:50],
            )
    except IntegrityError:
        if dedupe_key:
            return OutboxMessage.objects.get(dedupe_key=dedupe_key)
        raise
    _fire(message)
    transaction.on_commit(partial(_schedule, message.pk))
    return message


def _schedule(message_id: int) -> None:
    """On commit of a message's transaction: see that a relay will send it."""
    outbox_kick()


def _kick_stale_after() -> timedelta:
    # A relay task waiting longer than this (behind relays spending their whole budget, or lost with its
    # broker) no longer stops the next kick.
    return timedelta(seconds=2 * settings.OUTBOX_RELAY_BUDGET_SECONDS + 30)


def outbox_kick() -> bool:
    """Queue a relay task on the outbox queue unless one is waiting already; returns whether it queued one.

    One conditional UPDATE of the RelayKick row decides, so a batch of 200 shipments queues one relay, not
    200 tasks. The task clears the row when it starts (outbox_relay_run): rows written while it runs kick
    the next one."""
    now = timezone.now()
    waiting = models_Q(kicked_at__isnull=True) | models_Q(kicked_at__lt=now - _kick_stale_after())
    if not RelayKick.objects.filter(pk=1).filter(waiting).update(kicked_at=now):
        if RelayKick.objects.filter(pk=1).exists():
            return False
        try:
            with transaction.atomic():
                RelayKick.objects.create(pk=1, kicked_at=now)
        except IntegrityError:
            return False  # another process created it (and kicked) at this moment
    if not _queue_task(RELAY_TASK):
        RelayKick.objects.filter(pk=1, kicked_at=now).update(kicked_at=None)
        logger.error("Could not queue the outbox relay; the every-minute sweep will send the rows")
        return False
    return True


def _queue_task(func: str, *args) -> bool:
    try:
        # In an atomic block: django-q2's ORM broker, called in autocommit mode (where on_commit callbacks
        # run), first closes the connection unless CONN_MAX_AGE keeps it, so each task would cost the
        # caller a new connection and its session settings (an import walk's synchronous_commit).
        with transaction.atomic():
            queues.enqueue(queues.OUTBOX, func, *args, group="outbox")
    except Exception:
        # The broker being unavailable loses nothing: the every-minute sweep finds the rows.
        logger.exception("Could not queue %s", func)
        return False
    return True


def outbox_enqueue_many(
    *,
    tenant: Tenant | int,
    kind: str,
    payloads: list[dict],
    dedupe_keys: list[str],
    max_attempts: int | None = None,
    mirrored: bool = False,
    returning: bool = True,
    lane: str = "",
) -> list[OutboxMessage] | None:
    """outbox_enqueue for many messages of one kind: one INSERT, whatever their number (on PostgreSQL
    the rows travel as one JSON parameter, see core.bulk).

    Same rules as outbox_enqueue: written in the caller's transaction, the relay kicked once it commits,
    and a message whose `dedupe_key` exists already is returned instead
    of a second one. Every message needs its key here (it is how the INSERT's ids come back). Returns
    the messages in the order of `payloads`.

    `mirrored`: the caller has just written, in this transaction, what the kind's state hooks would
    write for the new pending rows (the webhooks' deliveries, written pending a moment before): the
    hooks are not called for them, a query saved per call. With `returning=False` as well, no message
    instance is built at all (None is returned): an import page's deliveries need only their rows.
    """
    if len(dedupe_keys) != len(payloads) or not all(dedupe_keys):
        raise ValueError("Give each payload its dedupe key.")
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    now = timezone.now()
    attempts = max_attempts or _max_attempts()
    rows: dict[str, dict] = {}
    for payload, key in zip(payloads, dedupe_keys, strict=True):
        if key not in rows:  # a key given twice: the first payload, as one by one
            rows[key] = {
                "tenant_id": tenant_id,
                "kind": kind,
                "ref": "",
                "payload": payload,
                "dedupe_key": key,
                "max_attempts": attempts,
                "lane": (lane or kind)[:50],
                "created_at": now,
                "updated_at": now,
                "next_attempt_at": now,
            }
    # ON CONFLICT DO NOTHING: a key that exists (or that a concurrent transaction is writing: PostgreSQL
    # waits for it) comes back without an id, and that message is read and returned instead.
    ids = bulk.write(bulk.Rows(OutboxMessage, list(rows.values()), unique=("dedupe_key",), key="dedupe_key"))
    pks = [ids[key] for key in rows if key in ids]
    if pks:
        transaction.on_commit(partial(_schedule_batch, pks))
    if mirrored and not returning:
        return None
    new = {key: OutboxMessage(pk=ids[key], **row) for key, row in rows.items() if key in ids}
    for message in new.values():
        message._state.adding = False
    if not mirrored:
        _fire_many(kind, list(new.values()))
    if not returning:
        return None
    existing = [key for key in rows if key not in ids]
    found = {m.dedupe_key: m for m in OutboxMessage.objects.filter(dedupe_key__in=existing)} if existing else {}
    return [found.get(key) or new[key] for key in dedupe_keys]


def _fire_many(kind: str, messages: list[OutboxMessage]) -> None:
    registered = _handler(kind)
    if not messages or registered is None:
        return
    if registered.on_state_many:
        registered.on_state_many(messages)
    elif registered.on_state:
        for message in messages:
            registered.on_state(message)


def _schedule_batch(message_ids: list[int]) -> None:
    """On commit of many messages written at once: one kick for them all."""
    outbox_kick()


# --- claim, deliver, record ---------------------------------------------------------------------


def _deliver(message_id: int, *, worker: str) -> str:
    message = OutboxMessage.objects.select_related("tenant").get(pk=message_id)
    registered = _handler(message.kind)
    if registered is None:
        return _record_failure(
            message, worker=worker, error=f"No handler for outbox kind {message.kind!r}.", permanent=True
        )
    try:
        status, body = registered.send(message)
    except DeferredDelivery as exc:
        return _record_failure(
            message, worker=worker, error=exc.message, permanent=False, status=exc.status, defer=exc.retry_after
        )
    except PermanentDeliveryError as exc:
        return _record_failure(
            message, worker=worker, error=exc.message, permanent=True, status=exc.status, body=exc.body
        )
    except TransientDeliveryError as exc:
        return _record_failure(
            message, worker=worker, error=exc.message, permanent=False, status=exc.status, body=exc.body
        )
    except Exception as exc:
        # A bug or an unexpected library error: keep the row and retry, with the error visible.
        logger.exception("Outbox handler for %s %s crashed", message.kind, message.pk)
        return _record_failure(message, worker=worker, error=f"{type(exc).__name__}: {exc}", permanent=False)
    return _record_success(message, status=status, body=body)


def _record_success(message: OutboxMessage, *, status: int, body: str) -> str:
    now = timezone.now()
    with transaction.atomic():
        # Any relay that delivered may record it (its lease may have been taken over meanwhile); the
        # state filter makes the second recording a no-op, so hooks run once.
        recorded = OutboxMessage.objects.filter(pk=message.pk, state=OutboxState.SENDING).update(
            state=OutboxState.SENT,
            response_status=status,
            response_body=(body or "")[:RESPONSE_BODY_LIMIT],
            sent_at=now,
            lease_until=None,
            last_error="",
            updated_at=now,
        )
        if recorded:
            message.refresh_from_db()
            _fire(message)
    logger.info("Outbox %s %s sent (%s)", message.kind, message.pk, status)
    return OutboxState.SENT


def _record_failure(
    message: OutboxMessage,
    *,
    worker: str,
    error: str,
    permanent: bool,
    status: int | None = None,
    body: str = "",
    defer: float | None = None,
) -> str:
    """`defer`: seconds the other side asked us to wait (DeferredDelivery): the row waits that long, its
    attempt given back, while it has deferrals left."""
    now = timezone.now()
    message.refresh_from_db(fields=["attempts", "max_attempts", "deferrals"])
    deferred = defer is not None and not permanent and message.deferrals < MAX_DEFERRALS
    exhausted = message.attempts >= message.max_attempts and not deferred
    state = OutboxState.FAILED if (permanent or exhausted) else OutboxState.PENDING
    next_attempt_at = now + retry_delay(message.attempts) if state == OutboxState.PENDING else now
    changes = {}
    if deferred:
        next_attempt_at = now + timedelta(seconds=defer)
        changes = {"attempts": models.F("attempts") - 1, "deferrals": models.F("deferrals") + 1}
    if exhausted and not permanent:
        error = f"{error} (gave up after {message.attempts} attempts)"
    with transaction.atomic():
        # Only the relay holding the lease records a failure: never overwrite a row another relay has
        # since sent or claimed.
        mine = OutboxMessage.objects.filter(pk=message.pk, state=OutboxState.SENDING, leased_by=worker[:100])
        recorded = mine.update(
            **changes,
            state=state,
            next_attempt_at=next_attempt_at,
            lease_until=None,
            last_error=error[:4000],
            response_status=status,
            response_body=(body or "")[:RESPONSE_BODY_LIMIT],
            updated_at=now,
        )
        if recorded:
            message.refresh_from_db()
            _fire(message)
    logger.warning("Outbox %s %s attempt %s failed (%s): %s", message.kind, message.pk, message.attempts, state, error)
    return state


def outbox_relay(
    *,
    limit: int = 50,
    worker: str | None = None,
    now: datetime | None = None,
    kinds: list[str] | None = None,
    per_lane: int | None = None,
) -> int:
    """One round: claim up to `limit` due messages, round-robin across tenants' lanes with at most
    `per_lane` of one lane (no cap: None), and deliver them; returns how many were attempted."""
    worker = worker or default_worker()
    queryset = OutboxMessage.objects.all()
    if kinds:
        queryset = queryset.filter(kind__in=kinds)
    claimed = _claim_fair(queryset, limit=limit, per_lane=per_lane or limit, worker=worker, now=now or timezone.now())
    for message_id in claimed:
        _deliver(message_id, worker=worker)
    return len(claimed)


def outbox_relay_run(*, budget_seconds: float | None = None) -> dict[str, int]:
    """The relay task's body: rounds of OUTBOX_RELAY_ROUND rows (OUTBOX_RELAY_PER_LANE per lane) until
    nothing is due or the budget is spent; then, if rows may be left, kick the next relay task (it waits
    its turn behind the other tasks of the outbox queue). Returns {"sent": attempted, "rounds": n}."""
    # Cleared first: a row written from now on kicks a successor, which finds it if this relay does not.
    RelayKick.objects.filter(pk=1).exclude(kicked_at=None).update(kicked_at=None)
    budget = settings.OUTBOX_RELAY_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    limit, per_lane = settings.OUTBOX_RELAY_ROUND, settings.OUTBOX_RELAY_PER_LANE
    worker = default_worker()
    started = time.monotonic()
    total = rounds = done = 0
    while True:  # one round at least, more while the budget lasts
        done = outbox_relay(limit=limit, per_lane=per_lane, worker=worker)
        total += done
        rounds += 1
        if not done or time.monotonic() - started >= budget:
            break
    if done:
        outbox_kick()
    return {"sent": total, "rounds": rounds}


def outbox_relay_due(*, budget_seconds: float = 50.0) -> int:
    """The every-minute sweep: the relay itself, with a longer budget; returns how many were attempted."""
    return outbox_relay_run(budget_seconds=budget_seconds)["sent"]


def outbox_deliver_one(message_id: int, *, worker: str | None = None, now: datetime | None = None) -> str | None:
    """Deliver one message if it is due and nobody else holds it; returns its new state, or None."""
    worker = worker or default_worker()
    claimed = _claim(OutboxMessage.objects.filter(pk=message_id), limit=1, worker=worker, now=now or timezone.now())
    if not claimed:
        return None
    return _deliver(message_id, worker=worker)


def outbox_deliver_batch(
    message_ids: list[int], *, worker: str | None = None, budget_seconds: float = BATCH_BUDGET_SECONDS
) -> dict[str, int]:
    """Deliver the messages of one batch task, each claimed just before it is sent (see the module's
    docstring); a message not due or held by another relay is passed over. Stops when the budget is
    spent: the messages left are still pending and due, and the every-minute sweep sends them.
    Returns {new state: count}, with "skipped" for the messages passed over or left."""
    worker = worker or default_worker()
    started = time.monotonic()
    counts: dict[str, int] = {}
    for position, message_id in enumerate(message_ids):
        if time.monotonic() - started >= budget_seconds:
            counts["skipped"] = counts.get("skipped", 0) + len(message_ids) - position
            break
        state = outbox_deliver_one(message_id, worker=worker) or "skipped"
        counts[state] = counts.get(state, 0) + 1
    return counts


# --- operator actions ---------------------------------------------------------------------------


def outbox_retry_now(*, message: OutboxMessage, deliver: bool = True) -> OutboxMessage:
    """Give a failed (or waiting) message a fresh set of attempts and, by default, send it at once."""
    now = timezone.now()
    with transaction.atomic():
        reset = OutboxMessage.objects.filter(pk=message.pk, state__in=[OutboxState.FAILED, OutboxState.PENDING]).update(
            state=OutboxState.PENDING,
            attempts=0,
            deferrals=0,
            next_attempt_at=now,
            lease_until=None,
            leased_by="",
            updated_at=now,
        )
        if not reset:
            message.refresh_from_db()
            raise ValidationError(
                f"This message is {message.get_state_display().lower()}; only a failed or "
                "waiting message can be retried."
            )
        message.refresh_from_db()
        _fire(message)
    if deliver:
        outbox_deliver_one(message.pk, worker=f"retry-now:{default_worker()}")
        message.refresh_from_db()
    return message


def outbox_cancel(*, message: OutboxMessage, reason: str = "") -> bool:
    """Cancel a message that has not been handed to a relay yet; returns whether it was cancelled."""
    now = timezone.now()
    with transaction.atomic():
        cancelled = OutboxMessage.objects.filter(pk=message.pk, state=OutboxState.PENDING).update(
            state=OutboxState.CANCELLED, last_error=reason[:4000], updated_at=now
        )
        if cancelled:
            message.refresh_from_db()
            _fire(message)
    return bool(cancelled)
