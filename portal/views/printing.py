"""Printing a batch of orders: packing slips and the pick list, as PDF documents shown in the browser.

Both take a selection of the order list (POST: ``order_ids`` repeated, or the list's filters with
``all_matching=1``), always within the user's workspace. Viewers may print too: a printed document
changes nothing (the shipping itself needs the "ship" permission).

A selection of at most settings.PRINT_INLINE_MAX_ORDERS orders is answered with the PDF at once; a bigger
one becomes a print job (shipments/print_jobs.py) rendered by a worker, and the answer is a redirect to
the job's page: a progress bar (polling `print_job_status`; without JavaScript the page refreshes itself)
and the download when it is ready. Nothing is rendered within that request.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shipments import print_jobs, printing
from shipments.models import PrintJob, PrintKind, PrintState

from ..selection import resolve_order_selection
from ..tenancy import portal_view


def _back(request, selection):
    """Where the user came from: `next` when it is this site's, else the order list with the selection's filters."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    query = selection.query.urlencode()
    return redirect(reverse("portal:order_list") + (f"?{query}" if query else ""))


def _print(request, kind: str):
    selection = resolve_order_selection(request.tenant, request.POST)
    if selection.empty:
        messages.error(request, _("Select at least one order to print."))
        return _back(request, selection)
    if selection.refusal:
        messages.error(request, selection.refusal)
        return _back(request, selection)
    # One more than the cap tells a batch that is too big; the list's order is the documents' order. Only
    # what a print job records is read here: a job's request reads nothing else.
    orders = list(selection.orders.select_related(None).only("pk", "number")[: printing.MAX_PRINT_ORDERS + 1])
    if not orders:
        if selection.all_matching:
            messages.error(request, _("No order matches the list's filters: there is nothing to print."))
            return _back(request, selection)
        raise Http404("No such orders.")
    if len(orders) > printing.MAX_PRINT_ORDERS:
        messages.error(
            request,
            ngettext(
                "Print at most %(max)d order at once: select fewer orders, or filter the list.",
                "Print at most %(max)d orders at once: select fewer orders, or filter the list.",
                printing.MAX_PRINT_ORDERS,
            )
            % {"max": printing.MAX_PRINT_ORDERS},
        )
        return _back(request, selection)
    if not print_jobs.renders_inline(len(orders)):
        job = print_jobs.print_job_start(
            tenant=request.tenant, kind=kind, orders=orders, user=request.user, language=get_language()
        )
        return redirect("portal:print_job", pk=job.pk)
    orders = list(selection.orders.filter(pk__in=[order.pk for order in orders]))  # small: read whole
    try:
        pdf = print_jobs.RENDERERS[kind](orders)
    except OSError:  # WeasyPrint's system libraries are missing (bin/ensure-weasyprint installs them)
        messages.error(
            request,
            _(
                "Printing is not available on this server yet: its PDF libraries are not "
                "installed. Ask your administrator."
            ),
        )
        return _back(request, selection)
    return _pdf_response(pdf, print_jobs.FILENAMES[kind](orders))


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response


@portal_view()
@require_POST
def orders_packing_slips(request):
    return _print(request, PrintKind.PACKING_SLIPS)


@portal_view()
@require_POST
def orders_pick_list(request):
    return _print(request, PrintKind.PICK_LIST)


# --- a print job: its page, its status, its PDF -------------------------------------------------------------

# Seconds between two looks at a running job: the page's script polls the status this often, and the page
# without JavaScript refreshes itself.
POLL_SECONDS = 2


def _status(job: PrintJob) -> dict:
    ready = job.state == PrintState.DONE
    return {
        "id": job.pk,
        "state": job.state,
        "state_label": _state_label(job),
        "finished": job.is_finished,
        "stalled": print_jobs.is_stalled(job),
        "done": job.total if ready else job.done,
        "total": job.total,
        "percent": job.percent,
        "count_label": _("Orders rendered: %(done)d of %(total)d (%(percent)d%%).")
        % {"done": job.total if ready else job.done, "total": job.total, "percent": job.percent},
        "download_url": reverse("portal:print_job_download", args=[job.pk]) if ready else "",
        "error": job.error if job.state == PrintState.FAILED else "",
    }


def _state_label(job: PrintJob) -> str:
    if job.state == PrintState.QUEUED:
        return _("Waiting for a worker")
    if job.state == PrintState.RUNNING:
        return _("Rendering")
    if job.state == PrintState.DONE:
        return _("Ready")
    return _("Failed")


@portal_view()
@require_GET
def print_job(request, pk):
    job = print_jobs.print_job_get(tenant=request.tenant, pk=pk)
    status = _status(job)
    title = _("Packing slips") if job.kind == PrintKind.PACKING_SLIPS else _("Pick list")
    response = render(
        request,
        "portal/orders/print_job.html",
        {
            "job": job,
            "status": status,
            "title": title,
            "poll_seconds": POLL_SECONDS,
            "keep_hours": settings.PRINT_JOBS_KEEP_HOURS,
            "nav": "orders",
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@portal_view()
@require_GET
def print_job_status(request, pk):
    job = print_jobs.print_job_get(tenant=request.tenant, pk=pk)
    response = JsonResponse(_status(job))
    response["Cache-Control"] = "no-store"
    return response


@portal_view()
@require_GET
def print_job_download(request, pk):
    job = print_jobs.print_job_get(tenant=request.tenant, pk=pk, with_pdf=True)
    if job.state != PrintState.DONE or job.pdf is None:
        raise Http404("This document is not ready.")
    return _pdf_response(bytes(job.pdf), job.filename)
