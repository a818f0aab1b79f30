"""django-q2 tasks for batches: thin, ids only, safe to run twice. They call shipments.batch and
shipments.csv_import."""

from __future__ import annotations

from .batch import batch_apply, batch_finish
from .csv_import import csv_import_run
from .models import Batch, BatchKind


def batch_run(batch_id: int) -> Batch:
    """Apply a submitted batch, then mark it finished (each order's item makes a second run a no-op)."""
    batch = Batch.objects.select_related("tenant", "created_by_user").get(pk=batch_id)
    if batch.kind == BatchKind.CSV_IMPORT:
        csv_import_run(batch=batch, user=batch.created_by_user)
    else:
        batch_apply(batch)
    return batch_finish(batch)


def batch_run_task(batch_id: int) -> str:
    batch = batch_run(batch_id)
    return f"batch {batch_id}: {batch.items.count()} item(s)"
