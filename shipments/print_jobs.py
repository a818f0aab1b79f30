"""Print jobs: packing slips or a pick list too big to render within a web request, rendered by a worker.

The request that prints a selection of more than settings.PRINT_INLINE_MAX_ORDERS orders only records a
PrintJob (`print_job_start`: the orders' ids in the documents' order, the reader's language) and queues its
task (`enqueue`, django-q2 group "printing"); it answers at once with the job's page. A worker takes the
job with a lease (the claim-then-work pattern of shipments/batch.py: one conditional UPDATE), renders it
in chunks of SLIPS_PER_DOCUMENT slips (shipments/printing.py), and after each chunk records its progress
and renews its lease in one UPDATE (`done` of `total` orders); the PDF is kept on the row.

A worker that dies (or whose task is lost, or raises) stops renewing: the minute sweep (`print_jobs_sweep`)
hands the job to a worker again, which renders it from the start, at most BATCH_MAX_ATTEMPTS times in all;
then the job is failed with the reason shown on its page. The same sweep deletes finished jobs (and their
PDFs) PRINT_JOBS_KEEP_HOURS after they finished, and jobs no worker ever finished that long after they
were asked for.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone, translation

from core import queues
from orders.models import Order
from stores.models import Tenant

from . import printing
from .batch import sweep_stalled
from .models import PRINT_UNFINISHED, PrintJob, PrintKind, PrintState

log = logging.getLogger(__name__)

RENDERERS = {PrintKind.PACKING_SLIPS: printing.packing_slips_pdf, PrintKind.PICK_LIST: printing.pick_list_pdf}
FILENAMES = {
    PrintKind.PACKING_SLIPS: printing.packing_slips_filename,
    PrintKind.PICK_LIST: printing.pick_list_filename,
}


class LeaseLost(Exception):
    """The sweep handed this job to another worker (this one was presumed dead)."""


def renders_inline(count: int) -> bool:
    """A selection this small is rendered within the request (far inside any web worker's timeout)."""
    return count <= settings.PRINT_INLINE_MAX_ORDERS


def print_job_start(*, tenant: Tenant, kind: str, orders: list[Order], user=None, language: str = "") -> PrintJob:
    """Record what to print and queue its rendering (inline when Q_SYNC is on). Renders nothing."""
    if kind not in RENDERERS:
        raise ValueError(f"unknown print kind {kind!r}")
    job = PrintJob.objects.create(
        tenant=tenant,
        kind=kind,
        order_ids=[order.pk for order in orders],
        total=len(orders),
        language=(language or translation.get_language() or "")[:10],
        filename=FILENAMES[kind](orders),
        created_by_user=user if user is not None and user.is_authenticated else None,
        queued_at=timezone.now(),
    )
    if settings.Q_CLUSTER.get("sync"):
        enqueue(job.pk)  # tasks run inline (tests, a demo without workers)
    else:
        transaction.on_commit(lambda: enqueue(job.pk))  # a worker must find the job committed
    return job


def enqueue(job_id: int) -> None:
    """Hand the job to the broker: the one place a print task is queued, on the batches queue."""
    queues.enqueue(
        queues.BATCHES, "shipments.tasks.print_job_task", job_id, task_name=f"print-{job_id}", group="printing"
    )


# --- the worker's side --------------------------------------------------------------------------------------


def _lease_until(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(seconds=settings.BATCH_LEASE_SECONDS)


def _claim(job: PrintJob, worker: str) -> bool:
    now = timezone.now()
    return bool(
        PrintJob.objects.filter(pk=job.pk, state__in=PRINT_UNFINISHED)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(
            state=PrintState.RUNNING,
            done=0,
            lease_until=_lease_until(now),
            leased_by=worker,
            attempts=F("attempts") + 1,
        )
    )


def _held(job: PrintJob, worker: str):
    return PrintJob.objects.filter(pk=job.pk, leased_by=worker, state=PrintState.RUNNING)


def _progress(job: PrintJob, worker: str) -> Callable[[int], None]:
    def progress(done: int) -> None:
        # One UPDATE: the progress bar moves and the lease is renewed; a lost lease stops the rendering.
        if not _held(job, worker).update(done=done, lease_until=_lease_until(timezone.now())):
            raise LeaseLost(f"print job {job.pk} was handed to another worker")

    return progress


def _fail(job: PrintJob, worker: str, reason: str) -> None:
    _held(job, worker).update(
        state=PrintState.FAILED, error=reason[:2000], finished_at=timezone.now(), lease_until=None, leased_by=""
    )


def print_job_run(job_id: int, *, worker: str) -> PrintJob | None:
    """Take the job (None when it is finished, gone, or another worker holds it), render it, keep the PDF."""
    job = PrintJob.objects.defer("pdf").filter(pk=job_id).first()
    if job is None or not _claim(job, worker):
        return None
    try:
        found = Order.objects.for_tenant(job.tenant_id).in_bulk(job.order_ids)
        orders = [found[pk] for pk in job.order_ids if pk in found]
        if not orders:
            _fail(job, worker, "None of these orders exist any more.")
            return PrintJob.objects.defer("pdf").get(pk=job.pk)
        pdf = RENDERERS[job.kind](orders, language=job.language or None, progress=_progress(job, worker))
    except LeaseLost:
        return None
    except OSError as exc:  # WeasyPrint's system libraries are missing: another attempt would not help
        _fail(job, worker, f"The PDF libraries are not installed on the worker ({exc}).")
        return PrintJob.objects.defer("pdf").get(pk=job.pk)
    except Exception as exc:
        # The lease ends now: the next minute's sweep hands the job to a worker again (or fails it).
        _held(job, worker).update(lease_until=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    _held(job, worker).update(
        state=PrintState.DONE,
        pdf=pdf,
        pdf_bytes=len(pdf),
        done=len(orders),
        total=len(orders),
        error="",
        finished_at=timezone.now(),
        lease_until=None,
        leased_by="",
    )
    return PrintJob.objects.defer("pdf").get(pk=job.pk)


def print_jobs_sweep(*, now: dt.datetime | None = None, enqueue_job: Callable[[int], None] | None = None) -> dict:
    """Every minute: hand each stalled job to a worker again (claimed first, so two sweeps queue it once),
    or fail it after BATCH_MAX_ATTEMPTS; delete the jobs past their retention."""
    now = now or timezone.now()
    lease = dt.timedelta(seconds=settings.BATCH_LEASE_SECONDS)
    stalled = PrintJob.objects.filter(state__in=PRINT_UNFINISHED).filter(
        Q(lease_until__lt=now) | Q(lease_until__isnull=True, queued_at__lt=now - lease)
    )
    resumed, failed = sweep_stalled(
        stalled.values_list("pk", "queued_at", "lease_until", "attempts", "error")[:500],
        now=now,
        as_read=lambda pk, queued_at, lease_until: PrintJob.objects.filter(
            pk=pk, queued_at=queued_at, lease_until=lease_until, state__in=PRINT_UNFINISHED
        ),
        stop=lambda reason: {
            "state": PrintState.FAILED,
            "error": reason,
            "finished_at": now,
            "lease_until": None,
            "leased_by": "",
        },
        enqueue=enqueue_job or enqueue,
        what="Print job",
    )
    done = {"resumed": resumed, "failed": failed, "deleted": 0}
    keep = dt.timedelta(hours=settings.PRINT_JOBS_KEEP_HOURS)
    done["deleted"], _ = PrintJob.objects.filter(
        Q(finished_at__lt=now - keep) | Q(finished_at__isnull=True, created_at__lt=now - keep)
    ).delete()
    return done


# --- reads --------------------------------------------------------------------------------------------------


def print_job_get(*, tenant: Tenant, pk, with_pdf: bool = False) -> PrintJob:
    """The tenant's job (its PDF loaded only when asked for), or 404."""
    jobs = PrintJob.objects.for_tenant(tenant)
    try:
        return (jobs if with_pdf else jobs.defer("pdf")).get(pk=pk)
    except (PrintJob.DoesNotExist, ValueError, TypeError):
        raise Http404("No such print job.") from None


def is_stalled(job: PrintJob, now: dt.datetime | None = None) -> bool:
    """Unfinished, and its worker's lease ran out: the minute sweep hands it to another."""
    now = now or timezone.now()
    return job.state == PrintState.RUNNING and job.lease_until is not None and job.lease_until < now
