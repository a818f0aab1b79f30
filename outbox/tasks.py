"""django-q2 tasks for the outbox: thin, ids only, safe to run twice (a second run finds nothing due)."""

from __future__ import annotations

from .services import outbox_deliver_batch as _deliver_batch
from .services import outbox_deliver_one as _deliver_one
from .services import outbox_relay_due as _relay_due


def outbox_deliver_one(message_id: int) -> str:
    state = _deliver_one(message_id)
    return f"outbox {message_id}: {state or 'not due or held by another relay'}"


def outbox_relay_due() -> str:
    """Scheduled every minute: retries that fell due, and rows whose task was lost."""
    return f"outbox relay: {_relay_due()} message(s) attempted"


def outbox_deliver_batch(message_ids: list[int]) -> str:
    """One task for many rows written together (an import page's webhooks), each claimed then sent."""
    counts = _deliver_batch(message_ids)
    return f"outbox batch of {len(message_ids)}: " + (
        ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "nothing"
    )
