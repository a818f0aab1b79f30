"""Printing a big selection from the portal: a print job, rendered by a worker, never in the request.

What they prove: 250 packing slips (or a pick list of 250 orders) posted to today's URLs start a job and
answer with a redirect to its page without rendering anything (the renderer is counted); the page shows a
progress bar that refreshes itself without JavaScript; the status endpoint moves while the worker renders,
chunk by chunk; the download is the PDF once it is ready (404 before); a failure is shown with its reason;
a small selection still answers the PDF inline; another tenant sees and downloads nothing (also in
tests/portal/test_access.py).
"""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.urls import reverse

from orders.models import Order
from shipments import print_jobs, printing
from shipments.models import PrintJob, PrintState
from tests.factories import make_order

pypdf = pytest.importorskip("pypdf")
try:
    import weasyprint  # noqa: F401
except OSError:
    pytest.skip("WeasyPrint's system libraries are not installed", allow_module_level=True)


@pytest.fixture
def no_inline_tasks(monkeypatch):
    """Tasks wait for a worker (as in production): the request only queues the job; the queued ids are kept."""
    monkeypatch.setitem(settings.Q_CLUSTER, "sync", False)
    queued = []
    monkeypatch.setattr(print_jobs, "enqueue", queued.append)
    return queued


@pytest.fixture
def renders(monkeypatch):
    """How many documents WeasyPrint laid out (every PDF goes through printing._render)."""
    calls = []
    real = printing._render

    def counted(*args, **kwargs):
        calls.append(kwargs.get("orders"))
        return real(*args, **kwargs)

    monkeypatch.setattr(printing, "_render", counted)
    return calls


def orders_of(store, n: int) -> list[int]:
    return [make_order(store, lines=2, number=f"P-{i:03d}").pk for i in range(n)]


@pytest.mark.parametrize("url", ["portal:orders_packing_slips", "portal:orders_pick_list"])
def test_250_orders_start_a_job_and_the_request_renders_nothing(
    url, alice_client, store_a, no_inline_tasks, renders, django_capture_on_commit_callbacks
):
    ids = orders_of(store_a, 250)
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse(url), {"order_ids": ids})
    job = PrintJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("portal:print_job", args=[job.pk])
    assert renders == []  # nothing was laid out within the request
    assert no_inline_tasks == [job.pk]  # queued once, after the commit
    # The documents' order is the list's (newest first by default).
    assert (job.state, job.done, job.total, job.order_ids) == (PrintState.QUEUED, 0, 250, ids[::-1])
    assert job.tenant_id == store_a.tenant_id and job.language == "en"


def test_starting_a_job_costs_the_same_queries_for_20_or_250_orders(alice_client, store_a, no_inline_tasks, renders):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    alice_client.get(reverse("portal:dashboard"))  # the session learns its workspace once
    counts = []
    for size in (20, 250):
        ids = orders_of(store_a, size)
        with CaptureQueriesContext(connection) as queries:
            assert alice_client.post(reverse("portal:orders_packing_slips"), {"order_ids": ids}).status_code == 302
        counts.append(len(queries))
    assert counts[0] == counts[1] and renders == []


def test_a_small_selection_still_answers_the_pdf_inline(alice_client, store_a, no_inline_tasks, renders):
    ids = orders_of(store_a, settings.PRINT_INLINE_MAX_ORDERS)
    response = alice_client.post(reverse("portal:orders_packing_slips"), {"order_ids": ids})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert len(pypdf.PdfReader(io.BytesIO(response.content)).pages) == len(ids)
    assert not PrintJob.objects.exists() and no_inline_tasks == []


def test_the_page_follows_the_job_and_the_download_is_the_pdf(alice_client, store_a, no_inline_tasks):
    ids = orders_of(store_a, 25)
    page_url = alice_client.post(reverse("portal:orders_packing_slips"), {"order_ids": ids})["Location"]
    job = PrintJob.objects.get()
    status_url = reverse("portal:print_job_status", args=[job.pk])
    download_url = reverse("portal:print_job_download", args=[job.pk])

    page = alice_client.get(page_url)
    body = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert '<progress id="print-progress" max="25" value="0"' in body
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in body  # follows without JavaScript
    assert f'data-status-url="{status_url}"' in body and 'id="print-job-download"' not in body
    assert alice_client.get(download_url).status_code == 404  # not ready

    seen = []

    def progress_as_the_user_sees_it(job, worker):
        record = real_progress(job, worker)

        def progress(done):
            record(done)
            seen.append(alice_client.get(status_url).json())

        return progress

    real_progress = print_jobs._progress
    print_jobs._progress = progress_as_the_user_sees_it
    try:
        print_jobs.print_job_run(job.pk, worker="w1")  # what the worker's task calls
    finally:
        print_jobs._progress = real_progress
    assert [(s["state"], s["done"], s["percent"]) for s in seen] == [
        ("running", 10, 40),
        ("running", 20, 80),
        ("running", 25, 100),
    ]
    assert seen[0]["count_label"] == "Orders rendered: 10 of 25 (40%)." and not seen[0]["finished"]

    status = alice_client.get(status_url).json()
    assert status["finished"] and status["state"] == "done" and status["download_url"] == download_url
    body = alice_client.get(page_url).content.decode()
    assert 'id="print-job-download"' in body and "http-equiv" not in body and 'value="25"' in body
    pdf = alice_client.get(download_url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("inline;") and "-25-orders.pdf" in pdf["Content-Disposition"]
    pages = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages]
    assert len(pages) == 25 and "Order #P-024" in pages[0] and "Order #P-000" in pages[-1]


def test_a_french_reader_gets_a_french_page_and_french_documents(alice_client, store_a, no_inline_tasks):
    alice_client.cookies["django_language"] = "fr"
    ids = orders_of(store_a, 12)
    page_url = alice_client.post(reverse("portal:orders_pick_list"), {"order_ids": ids})["Location"]
    job = PrintJob.objects.get()
    assert job.language == "fr" and "En attente d" in alice_client.get(page_url).content.decode()
    print_jobs.print_job_run(job.pk, worker="w1")
    assert "Ouvrir le PDF" in alice_client.get(page_url).content.decode()
    pdf = alice_client.get(reverse("portal:print_job_download", args=[job.pk]))
    assert "Liste de préparation" in pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()


def test_a_failure_is_shown_with_its_reason(alice_client, store_a, no_inline_tasks, monkeypatch):
    ids = orders_of(store_a, 12)
    page_url = alice_client.post(reverse("portal:orders_packing_slips"), {"order_ids": ids})["Location"]
    job = PrintJob.objects.get()

    def broken(orders, **kwargs):
        raise RuntimeError("the template is broken")

    monkeypatch.setitem(print_jobs.RENDERERS, job.kind, broken)
    monkeypatch.setattr(settings, "BATCH_MAX_ATTEMPTS", 1)
    with pytest.raises(RuntimeError):
        print_jobs.print_job_run(job.pk, worker="w1")  # the task raises: django-q2 records it too
    print_jobs.print_jobs_sweep(enqueue_job=no_inline_tasks.append)  # the next minute: out of attempts
    status = alice_client.get(reverse("portal:print_job_status", args=[job.pk])).json()
    assert status["state"] == "failed" and status["finished"] and status["download_url"] == ""
    assert status["error"] == "gave up after 1 attempts: RuntimeError: the template is broken"
    body = alice_client.get(page_url).content.decode()
    assert 'id="print-job-failed"' in body and "RuntimeError: the template is broken" in body
    assert "http-equiv" not in body  # a finished job's page stops refreshing
    assert alice_client.get(reverse("portal:print_job_download", args=[job.pk])).status_code == 404


def test_orders_deleted_before_the_worker_came_fail_the_job_in_words(alice_client, store_a, no_inline_tasks):
    ids = orders_of(store_a, 12)
    alice_client.post(reverse("portal:orders_packing_slips"), {"order_ids": ids})
    Order.objects.filter(pk__in=ids).delete()
    job = print_jobs.print_job_run(PrintJob.objects.get().pk, worker="w1")
    assert job.state == "failed" and job.error == "None of these orders exist any more."


def test_another_tenant_neither_sees_nor_downloads_the_job(alice_client, charlie_client, store_a, no_inline_tasks):
    ids = orders_of(store_a, 12)
    alice_client.post(reverse("portal:orders_packing_slips"), {"order_ids": ids})
    job = print_jobs.print_job_run(PrintJob.objects.get().pk, worker="w1")
    for name in ("portal:print_job", "portal:print_job_status", "portal:print_job_download"):
        url = reverse(name, args=[job.pk])
        assert alice_client.get(url).status_code == 200
        response = charlie_client.get(url)
        assert response.status_code == 404 and b"%PDF" not in response.content and b"P-000" not in response.content


def test_a_job_of_another_tenants_orders_prints_none_of_them(charlie_client, store_a, no_inline_tasks):
    ids = orders_of(store_a, 12)
    assert charlie_client.post(reverse("portal:orders_packing_slips"), {"order_ids": ids}).status_code == 404
    assert not PrintJob.objects.exists()
