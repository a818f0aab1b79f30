"""Print jobs on the worker's side (shipments/print_jobs.py): 250 real packing slips, the lease, the sweep.

What they prove: the task renders a real PDF of 250 slips (one page each) with its progress recorded after
every chunk; a worker whose lease was handed to another stops and keeps nothing; a job whose worker died
is handed to a worker again by the sweep (once for two sweeps) and renders from the start; after
BATCH_MAX_ATTEMPTS it is failed with the reason; finished jobs are deleted after PRINT_JOBS_KEEP_HOURS;
the task is queued in the "printing" group.
"""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from django.utils import timezone

from shipments import print_jobs
from shipments.models import PrintJob, PrintState
from shipments.tasks import print_job_task, print_jobs_sweep_task
from tests.factories import make_order

pypdf = pytest.importorskip("pypdf")
try:
    import weasyprint  # noqa: F401
except OSError:
    pytest.skip("WeasyPrint's system libraries are not installed", allow_module_level=True)


def job_of(store, n: int, *, kind: str = "packing_slips", **fields) -> PrintJob:
    orders = [make_order(store, lines=2, number=f"J-{i:03d}") for i in range(n)]
    return PrintJob.objects.create(
        tenant=store.tenant,
        kind=kind,
        order_ids=[o.pk for o in orders],
        total=n,
        language="en",
        queued_at=timezone.now(),
        **fields,
    )


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="run once, on SQLite: the PostgreSQL pass prints 250 slips through gunicorn and a real cluster "
    "(test_print_jobs_production.py)",
)
def test_the_task_renders_250_real_packing_slips_chunk_by_chunk(store_a, monkeypatch):
    job = job_of(store_a, 250)
    recorded = []
    real = print_jobs._progress

    def watched(job, worker):
        progress = real(job, worker)

        def record(done):
            progress(done)
            recorded.append(PrintJob.objects.values_list("state", "done").get(pk=job.pk))

        return record

    monkeypatch.setattr(print_jobs, "_progress", watched)
    assert print_job_task(job.pk).startswith(f"print job {job.pk}: done, 250 of 250 order(s)")
    assert recorded == [("running", n) for n in range(10, 251, 10)]  # 25 chunks of 10 slips
    job.refresh_from_db()
    assert (job.state, job.done, job.attempts, job.leased_by, job.lease_until) == ("done", 250, 1, "", None)
    pages = pypdf.PdfReader(io.BytesIO(bytes(job.pdf))).pages
    assert len(pages) == 250 and job.pdf_bytes == len(bytes(job.pdf))
    assert "Order #J-000" in pages[0].extract_text() and "Order #J-249" in pages[249].extract_text()


def test_a_pick_list_job_renders_one_document(store_a):
    job = job_of(store_a, 15, kind="pick_list")
    print_job_task(job.pk)
    job.refresh_from_db()
    assert job.state == "done" and job.done == 15
    assert "SKU0" in pypdf.PdfReader(io.BytesIO(bytes(job.pdf))).pages[0].extract_text()


def test_a_finished_job_or_one_held_by_a_live_worker_is_not_taken_again(store_a):
    job = job_of(store_a, 12, state=PrintState.DONE, pdf=b"%PDF-old")
    assert print_jobs.print_job_run(job.pk, worker="w2") is None
    held = job_of(store_a, 12, state=PrintState.RUNNING, leased_by="w1", lease_until=timezone.now() + dt.timedelta(60))
    assert print_jobs.print_job_run(held.pk, worker="w2") is None
    assert PrintJob.objects.get(pk=held.pk).leased_by == "w1"


def test_a_worker_whose_job_was_handed_to_another_stops_and_keeps_nothing(store_a, monkeypatch):
    job = job_of(store_a, 25)
    real = print_jobs._progress

    def taken_over(job, worker):
        progress = real(job, worker)

        def record(done):
            PrintJob.objects.filter(pk=job.pk).update(leased_by="w2")  # the sweep gave it to another worker
            progress(done)

        return record

    monkeypatch.setattr(print_jobs, "_progress", taken_over)
    assert print_jobs.print_job_run(job.pk, worker="w1") is None
    job.refresh_from_db()
    assert job.state == "running" and job.pdf is None and job.leased_by == "w2"


def test_the_sweep_resumes_a_job_whose_worker_died_and_it_renders_from_the_start(store_a, settings):
    now = timezone.now()
    job = job_of(store_a, 12, state=PrintState.RUNNING, done=10, attempts=1, leased_by="dead")
    PrintJob.objects.filter(pk=job.pk).update(lease_until=now - dt.timedelta(seconds=1))
    queued = []
    assert print_jobs.print_jobs_sweep(now=now, enqueue_job=queued.append)["resumed"] == 1
    assert print_jobs.print_jobs_sweep(now=now, enqueue_job=queued.append)["resumed"] == 0  # queued once
    assert queued == [job.pk]
    job.refresh_from_db()
    assert (job.queued_at, job.lease_until, job.leased_by) == (now, None, "")
    print_job_task(job.pk)  # the worker the sweep queued it for
    job.refresh_from_db()
    assert (job.state, job.done, job.attempts) == ("done", 12, 2)
    assert len(pypdf.PdfReader(io.BytesIO(bytes(job.pdf))).pages) == 12


def test_a_job_never_taken_is_queued_again_after_a_lease(store_a, settings):
    job = job_of(store_a, 12)
    later = timezone.now() + dt.timedelta(seconds=settings.BATCH_LEASE_SECONDS + 1)
    queued = []
    print_jobs.print_jobs_sweep(now=timezone.now(), enqueue_job=queued.append)
    assert queued == []  # still within its lease of waiting
    print_jobs.print_jobs_sweep(now=later, enqueue_job=queued.append)
    assert queued == [job.pk]


def test_after_the_last_attempt_the_job_is_failed_with_the_reason(store_a, settings):
    now = timezone.now()
    job = job_of(store_a, 12, state=PrintState.RUNNING, attempts=settings.BATCH_MAX_ATTEMPTS, leased_by="dead")
    PrintJob.objects.filter(pk=job.pk).update(lease_until=now - dt.timedelta(seconds=1))
    queued = []
    assert print_jobs.print_jobs_sweep(now=now, enqueue_job=queued.append)["failed"] == 1
    job.refresh_from_db()
    assert queued == [] and job.state == "failed" and job.finished_at == now
    assert job.error == f"gave up after {settings.BATCH_MAX_ATTEMPTS} attempts"


def test_finished_jobs_are_deleted_after_their_retention(store_a, settings):
    now = timezone.now()
    keep = dt.timedelta(hours=settings.PRINT_JOBS_KEEP_HOURS)
    job_of(store_a, 1, state=PrintState.DONE, pdf=b"%PDF", finished_at=now - keep - dt.timedelta(seconds=1))
    recent = job_of(store_a, 1, state=PrintState.DONE, pdf=b"%PDF", finished_at=now - keep + dt.timedelta(minutes=1))
    abandoned = job_of(store_a, 1)
    PrintJob.objects.filter(pk=abandoned.pk).update(created_at=now - keep - dt.timedelta(seconds=1))
    PrintJob.objects.filter(pk=recent.pk).update(created_at=now - keep - dt.timedelta(hours=1))
    assert print_jobs.print_jobs_sweep(now=now, enqueue_job=lambda pk: None)["deleted"] == 2
    assert list(PrintJob.objects.values_list("pk", flat=True)) == [recent.pk]
    assert print_jobs_sweep_task() == "print jobs: 0 resumed, 0 failed, 0 deleted"


def test_the_task_is_queued_on_the_batches_queue_in_the_printing_group(monkeypatch, settings):
    import django_q.tasks

    calls = []
    monkeypatch.setattr(django_q.tasks, "async_task", lambda *a, **k: calls.append((a, k)))
    print_jobs.enqueue(7)
    cluster = settings.Q_QUEUES["batches"]["name"]
    assert calls == [
        (("shipments.tasks.print_job_task", 7), {"task_name": "print-7", "group": "printing", "cluster": cluster})
    ]


def test_the_sweep_is_scheduled_every_minute():
    from ops.schedules import declared_schedules

    assert ("outbound-print-jobs-sweep", "shipments.tasks.print_jobs_sweep_task", 1, "batches") in declared_schedules()
