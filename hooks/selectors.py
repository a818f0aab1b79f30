"""Reads of real time for the store page and the admin (a store is read through its tenant first)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import ImportRun, ImportState, ImportTrigger, import_state_of
from stores.models import Store

from .models import HookCounter, HookStats, realtime_of
from .realtime import has_realtime
from .services import NO_STOREFRONT, SCOPE_MISSING

# Events this old while the schedule keeps importing changed orders: the store page says they stopped.
QUIET_AFTER = dt.timedelta(hours=1)


@dataclass
class RealtimeState:
    on: bool
    reason: str  # why it is off, in the reader's language ("" when on)
    last_event_at: dt.datetime | None
    last_checked_at: dt.datetime | None
    stats: HookStats | None
    # Orders the schedule imported as new or changed since the last event, when that event is over
    # QUIET_AFTER old (None otherwise): events have stopped arriving while orders keep changing.
    missed_by_events: int | None = None


def realtime_on(store: Store) -> bool:
    """Whether the store's webhooks are subscribed and working (from the store's row and its real-time row:
    no query when it was loaded with select_related("realtime"))."""
    return bool(
        has_realtime(store)
        and store.is_active
        and not store.needs_reconnect
        and realtime_of(store).token_hash
        and realtime_of(store).subscription_ids
        and settings.PUBLIC_BASE_URL
    )


def realtime_reason(store: Store) -> str:
    """Why real time is off, in the reader's language ("" when it is on)."""
    return "" if realtime_on(store) else _reason(store)


def _reason(store: Store) -> str:
    if not has_realtime(store):
        return _("the store is connected through the ShipStation add-on; real time needs the REST API road")
    if not store.is_active:
        return _("the store is switched off")
    if store.needs_reconnect:
        return _("the store needs to be reconnected")
    if not settings.PUBLIC_BASE_URL:
        return _("Outbound's public address (PUBLIC_BASE_URL) is not set, so the store cannot call it")
    message = realtime_of(store).message
    if message == SCOPE_MISSING:
        return _("real time needs the 'system' scope; the schedule still imports")
    if message == NO_STOREFRONT:
        return _("the store lists no storefront to subscribe to; the schedule still imports")
    if message:
        return message
    return _("subscribing to the store's webhooks…")


_UNREAD = object()


def realtime_state(*, store: Store, now: dt.datetime | None = None, stats=_UNREAD) -> RealtimeState:
    """Real time of one store (already scoped to its tenant by the caller). `stats`: the store's HookStats
    when the caller holds it already (the admin's list rows are the stats), else read here."""
    now = now or timezone.now()
    if stats is _UNREAD:
        stats = HookStats.objects.filter(store=store).first()
    on = realtime_on(store)
    last_event = stats.last_event_at if stats else None
    state = RealtimeState(
        on=on,
        reason=realtime_reason(store),
        last_event_at=last_event,
        last_checked_at=import_state_of(store).last_checked_at,
        stats=stats,
    )
    if on:
        # Quiet since the last event, or since the webhooks were subscribed when none came yet.
        since = last_event or (stats.subscribed_at if stats else None) or store.created_at
        if now - since > QUIET_AFTER:
            changed = ImportRun.objects.filter(
                store=store,
                trigger=ImportTrigger.SCHEDULE,
                state=ImportState.SUCCEEDED,
                finished_at__gt=since,
            ).aggregate(n=Sum("orders_created") + Sum("orders_updated"))["n"]
            if changed:
                state.missed_by_events = changed
    return state


def unknown_token_calls() -> HookCounter | None:
    """The global count of webhook calls with an unknown or revoked token (operators)."""
    return HookCounter.objects.filter(name=HookCounter.UNKNOWN_TOKEN).first()
