"""When each store is checked: its slots, and how one tick hands them to the workers.

A store with an interval of N minutes is checked at its *slots*: a stable offset into the interval
(from its id, so stores spread evenly over the interval instead of all starting on the same second)
plus whole intervals since the epoch. Due-ness is measured from the slot the previous check was
scheduled for, never from when that run finished: a 1-minute interval checks every 60 s.

django-q2 looks at its schedules every 30 s, so the minute tick fires up to ~30 s late, and a tick task
can wait in the queue behind a batch. Each tick therefore hands out every slot up to LOOKAHEAD ahead,
later than the next tick can come, and records that horizon on the stores (StoreImportState.import_queued_until,
one value for all: one UPDATE); the next tick hands out only the slots after it. The slots of one tick
go to ONE batch task, which waits for each slot before checking its store: it occupies one worker
while it waits. A tick's batch starts when the tick fires but its first slot lies past the previous
horizon, so it waits while the previous batch checks its last slots: two batches overlap for up to
LOOKAHEAD - TICK_EVERY (40 s) a minute, both workers of a 2-worker cluster asleep, and a real-time fetch
or an import run queued then waits for one of them (measured: REST freshness p95 18-46 s). Hence
Q_WORKERS defaults to three (config/settings.py), and a waiting batch does the real-time fetches that
come up meanwhile rather than only sleep (orders.importing.idle). Each tick's batch is done before the
batch after next begins. A store whose check never happened (a task the broker
lost) is handed out again, at once, after LOST_AFTER.

Everything here is a pure function of its arguments (ids, intervals, times): deterministic, testable.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import NamedTuple

from django.utils import timezone

TICK_EVERY = dt.timedelta(minutes=1)  # orders/schedules.py: the import tick
SCHEDULER_SLACK = dt.timedelta(seconds=30)  # django-q2 fires a schedule up to this late
LOOKAHEAD = TICK_EVERY + SCHEDULER_SLACK + dt.timedelta(seconds=10)
LOST_AFTER = 2 * LOOKAHEAD  # a slot handed out this long ago and still not checked: its task was lost

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_GOLDEN = 2654435761  # Knuth's multiplicative hash: consecutive ids land far apart in the interval


class Slot(NamedTuple):
    """One scheduled check: when, which store, its interval."""

    at: dt.datetime
    store_id: int
    interval_minutes: int


def offset_ms(store_id: int, interval_minutes: int) -> int:
    """The store's stable offset into its interval, in whole milliseconds."""
    interval_ms = interval_minutes * 60_000
    return (store_id * _GOLDEN) % (2**32) * interval_ms // (2**32)


def slot_at_or_after(when: dt.datetime, store_id: int, interval_minutes: int) -> dt.datetime:
    """The store's first slot at or after `when`."""
    interval_ms = interval_minutes * 60_000
    since_ms = math.ceil((when - _EPOCH) / dt.timedelta(milliseconds=1))
    offset = offset_ms(store_id, interval_minutes)
    k = -(-(since_ms - offset) // interval_ms)  # ceil division
    return _EPOCH + dt.timedelta(milliseconds=k * interval_ms + offset)


def next_slot(store_id: int, interval_minutes: int, after: dt.datetime) -> dt.datetime:
    """The store's slot after one at `after`: `after` + the interval when `after` is one of its slots;
    otherwise (a check made at once, an interval changed) its next aligned slot, never more than an
    interval on (a check early is harmless, one late is what the schedule must not do)."""
    return slot_at_or_after(after + dt.timedelta(milliseconds=1), store_id, interval_minutes)


def slots_due(
    store_id: int,
    interval_minutes: int,
    *,
    queued_until: dt.datetime | None,
    next_at: dt.datetime | None,
    now: dt.datetime,
    horizon: dt.datetime,
) -> list[dt.datetime]:
    """The store's slots to hand out at a tick at `now`: those after the previous tick's horizon
    (`queued_until`) up to this one's. A store never handed out, or left behind longer than an interval
    (switched off, held by a long run), starts with a check at once; so does one whose handed-out check
    never happened: `next_at` (the slot after its latest check, or when it was first handed out) older
    than LOST_AFTER."""
    interval = dt.timedelta(minutes=interval_minutes)
    lost = next_at is not None and next_at < now - LOST_AFTER
    if queued_until is None or queued_until < now - interval or lost:
        first = now
    else:
        # Strictly after the horizon, to the microsecond: slots are whole milliseconds but a horizon is
        # not, and a slot within the millisecond after it was not handed out by the previous tick.
        first = slot_at_or_after(queued_until + dt.timedelta(microseconds=1), store_id, interval_minutes)
    slots = []
    at = first
    while at <= horizon:
        slots.append(at)
        at = next_slot(store_id, interval_minutes, at)
    return slots


def plan_tick(rows, now: dt.datetime, horizon: dt.datetime | None = None) -> list[Slot]:
    """Every slot to hand out for `rows` of (store id, import_queued_until, next_import_at, interval
    minutes), by time."""
    horizon = horizon or now + LOOKAHEAD
    planned = []
    for store_id, queued_until, next_at, minutes in rows:
        planned += [
            Slot(at, store_id, minutes)
            for at in slots_due(store_id, minutes, queued_until=queued_until, next_at=next_at, now=now, horizon=horizon)
        ]
    planned.sort()
    return planned


def wait_seconds(slot_at: dt.datetime, now: dt.datetime | None = None) -> float:
    """How long a batch waits before checking a slot's store (0 when the slot has come)."""
    now = now or timezone.now()
    return max(0.0, min((slot_at - now).total_seconds(), LOOKAHEAD.total_seconds()))
