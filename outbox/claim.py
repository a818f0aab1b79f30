"""How a relay claims outbox rows: read candidates without waiting on locks, then take each with a
conditional UPDATE so that two relays reading the same rows send each once (see outbox/services.py).

Fair between tenants: a round reads the lanes (tenant, lane: a store's updates, a tenant's e-mails…) that
have due rows, oldest due first, and takes their rows round-robin (the first of each lane, then the second
of each…), at most `per_lane` of one lane, `limit` in all. A tenant with 500 waiting rows and another with
one: the other's row is in the first round."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Min

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


def _lanes(queryset, *, limit: int, now: datetime) -> list[tuple[int, str]]:
    """The (tenant, lane) pairs with due rows, the one whose oldest row is due first first."""
    return list(
        queryset.due(now)
        .values("tenant_id", "lane")
        .annotate(oldest=Min("next_attempt_at"))
        .order_by("oldest", "tenant_id", "lane")
        .values_list("tenant_id", "lane")[:limit]
    )


def _claim_fair(queryset, *, limit: int, per_lane: int, worker: str, now: datetime) -> list[int]:
    """One round: up to `limit` due rows, round-robin across lanes, at most `per_lane` of one lane; the
    claimed ids in the order they should be sent (the lanes' firsts, then their seconds…)."""
    with transaction.atomic():
        lanes = [
            _candidates(queryset.filter(tenant_id=tenant_id, lane=lane), limit=min(per_lane, limit), now=now)
            for tenant_id, lane in _lanes(queryset, limit=limit, now=now)
        ]
        order = [lane[i] for i in range(max(map(len, lanes), default=0)) for lane in lanes if i < len(lane)]
        return _take(order[:limit], worker=worker, now=now)


def _lease() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
