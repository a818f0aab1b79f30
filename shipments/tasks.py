"""django-q2 tasks for batches: thin, ids only, safe to run twice. They call shipments.batch and
shipments.csv_import."""

from __future__ import annotations

from outbox.services import default_worker

from .batch import LeaseLost, batch_apply, batch_claim, batch_finish, batch_release, batch_sweep
from .csv_import import csv_import_run
from .models import Batch, BatchKind
from .print_jobs import print_job_run, print_jobs_sweep


def batch_run(batch_id: int, *, worker: str | None = None) -> Batch | None:
    """Take the batch (a lease; None when another worker holds it or it is finished), apply it, then mark
    it finished. Each order's item makes a second run, or a resumed one, skip what is done."""
    batch = Batch.objects.select_related("tenant", "created_by_user").get(pk=batch_id)
    if not batch_claim(batch, worker=worker or default_worker()):
        return None
    try:
        if batch.kind == BatchKind.CSV_IMPORT:
            csv_import_run(batch=batch, user=batch.created_by_user)
        else:
            batch_apply(batch)
    except LeaseLost:
        return None  # handed to another worker, which goes on from the orders done
    except Exception as exc:
        batch_release(batch, error=f"{type(exc).__name__}: {exc}")  # the sweep resumes it at its next minute
        raise
    return batch_finish(batch)


def batch_run_task(batch_id: int) -> str:
    batch = batch_run(batch_id)
    if batch is None:
        return f"batch {batch_id}: finished, or held by another worker"
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
