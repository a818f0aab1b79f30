"""When each store is checked: its slots, and how one tick hands them to the workers.

A store with an interval of N minutes is checked at its *slots*: a stable offset into the interval
(from its id, so stores spread evenly over the interval instead of all starting on the same second)
plus whole intervals since the epoch. Due-ness is measured from the slot the previous check was
scheduled for, never from when that run finished: a 1-minute interval checks every 60 s.

django-q2 looks at its schedules every 30 s, so the minute tick fires up to ~30 s late and two ticks can
be 30 to 90 s apart. Each tick therefore hands out every slot that falls before the latest moment the
next tick can come (LOOKAHEAD), and the batch tasks wait for each slot before checking its store; a
store whose slot was handed out is marked (Store.import_queued_at) so the next tick does not hand it out
again, and a mark older than the import lease (a task the broker lost) is ignored.

Everything here is a pure function of its arguments (ids, intervals, times): deterministic, testable.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import NamedTuple

from django.utils import timezone

TICK_EVERY = dt.timedelta(minutes=1)  # orders/schedules.py: the import tick
SCHEDULER_SLACK = dt.timedelta(seconds=30)  # django-q2 fires a schedule up to this late
LOOKAHEAD = TICK_EVERY + SCHEDULER_SLACK + dt.timedelta(seconds=5)
SPREAD_CHUNK = dt.timedelta(seconds=15)  # one batch task per worker covers this much of the lookahead

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_GOLDEN = 2654435761  # Knuth's multiplicative hash: consecutive ids land far apart in the interval


class Slot(NamedTuple):
    """One scheduled check: when, which store, its interval, and whether it is the last slot the tick
    handed out for that store (its check then clears the store's "queued" mark)."""

    at: dt.datetime
    store_id: int
    interval_minutes: int
    last: bool


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
    otherwise (a check made at once, an interval changed) the aligned slot at least half an interval on."""
    half = dt.timedelta(minutes=interval_minutes) / 2
    return slot_at_or_after(after + half, store_id, interval_minutes)


def slots_due(store_id: int, interval_minutes: int, next_at: dt.datetime | None, now: dt.datetime,
              horizon: dt.datetime) -> list[dt.datetime]:
    """The store's slots to hand out at a tick at `now`, up to `horizon`: from its next slot, or from now
    for a store never checked on schedule or overdue (checked at once)."""
    first = now if next_at is None or next_at < now else next_at
    slots = []
    at = first
    while at <= horizon:
        slots.append(at)
        at = next_slot(store_id, interval_minutes, at)
    return slots


def plan_tick(rows, now: dt.datetime, horizon: dt.datetime | None = None) -> list[Slot]:
    """Every slot to hand out for `rows` of (store id, next_import_at, interval minutes), by time."""
    horizon = horizon or now + LOOKAHEAD
    planned = []
    for store_id, next_at, minutes in rows:
        at = slots_due(store_id, minutes, next_at, now, horizon)
        planned += [Slot(when, store_id, minutes, i == len(at) - 1) for i, when in enumerate(at)]
    planned.sort()
    return planned


def batches(slots: list[Slot], now: dt.datetime, workers: int) -> list[list[Slot]]:
    """Split a tick's slots into batch tasks: one per SPREAD_CHUNK of time and per worker (dealt round
    robin, so every worker takes part in every stretch of the interval). How many tasks a tick enqueues
    depends on the lookahead and the workers, never on the number of stores."""
    workers = max(1, workers)
    chunks: dict[int, list[list[Slot]]] = {}
    for i, slot in enumerate(slots):
        index = max(0, int((slot.at - now) / SPREAD_CHUNK))
        lanes = chunks.setdefault(index, [[] for _ in range(workers)])
        lanes[i % workers].append(slot)
    return [lane for index in sorted(chunks) for lane in chunks[index] if lane]


def wait_seconds(slot_at: dt.datetime, now: dt.datetime | None = None) -> float:
    """How long a batch waits before checking a slot's store (0 when the slot has come)."""
    now = now or timezone.now()
    return max(0.0, min((slot_at - now).total_seconds(), LOOKAHEAD.total_seconds()))
