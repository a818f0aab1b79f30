"""Real time on the REST road: writes for a store's webhooks (docs/realtime.md).

    hook_receive(token, body)   the receiver's work: find the store by the token's hash, read the order id
                                and its updated_at and nothing else, queue one targeted fetch per order (a pending row,
                                unique per store and order: a burst of events coalesces), count; at most
                                HOOKS_MAX_PENDING_PER_STORE waiting, beyond which only likely orders are
                                queued (see "Floods" below)
    hooks_fetch(store_id)       the targeted fetch: claim the store's import claim, take its pending rows,
                                fetch each order from the store's API (connector.fetch_order) and write
                                them through the ordinary page import (orders.importing.targeted). An
                                order whose answer cannot be read is counted and left to the schedule;
                                a store that cannot be reached ends the task with its rows put back,
                                for the sweep's next try (so a store down costs one request a minute)
    hooks_subscribe(store_id)   subscribe the store's order events to its receiver URL (a new token)
    hooks_unsubscribe(...)      remove the subscriptions of a revoked token (a store that left real time,
                                changed its address, or was deleted)
    hooks_unsubscribe_queue(...) keep what that needs in a PendingUnsubscribe row (the site's encrypted
                                credentials) and queue its task with the row's id only, saving nothing
                                of the task in django-q's tables (hooks.realtime, which revokes a token);
                                hooks_unsubscribe_pending(id) runs it
    hooks_sweep()               every minute: fetches whose task was lost or put off (the store was busy),
                                and stores that should have webhooks but have none yet (retries)

What a platform's webhooks are (its events, its subscribe and unsubscribe calls, which order an event names,
its receiver path) this module asks the connector registry (`registry.realtime_of(store)`): it names no
platform. The vendor does not sign webhooks (docs/americommerce-rest.md#webhooks): the URL's token is the only
proof, so a call is believed about nothing but which order to look at, and that order is read from the
store's own API with the store's own credentials.

Floods: whoever holds a receiver URL can name any order id, and each costs a call of the store's API
budget. So: (1) a store has at most HOOKS_MAX_PENDING_PER_STORE orders waiting; an event beyond it is
left to the schedule (counted as dropped) unless it names a *likely* order: one Outbound holds (or
skipped), or an id just above the newest orders it imported (a new order: the store numbers them in
sequence). (2) A fetch takes likely orders first (oldest first), then the others newest first, so real
events are fetched before a flood's backlog. (3) After NOT_FOUND_RUN not-found answers in a row (kept per store
across fetches, ended by a fetch that imports something), unlikely orders are no longer fetched but left
to the schedule, and after twice as many only orders Outbound holds are fetched. A flood of forged ids
therefore costs the store at most NOT_FOUND_RUN calls for unlikely ids and NOT_FOUND_RUN more for likely
new ones, until a real change is imported; the scheduled check imports every real order anyway.

Echoes (issue 26): our own write of a shipment (the REST write-back: the shipment, then the order's status)
makes the store send its order events for that order, which would cost a fetch of an order we just wrote. The
write-back keeps the order's updated_at the store answered it with (Shipment.store_order_updated_at); a
waiting order whose newest event is dated no later than that, or no later than the store's date of the order
as Outbound last read it (`Order.modified_at`: an event that came before a fetch of the order ended and is
answered by it), is an echo: its row goes without a fetch (counted, events_echoed). While a shipment of the
order is being written (its store update in `sending`), the order's rows wait (the sweep comes back for them),
since the store's answer, and so the date to compare with, is not known yet. An event with no date is always
fetched. A change the merchant makes in the same second as our write (the store dates to the second) is taken
for an echo: the scheduled check imports it. A forged event could at worst save the store a fetch of an order
we just wrote.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import time
from collections import Counter

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from core import queues
from orders.importing.run import ImportAborted
from orders.importing.targeted import claim_store_for_fetch, import_fetched, release_store_for_fetch
from orders.models import Order, SkippedOrder
from outbox.models import OutboxMessage, OutboxState
from shipments.models import OutboxKind, Shipment, shipment_ref
from stores.connector import registry
from stores.connector.errors import (
    NotAnEndpoint,
    StoreAuthError,
    StoreError,
    StorePermissionError,
    StoreUnreachable,
    StoreURLRefused,
)
from stores.models import Store

from .models import HookCounter, HookStats, PendingFetch, PendingUnsubscribe, StoreRealtime, realtime_of
from .realtime import (
    SUBSCRIBE_TASK,
    UNSUBSCRIBE_TASK,
    enqueue_hooks_task,
    has_realtime,
    hooks_unsubscribe_queue,
    realtime_row_ensure,
    realtime_wanted,
    site_from_row,
)

log = logging.getLogger(__name__)

RECEIVER_ROOT = "/hooks/"  # config.urls mounts the receivers there: /hooks/<platform's receiver>/<token>/
FETCH_TASK = "hooks.tasks.hooks_fetch_task"
FETCH_BATCH = 50  # orders taken per round of a fetch task
FETCH_ROUNDS = 20  # rounds per task; what is left waits for the sweep
FETCH_BUDGET_SECONDS = 120.0  # nor more rounds after this long (far inside Q_TIMEOUT): the sweep goes on
# Failures of the store itself, not of one order: the rest of the batch would fail the same way.
STORE_FAILURES = (StoreUnreachable, StoreAuthError, StorePermissionError, StoreURLRefused, NotAnEndpoint)
# What one order's answer may raise when it cannot be read: that order is counted and left to the schedule.
ORDER_FAILURES = (StoreError, ValueError, TypeError, KeyError, AttributeError)
# How long a fetch task waits, polling, for a running import to free the store (with a worker; an
# everyday run holds it for seconds), before leaving its rows to the minute sweep.
BUSY_WAIT_SECONDS = 15.0
BUSY_POLL_SECONDS = 0.25
SWEEP_AFTER = dt.timedelta(seconds=30)  # a pending row this old has lost its task (or was put off)
# Floods (see the module's docstring): not-found answers in a row before unlikely ids are left to the
# schedule; how far above the newest imported order id a new order's id is likely; how many of the
# store's newest orders say where that is.
NOT_FOUND_RUN = 10
NEW_ORDER_SPAN = 1000
NEWEST_ORDERS = 50
RESUBSCRIBE_EVERY = dt.timedelta(minutes=10)
# Stored on the store (English, like every worker's message); the store page words them.
SCOPE_MISSING = "Real time needs the 'system' scope; the schedule still imports."
NO_STOREFRONT = "The store lists no storefront to subscribe to; the schedule still imports."

QUEUED, COALESCED, MALFORMED, UNKNOWN, DROPPED = "queued", "coalesced", "malformed", "unknown", "dropped"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _receiver_prefix(realtime: registry.RealTime) -> str:
    return f"{RECEIVER_ROOT}{realtime.receiver}/"


def receiver_url(token: str, realtime: registry.RealTime) -> str:
    """The URL a platform's webhooks call for the store holding `token`."""
    return f"{settings.PUBLIC_BASE_URL}{_receiver_prefix(realtime)}{token}/"


def _url_token_hash(url: str, realtime: registry.RealTime) -> str:
    """The hash of the token in one of Outbound's receiver URLs (any base), or ""."""
    _, found, rest = url.partition(_receiver_prefix(realtime))
    token = rest.strip("/").split("/")[0] if found else ""
    return token_hash(token) if token else ""


# --- the receiver --------------------------------------------------------------------------------------


def _stats_update(store_id: int, *, where: dict | None = None, **changes) -> None:
    """Update the store's counters row (made on first use): one UPDATE once the row exists."""
    rows = HookStats.objects.filter(store_id=store_id, **(where or {}))
    if not rows.update(**changes) and not HookStats.objects.filter(store_id=store_id).exists():
        HookStats.objects.get_or_create(store_id=store_id)
        rows.update(**changes)


def _bump(store_id: int, **counts) -> None:
    changes = {name: F(name) + n for name, n in counts.items() if n}
    _stats_update(store_id, last_event_at=timezone.now(), **changes)


def _count_unknown() -> None:
    now = timezone.now()
    name = HookCounter.UNKNOWN_TOKEN
    if not HookCounter.objects.filter(name=name).update(count=F("count") + 1, last_at=now):
        HookCounter.objects.get_or_create(name=name)
        HookCounter.objects.filter(name=name).update(count=F("count") + 1, last_at=now)


def enqueue_fetch(store_id: int) -> None:
    queues.enqueue(queues.IMPORTS, FETCH_TASK, store_id, group="hooks", task_name=f"hooks-fetch-{store_id}")


def hook_receive(token: str, body: bytes, *, enqueue=None) -> str:
    """Record one webhook call; returns its outcome (UNKNOWN: answer 404; anything else: 200).

    A few queries and no store request: the store by its token's hash, the pending row, the counters."""
    found = (
        list(
            StoreRealtime.objects.filter(token_hash=token_hash(token), store__is_active=True)
            .order_by()
            .values_list("store_id", "store__platform")[:1]
        )
        if token and len(token) <= 200
        else []
    )
    realtime = registry.realtime_of(Store(platform=found[0][1])) if found else None
    if realtime is None:
        _count_unknown()
        return UNKNOWN
    store_id = found[0][0]
    order_id = realtime.event_order_id(body)
    updated_at = realtime.event_order_updated_at(body) if order_id is not None else None
    if order_id is None:
        _bump(store_id, events_received=1, events_malformed=1)
        return MALFORMED
    waiting = PendingFetch.objects.filter(store_id=store_id).count()
    if waiting >= settings.HOOKS_MAX_PENDING_PER_STORE and not any(_likely(store_id, [order_id])):
        _bump(store_id, events_received=1, events_dropped=1)  # a flood: the schedule imports a real one
        return DROPPED
    try:
        with transaction.atomic():
            PendingFetch.objects.create(store_id=store_id, order_id=order_id, updated_at=updated_at)
            _bump(store_id, events_received=1)  # counted before the fetch can start
            # One task per store, not per order: a row already waiting has its task (queued, or running and
            # about to take this row in its next round), or the sweep's. Each event counts before it
            # writes: of two events side by side, the later one may see the other's row, never both see
            # each other's, so one task at least is queued.
            if not waiting:
                transaction.on_commit(lambda: (enqueue or enqueue_fetch)(store_id))
    except IntegrityError:  # already waiting for its fetch: this event changes nothing more but its date
        waiting_row = PendingFetch.objects.filter(store_id=store_id, order_id=order_id)
        if updated_at is None:
            waiting_row.update(updated_at=None)
        else:
            waiting_row.filter(updated_at__lt=updated_at).update(updated_at=updated_at)
        _bump(store_id, events_received=1, events_coalesced=1)
        return COALESCED
    return QUEUED


# --- the targeted fetch --------------------------------------------------------------------------------


def _likely(store_id: int, order_ids: list[int]) -> tuple[set[int], set[int]]:
    """(held, new): the ids of orders Outbound holds or skipped, and the ids just above the newest orders
    it imported (NEW_ORDER_SPAN), which a new order's id is. Two or three indexed queries."""
    wanted = {str(i): i for i in order_ids}
    held = set(Order.objects.filter(store_id=store_id, external_id__in=wanted).values_list("external_id", flat=True))
    rest = [x for x in wanted if x not in held]
    if rest:
        held |= set(
            SkippedOrder.objects.filter(store_id=store_id, external_id__in=rest).values_list("external_id", flat=True)
        )
    newest = Order.objects.filter(store_id=store_id).order_by("-pk").values_list("external_id", flat=True)
    top = max((int(x) for x in newest[:NEWEST_ORDERS] if x.isdigit()), default=None)
    known = {wanted[x] for x in held}
    new = {i for i in order_ids if i not in known and top is not None and top < i <= top + NEW_ORDER_SPAN}
    return known, new


def _fetchable(run: int, known: set[int], new: set[int]):
    """Which ids a fetch still asks the store for after `run` not-found answers in a row."""
    if run >= 2 * NOT_FOUND_RUN:
        return lambda order_id: order_id in known
    if run >= NOT_FOUND_RUN:
        return lambda order_id: order_id in known or order_id in new
    return lambda order_id: True


def _take(store_id: int, *, run: int = 0) -> tuple[list[int], set[int], set[int], int]:
    """Take up to FETCH_BATCH pending orders, likely ones first (see "Floods"), then the newest others,
    deleting their rows first: an event arriving during the fetch queues the order again (one more fetch)
    instead of being swallowed by a row about to go. After a run of not-found answers, the rows it would
    not fetch go too (left to the schedule). Returns (order ids, the held ones, the likely new ones, rows
    dropped)."""
    with transaction.atomic():
        dated = list(
            PendingFetch.objects.filter(store_id=store_id)
            .order_by("-received_at", "-pk")
            .values_list("pk", "order_id", "updated_at")[: settings.HOOKS_MAX_PENDING_PER_STORE + FETCH_BATCH]
        )
        echoes, in_flight = _echoes(store_id, dated)
        if echoes:
            PendingFetch.objects.filter(pk__in=echoes).delete()
            _stats_update(store_id, events_echoed=F("events_echoed") + len(echoes))
        rows = [(pk, order_id) for pk, order_id, _ in dated if pk not in echoes and order_id not in in_flight]
        known, new = _likely(store_id, [order_id for _, order_id in rows])
        fetchable = _fetchable(run, known, new)
        dropped = [pk for pk, order_id in rows if not fetchable(order_id)]
        rows = [row for row in rows if fetchable(row[1])]
        # Likely orders first, oldest first (every event in turn); then a flood's backlog, newest first.
        likely = [row for row in reversed(rows) if row[1] in known or row[1] in new]
        rows = (likely + [row for row in rows if row[1] not in known and row[1] not in new])[:FETCH_BATCH]
        PendingFetch.objects.filter(pk__in=[pk for pk, _ in rows] + dropped).delete()
    return [order_id for _, order_id in rows], known, new, len(dropped)


def _echoes(store_id: int, rows: list[tuple[int, int, dt.datetime | None]]) -> tuple[set[int], set[int]]:
    """Of waiting (pk, order id, updated_at) rows: (the rows that only echo what Outbound already holds — our
    own write of a shipment, or an order fetched since the event was dated —, the orders whose shipment is
    being written to the store right now). See "Echoes" in the module's docstring. At most three indexed
    queries, one when no waiting event has a date."""
    external = {str(order_id) for _, order_id, at in rows if at is not None}
    if not external:
        return set(), set()
    # The newest store date Outbound holds for each order: the store's answer to our write of a shipment,
    # or the order as the last import or fetch read it (its `modified_at` is the store's own date).
    written: dict[int, dt.datetime] = {}

    def hold(order_id, at) -> None:
        if at is not None and (int(order_id) not in written or at > written[int(order_id)]):
            written[int(order_id)] = at

    for order_id, at in Order.objects.filter(store_id=store_id, external_id__in=external).values_list(
        "external_id", "modified_at"
    ):
        hold(order_id, at)
    shipments = list(
        Shipment.objects.filter(order__store_id=store_id, order__external_id__in=external).values_list(
            "pk", "order__external_id", "store_order_updated_at"
        )
    )
    for _, order_id, at in shipments:
        hold(order_id, at)
    in_flight: set[int] = set()
    if shipments:
        refs = [shipment_ref(pk) for pk, _, _ in shipments]
        sending = set(
            OutboxMessage.objects.filter(
                kind=OutboxKind.STORE_UPDATE, state=OutboxState.SENDING, ref__in=refs
            ).values_list("ref", flat=True)
        )
        in_flight = {int(order_id) for pk, order_id, _ in shipments if shipment_ref(pk) in sending}
    echoes = {
        pk
        for pk, order_id, at in rows
        if at is not None and order_id in written and at <= written[order_id] and order_id not in in_flight
    }
    return echoes, in_flight


def _put_back(store_id: int, order_ids: list[int]) -> None:
    """Orders a fetch could not finish wait for the sweep's next minute: dated SWEEP_AFTER back, so the sweep
    takes them at once and a waiting check batch (hooks_fetch_while_waiting) does not retry a failing
    store twice a second."""
    at = timezone.now() - SWEEP_AFTER
    PendingFetch.objects.bulk_create(
        [PendingFetch(store_id=store_id, order_id=i, received_at=at) for i in order_ids], ignore_conflicts=True
    )


def hooks_fetch_while_waiting(budget_seconds: float) -> bool:
    """Idle work of a waiting check batch (orders.importing.idle): the targeted fetch of the store whose
    fresh event waits longest, within the batch's time. True when it fetched something."""
    if budget_seconds < 1.0:
        return False
    store_id = (
        PendingFetch.objects.filter(
            received_at__gt=timezone.now() - SWEEP_AFTER, store__needs_reconnect=False, store__is_active=True
        )
        .order_by("received_at")
        .values_list("store_id", flat=True)
        .first()
    )
    if store_id is None:
        return False
    outcomes = hooks_fetch(store_id, budget=budget_seconds - 0.5)
    return bool(outcomes.get("fetched"))


def hooks_fetch(
    store_id: int,
    *,
    client=None,
    wait: bool = False,
    sleep=time.sleep,
    clock=time.monotonic,
    budget: float = FETCH_BUDGET_SECONDS,
) -> Counter:
    """Fetch and import the store's pending orders (for at most `budget` seconds). Returns the count of each
    outcome."""
    outcomes: Counter = Counter()
    store = Store.objects.with_secrets().select_related("tenant").filter(pk=store_id).first()
    if store is None:
        return outcomes
    if not (store.is_active and store.tenant.is_active and has_realtime(store)):
        outcomes["dropped"] = PendingFetch.objects.filter(store_id=store_id).delete()[0]
        return outcomes
    if store.needs_reconnect:  # its credentials are refused: the rows wait for the reconnect (and the sweep)
        outcomes["needs reconnect"] += 1
        return outcomes
    token = claim_store_for_fetch(store_id)
    for _ in range(int(BUSY_WAIT_SECONDS / BUSY_POLL_SECONDS) if wait else 0):
        if token is not None:
            break
        sleep(BUSY_POLL_SECONDS)
        token = claim_store_for_fetch(store_id)
    if token is None:  # an import holds the store: the rows stay, the sweep comes back for them
        outcomes["busy"] += 1
        return outcomes
    own_client = client is None
    started = clock()
    run = HookStats.objects.filter(store_id=store_id).values_list("not_found_run", flat=True).first() or 0
    try:
        client = client or registry.connector_for_store(store)
        for _round in range(FETCH_ROUNDS):
            if clock() - started > budget:
                break
            order_ids, known, new, dropped = _take(store_id, run=run)
            if dropped:
                outcomes["dropped"] += dropped
                _stats_update(store_id, events_dropped=F("events_dropped") + dropped)
            if not order_ids:
                break
            try:
                carry_on, run = _fetch_round(
                    store,
                    client,
                    order_ids,
                    token,
                    outcomes,
                    deadline=started + budget,
                    clock=clock,
                    run=run,
                    known=known,
                    new=new,
                )
            except BaseException:
                # A failure no one foresaw (a database error, the worker stopped): the taken rows go back
                # before the error goes on, so the sweep fetches them again.
                _put_back(store_id, order_ids)
                raise
            if not carry_on:
                break
    finally:
        release_store_for_fetch(store_id, token)
        if own_client and client is not None:
            client.close()
    return outcomes


def _fetch_round(
    store: Store,
    client,
    order_ids: list[int],
    token: int,
    outcomes: Counter,
    *,
    deadline: float,
    clock,
    run: int = 0,
    known: set[int] = frozenset(),
    new: set[int] = frozenset(),
) -> tuple[bool, int]:
    """Fetch and write one batch; (False when the task should stop (its unwritten orders are put back), the
    run of not-found answers after it). Orders a run of not-found answers makes unlikely are left to the
    schedule (dropped, counted)."""
    exports, missing, unreadable, left, dropped, since_found = [], 0, 0, [], 0, 0
    for index, order_id in enumerate(order_ids):
        if clock() > deadline:  # a slow store: the task ends well inside Q_TIMEOUT, the rest goes back
            left = order_ids[index:]
            break
        if not _fetchable(run, known, new)(order_id):
            dropped += 1
            continue
        try:
            export = client.fetch_order(str(order_id))
        except STORE_FAILURES as exc:
            # The store is down or refuses us: the rest would fail alike. What was fetched is written below.
            left = order_ids[index:]
            outcomes["failed"] += 1
            log.warning("Targeted fetch for store %s stopped: %s", store.pk, exc)
            break
        except ORDER_FAILURES:
            # One order's answer cannot be read: counted, and left to the schedule (which meets it in its
            # window and records it as it records any unreadable order); the others go on.
            log.exception("Targeted fetch for store %s: order %s could not be read", store.pk, order_id)
            unreadable += 1
            continue
        if export is None:
            missing += 1
            run += 1
            since_found += 1
        else:
            exports.append(export)
            since_found = 0
    try:
        result = import_fetched(store, exports, token)
    except ImportAborted as exc:  # another import took the store over: it or the sweep reads them again
        _put_back(store.pk, order_ids)
        log.warning("Targeted fetch for store %s stopped: %s", store.pk, exc)
        outcomes["failed"] += 1
        return False, run
    if left:
        _put_back(store.pk, left)
        outcomes["put back"] += len(left)
    imported = result.created + result.updated
    if imported:
        run = since_found  # a real change came in: the run counts from the last order found
    unchanged, skipped = result.unchanged, sum(result.skipped.values())
    done = len(order_ids) - len(left) - dropped
    if dropped:
        log.warning(
            "Targeted fetch for store %s: %s unlikely orders left to the schedule (a flood?)", store.pk, dropped
        )
    _stats_update(
        store.pk,
        orders_fetched=F("orders_fetched") + done,
        orders_imported=F("orders_imported") + imported,
        orders_unchanged=F("orders_unchanged") + unchanged,
        orders_skipped=F("orders_skipped") + skipped,
        orders_not_found=F("orders_not_found") + missing,
        orders_unreadable=F("orders_unreadable") + unreadable,
        events_dropped=F("events_dropped") + dropped,
        not_found_run=run,
        last_fetch_at=timezone.now(),
    )
    outcomes.update(
        fetched=done,
        imported=imported,
        unchanged=unchanged,
        skipped=skipped,
        not_found=missing,
        unreadable=unreadable,
        dropped=dropped,
    )
    return not left, run


# --- subscriptions -------------------------------------------------------------------------------------


def _set_message(store_id: int, message: str) -> None:
    realtime_row_ensure(store_id)
    StoreRealtime.objects.filter(store_id=store_id).update(message=message)


def hooks_subscribe(store_id: int, *, client=None) -> str:
    """Make sure the store's order events call its receiver URL; returns what was done.

    Outbound's subscriptions on the store are the ones whose URL carries the store's token: matched by
    the token, never by a remembered id (after a change of site an id may name someone else's webhook).
    When they cover every order event of every storefront, nothing is done. Otherwise, in this order:
      1. a new token's URL is subscribed (reusing any subscription already pointing at it), while the old
         token still works, so an event in between reaches one URL or the other;
      2. the store switches to the new token, only if it still wants real time and no other subscribe
         switched it meanwhile (else the new subscriptions are nobody's and are removed);
      3. the old token's subscriptions are removed.
    A failure before 2 leaves the store as it was (its old subscriptions, if any, still work), removes
    what step 1 made, and leaves a message the sweep retries on."""
    store = Store.objects.select_related("realtime").filter(pk=store_id).first()
    if store is None or not realtime_wanted(store) or not settings.PUBLIC_BASE_URL:
        return "not wanted"
    realtime_row_ensure(store_id)
    realtime = registry.realtime_of(store)
    own_client = client is None
    new_hash, switched = "", False
    try:
        client = client or realtime.connector(store)
        existing = realtime.list_subscriptions(client)
        current = realtime_of(store).token_hash
        live = [s for s in existing if current and _url_token_hash(s.url, realtime) == current]
        fronts = realtime.storefront_ids(client)
        if not fronts:
            _set_message(store_id, NO_STOREFRONT)
            return "no storefront"
        wanted = {(event, front) for event in realtime.events for front in fronts}
        if current and wanted <= {(s.event_type, s.store_id) for s in live}:
            if StoreRealtime.objects.filter(store_id=store_id, token_hash=current).update(
                subscription_ids=[s.id for s in live], message=""
            ):
                _mark_subscribed(store_id)
            return "already subscribed"
        token = secrets.token_urlsafe(32)
        new_hash = token_hash(token)
        ids = realtime.subscribe(client, receiver_url(token, realtime), fronts, existing)
        switched = _switch_token(store_id, store.url, store.road, current, new_hash, ids)
        if not switched:
            # The store left real time (or another subscribe won) meanwhile: these are nobody's.
            realtime.unsubscribe(client, ids)
            return "withdrawn"
        _mark_subscribed(store_id)
        realtime.unsubscribe(client, [s.id for s in live if s.id not in ids])
        return f"subscribed {len(ids)}"
    except StorePermissionError:
        _withdraw(realtime, client, new_hash, switched)
        if switched:
            _enqueue_unsubscribe(store_id, current)
        else:
            _set_message(store_id, SCOPE_MISSING)
        return "missing scope"
    except Exception as exc:  # a store error, or an answer that is not what the vendor documents
        if not isinstance(exc, StoreError):
            log.exception("Subscribing the webhooks of store %s failed", store_id)
        _withdraw(realtime, client, new_hash, switched)
        if switched:  # on the new token already: the old token's subscriptions are left to a task
            _enqueue_unsubscribe(store_id, current)
        else:
            _set_message(store_id, f"Real time could not be switched on yet (Outbound tries again): {exc}")
        return "failed"
    finally:
        if own_client and client is not None:
            client.close()


def _enqueue_unsubscribe(store_id: int, old_hash: str) -> None:
    if old_hash:
        hooks_unsubscribe_queue(store_id, old_hash)


def hooks_unsubscribe_pending(pending_id: int) -> str:
    """The unsubscribe task's work: the row's webhooks removed (best effort, as hooks_unsubscribe), then the row
    deleted whatever happened, so the credentials it holds are gone within seconds. A row already gone (the
    task delivered twice) does nothing."""
    row = PendingUnsubscribe.objects.filter(pk=pending_id).first()
    if row is None:
        return "nothing pending"
    try:
        outcome = hooks_unsubscribe(row.store_id, row.token_hash, site=site_from_row(row.site))
    finally:
        PendingUnsubscribe.objects.filter(pk=row.pk).delete()
    return f"store {row.store_id}: {outcome}"


def _switch_token(store_id: int, url: str, road: str, current: str, new_hash: str, ids: list) -> bool:
    """Switch the store to the new token, only if it still wants real time on the site it was subscribed on
    and no other subscribe switched it meanwhile. The store's row is locked first (a store write holds it
    while it revokes the token, hooks.realtime), then the real-time row is switched conditionally."""
    with transaction.atomic():
        still_wanted = (
            Store.objects.select_for_update()
            .filter(
                pk=store_id,
                url=url,  # not moved meanwhile: these subscriptions are on the site it is on
                is_active=True,
                road=road,
                needs_reconnect=False,
            )
            .values_list("pk", flat=True)
        )
        if not list(still_wanted):
            return False
        return bool(
            StoreRealtime.objects.filter(store_id=store_id, token_hash=current).update(
                token_hash=new_hash, subscription_ids=ids, message=""
            )
        )


def _withdraw(realtime: registry.RealTime, client, new_hash: str, switched: bool) -> None:
    """After a failed subscribe: remove what it subscribed under a token the store never switched to."""
    if client is None or not new_hash or switched:
        return
    try:
        made = [s.id for s in realtime.list_subscriptions(client) if _url_token_hash(s.url, realtime) == new_hash]
        realtime.unsubscribe(client, made)
    except Exception:  # best effort: a call to an unknown token is answered 404 and counted
        log.warning("Could not remove the webhooks of a failed subscribe", exc_info=True)


def _mark_subscribed(store_id: int) -> None:
    _stats_update(store_id, where={"subscribed_at__isnull": True}, subscribed_at=timezone.now())


def hooks_unsubscribe(store_id: int, old_hash: str, *, site: dict | None = None, client=None) -> str:
    """Remove the subscriptions whose URL carries a revoked token (`old_hash`), from the store's site, or
    from `site` (hooks.realtime.realtime_site: where the store was before a change of address, or before
    it was deleted). Only URLs with that token are touched: never a webhook someone else made."""
    store = Store(**site) if site is not None else Store.objects.filter(pk=store_id).first()
    realtime = registry.realtime_of(store) if store is not None else None
    if store is None or realtime is None or not old_hash or not store.rest_credentials_set:
        return "no credentials"
    own_client = client is None
    try:
        # Whatever road the store is on now (it may have just left the one with webhooks); a store row built
        # from a saved site refreshes nothing and saves nothing.
        client = client or realtime.connector(store, refresh=site is None)
        gone = [s.id for s in realtime.list_subscriptions(client) if _url_token_hash(s.url, realtime) == old_hash]
        return f"removed {realtime.unsubscribe(client, gone)}"
    except Exception as exc:
        log.warning("Could not remove the webhooks of store %s: %s", store_id, exc)
        return "failed"
    finally:
        if own_client and client is not None:
            client.close()


def realtime_roads() -> set[str]:
    """The roads on which some platform has webhooks (a first filter of the sweep's query)."""
    return {t.road for t in registry.connection_types().values() if t.realtime is not None}


def hooks_sweep(now: dt.datetime | None = None, *, enqueue=None) -> dict[str, int]:
    """Every minute: fetches left waiting (lost task, busy store) and subscriptions to retry."""
    now = now or timezone.now()
    waiting = sorted(
        set(
            PendingFetch.objects.filter(received_at__lt=now - SWEEP_AFTER, store__needs_reconnect=False)
            .order_by()
            .values_list("store_id", flat=True)
        )
    )
    for store_id in waiting:
        (enqueue or enqueue_fetch)(store_id)
    # An unsubscribe whose task was lost (a worker died, the broker forgot it): queued again, once a minute.
    for pending_id in PendingUnsubscribe.objects.filter(created_at__lt=now - SWEEP_AFTER).values_list("pk", flat=True):
        enqueue_hooks_task(UNSUBSCRIBE_TASK, pending_id, save=False)
    resubscribe = []
    if settings.PUBLIC_BASE_URL and now.minute % (RESUBSCRIBE_EVERY.seconds // 60) == 0:
        # Never subscribed yet, or the last subscribe failed (its old subscriptions may still work).
        candidates = (
            Store.objects.filter(
                is_active=True, tenant__is_active=True, road__in=realtime_roads(), needs_reconnect=False
            )
            .filter(Q(realtime__isnull=True) | Q(realtime__subscription_ids=[]) | ~Q(realtime__message=""))
            .exclude(realtime__message__in=[SCOPE_MISSING, NO_STOREFRONT])
            .select_related("realtime")
            .prefetch_related("secrets")  # realtime_wanted asks whether each has its credentials
        )
        for store in candidates:
            if realtime_wanted(store):
                resubscribe.append(store.pk)
                enqueue_hooks_task(SUBSCRIBE_TASK, store.pk)
    return {"fetches": len(waiting), "subscriptions": len(resubscribe)}
