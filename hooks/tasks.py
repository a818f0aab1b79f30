"""django-q2 tasks of real time: thin, ids only, safe to run twice. They call hooks.services."""

from __future__ import annotations

from django.conf import settings

from .services import hooks_fetch, hooks_subscribe, hooks_sweep, hooks_unsubscribe, hooks_unsubscribe_pending


def hooks_fetch_task(store_id: int) -> str:
    outcomes = hooks_fetch(store_id, wait=not settings.Q_CLUSTER.get("sync"))
    return f"store {store_id}: " + (", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) or "nothing pending")


def hooks_subscribe_task(store_id: int) -> str:
    return f"store {store_id}: {hooks_subscribe(store_id)}"


def hooks_unsubscribe_task(pending_id: int, *queued_before) -> str:
    """`pending_id`: a hooks.models.PendingUnsubscribe row (its site's credentials never travel in the task).
    A task queued before that row existed carries (store_id, ids, old_hash[, site]) and is run as then."""
    if queued_before:
        old_hash, site = queued_before[1], (queued_before[2] if len(queued_before) > 2 else None)
        return f"store {pending_id}: {hooks_unsubscribe(pending_id, old_hash, site=site)}"
    return hooks_unsubscribe_pending(pending_id)


def hooks_sweep_task() -> str:
    """Scheduled every minute by `setup_schedules`."""
    done = hooks_sweep()
    return f"re-queued {done['fetches']} fetch(es), {done['subscriptions']} subscription(s)"
