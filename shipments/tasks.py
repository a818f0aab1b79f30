"""django-q2 tasks for batches: thin, ids only, safe to run twice. They call shipments.batch."""

from __future__ import annotations

from .batch import batch_run


def batch_run_task(batch_id: int) -> str:
    batch = batch_run(batch_id)
    return f"batch {batch_id}: {batch.items.count()} item(s)"
