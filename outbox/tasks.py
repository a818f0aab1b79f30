"""django-q2 tasks for the outbox: thin, ids only, safe to run twice (a second run finds nothing due)."""

from __future__ import annotations

from .services import outbox_deliver_batch as _deliver_batch
from .services import outbox_deliver_one as _deliver_one
from .services import outbox_relay_due as _relay_due
from .services import outbox_relay_run as _relay_run


def outbox_relay_task() -> str:
    """Queued by outbox_kick when rows are written (at most one waiting): rounds of due rows, fair
    between tenants, for OUTBOX_RELAY_BUDGET_SECONDS."""
    result = _relay_run()
    return f"outbox relay: {result['sent']} message(s) attempted in {result['rounds']} round(s)"


# The two tasks below were queued per row (or per page of rows) before the relay; kept so that tasks
# still queued at an upgrade run. Nothing queues them any more.


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
