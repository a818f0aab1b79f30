"""django-q2 tasks for batches: thin, ids only, safe to run twice. They call shipments.batch and
shipments.csv_import."""

from __future__ import annotations

import time

from django.conf import settings

from outbox.services import default_worker

from .batch import (
    ChunkFull,
    LeaseLost,
    TenantBusy,
    _enqueue,
    batch_apply,
    batch_chunk_start,
    batch_claim,
    batch_finish,
    batch_next_chunk,
    batch_release,
    batch_sweep,
)
from .csv_import import csv_import_run
from .models import Batch, BatchKind
from .print_jobs import print_job_run, print_jobs_sweep

# Seconds a batch task whose tenant is at BATCH_TENANT_CONCURRENCY waits before queueing itself again.
BUSY_PAUSE_SECONDS = 1.0


def batch_run(batch_id: int, *, worker: str | None = None, chunk: int | None = None) -> Batch | None:
    """Take the batch (a lease; None when another worker holds it or it is finished), apply one chunk
    (`chunk` rows, BATCH_CHUNK_SIZE by default; 0: the whole batch), then queue the next chunk or mark it
    finished. Each order's item makes a second run, or a resumed one, skip what is done."""
    batch = Batch.objects.select_related("tenant", "created_by_user").get(pk=batch_id)
    # Inline (Q_SYNC: the tests, a demo without workers) nothing runs beside this call: no cap to keep.
    cap = None if settings.Q_CLUSTER.get("sync") else settings.BATCH_TENANT_CONCURRENCY
    if not batch_claim(batch, worker=worker or default_worker(), tenant_cap=cap):
        return None
    size = settings.BATCH_CHUNK_SIZE if chunk is None else chunk
    if size:
        batch_chunk_start(batch, size)
    try:
        if batch.kind == BatchKind.CSV_IMPORT:
            csv_import_run(batch=batch, user=batch.created_by_user)
        else:
            batch_apply(batch)
    except ChunkFull:
        batch_next_chunk(batch)
        batch.refresh_from_db()
        return batch
    except LeaseLost:
        return None  # handed to another worker, which goes on from the orders done
    except Exception as exc:
        batch_release(batch, error=f"{type(exc).__name__}: {exc}")  # the sweep resumes it at its next minute
        raise
    return batch_finish(batch)


def batch_run_task(batch_id: int) -> str:
    try:
        batch = batch_run(batch_id)
    except TenantBusy as busy:
        time.sleep(BUSY_PAUSE_SECONDS)  # then behind the other tenants' batches queued meanwhile
        _enqueue(batch_id)
        return str(busy)
    if batch is None:
        return f"batch {batch_id}: finished, or held by another worker"
    if batch.finished_at is None:
        return f"batch {batch_id}: a chunk applied, up to row {batch.cursor}; the next is queued"
    return f"batch {batch_id}: {batch.items.count()} item(s)"


def batch_sweep_task() -> str:
    """Scheduled every minute by `setup_schedules`: batches whose worker died or whose task was lost."""
    done = batch_sweep()
    return f"batches: {done['resumed']} resumed, {done['stopped']} stopped"


def print_job_task(job_id: int) -> str:
    """Render a print job (shipments.print_jobs); queued by print_jobs.enqueue in group "printing"."""
    job = print_job_run(job_id, worker=default_worker())
    if job is None:
        return f"print job {job_id}: finished, gone, or held by another worker"
    return f"print job {job_id}: {job.state}, {job.done} of {job.total} order(s), {job.pdf_bytes} bytes"


def print_jobs_sweep_task() -> str:
    """Scheduled every minute by `setup_schedules`: print jobs whose worker died, and expired ones."""
    done = print_jobs_sweep()
    return f"print jobs: {done['resumed']} resumed, {done['failed']} failed, {done['deleted']} deleted"
