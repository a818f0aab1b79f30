"""django-q2 tasks of real time: thin, ids only, safe to run twice. They call hooks.services."""

from __future__ import annotations

from django.conf import settings

from .services import hooks_fetch, hooks_subscribe, hooks_sweep, hooks_unsubscribe


def hooks_fetch_task(store_id: int) -> str:
    outcomes = hooks_fetch(store_id, wait=not settings.Q_CLUSTER.get("sync"))
    return f"store {store_id}: " + (", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) or "nothing pending")


def hooks_subscribe_task(store_id: int) -> str:
    return f"store {store_id}: {hooks_subscribe(store_id)}"


def hooks_unsubscribe_task(store_id: int, ids: list[int], old_hash: str, site: dict | None = None) -> str:
    # `ids` (the subscriptions recorded then) is kept for tasks queued before: only the token is matched.
    return f"store {store_id}: {hooks_unsubscribe(store_id, old_hash, site=site)}"


def hooks_sweep_task() -> str:
    """Scheduled every minute by `setup_schedules`."""
    done = hooks_sweep()
    return f"re-queued {done['fetches']} fetch(es), {done['subscriptions']} subscription(s)"
