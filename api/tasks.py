"""django-q2 tasks for the API: thin, safe to run twice."""

from __future__ import annotations

from .services import idempotency_records_prune


def idempotency_records_prune_task() -> str:
    """Scheduled every hour (api/schedules.py): forget Idempotency-Key records older than a day."""
    return f"idempotency records: {idempotency_records_prune()} deleted"
