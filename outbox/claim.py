"""How a relay claims outbox rows: read candidates without waiting on locks, then take each with a
conditional UPDATE so that two relays reading the same rows send each once (see outbox/services.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction

from .models import OutboxMessage, OutboxState


def _candidates(queryset, *, limit: int, now: datetime) -> list[tuple[int, str, int]]:
    # skip_locked: a second relay passes over rows the first is claiming instead of waiting. Django
    # drops the clause on SQLite, which has no row locks; there `_take`'s conditional UPDATE decides.
    return list(
        queryset.due(now)
        .order_by("next_attempt_at", "id")
        .select_for_update(skip_locked=True)
        .values_list("pk", "state", "attempts")[:limit]
    )


def _take(candidates: list[tuple[int, str, int]], *, worker: str, now: datetime) -> list[int]:
    """Lease each candidate still as it was read; `attempts` doubles as a version number, so of two
    relays that read the same row only the first UPDATE matches."""
    claimed: list[int] = []
    for pk, state, attempts in candidates:
        won = (
            OutboxMessage.objects.due(now)
            .filter(pk=pk, state=state, attempts=attempts)
            .update(
                state=OutboxState.SENDING,
                attempts=models.F("attempts") + 1,
                lease_until=now + _lease(),
                leased_by=worker[:100],
                updated_at=now,
            )
        )
        if won:
            claimed.append(pk)
    return claimed


def _claim(queryset, *, limit: int, worker: str, now: datetime) -> list[int]:
    # The lease is committed here, before any handler runs: that commit is what keeps a second relay
    # away from the row while the first is talking to the store.
    with transaction.atomic():
        return _take(_candidates(queryset, limit=limit, now=now), worker=worker, now=now)


def _lease() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
