"""django-q2 entry points of carrier tracking. Arguments are ids only: credentials never travel in a task."""

from __future__ import annotations

from .services import tracking_poll_batch, tracking_poll_due


def tracking_poll_due_task() -> dict:
    return tracking_poll_due()


def tracking_poll_batch_task(account_id: int, tracking_ids: list[int]) -> dict:
    return tracking_poll_batch(account_id=account_id, tracking_ids=list(tracking_ids))
