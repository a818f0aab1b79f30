"""Label batches in the portal (issue 29 part 5): from the order list's selection, choose how each order's
rate is picked, see the preview (every rate, the total, today's spend against the daily limit, every order
that cannot be labelled and why) before paying, confirm, follow the progress, read each order's result, open
the merged labels and the packing slips in the same order. Everything through labels.batches; works without
JavaScript (plain forms; the progress page refreshes itself)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from carriers.selectors import package_preset_get, package_preset_list
from labels import batches
from labels.models import BatchMode, BatchState, LabelFormat
from labels.rates import service_name
from labels.selectors import spend_today
from orders.selectors import shipping_preset_list
from shipments import print_jobs
from shipments.models import PrintKind

from ..tenancy import portal_view
from .batch import _back_to_list, _pairs, _selected_orders

POLL_SECONDS = 2


@portal_view("ship")
@require_POST
def label_batch_new(request):
    """From the list's selection: how to pick each order's rate, and the label format."""
    selection, orders = _selected_orders(request)
    if orders is None:
        return _back_to_list(selection)
    return render(
        request,
        "portal/labels/batch_new.html",
        {
            "orders": orders,
            "selection_query": _pairs(selection.query),
            "presets": list(shipping_preset_list(tenant=request.tenant)),
            "packages": list(package_preset_list(tenant=request.tenant)),
            "nonce": uuid.uuid4().hex,
            "nav": "orders",
        },
    )


@portal_view("ship")
@require_POST
def label_batch_preview(request):
    selection, orders = _selected_orders(request)
    if orders is None:
        return _back_to_list(selection)
    post = request.POST
    try:
        preset = None
        if post.get("mode") == BatchMode.PRESET and post.get("preset"):
            preset = shipping_preset_list(tenant=request.tenant).filter(pk=int(post["preset"])).first()
            if preset is None:
                raise Http404
        package = package_preset_get(tenant=request.tenant, pk=post["package"]) if post.get("package") else None
    except (Http404, ValueError):
        messages.error(request, _("Choose a shipping preset or package of yours."))
        return _back_to_list(selection)
    try:
        batch = batches.label_batch_preview(
            tenant=request.tenant,
            orders=orders,
            mode=post.get("mode", ""),
            preset=preset,
            package=package,
            label_format=post.get("format") or LabelFormat.PDF,
            key=f"portal:{post.get('nonce') or uuid.uuid4().hex}",
            user=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back_to_list(selection)
    return redirect("portal:label_batch", batch.pk)


def _rows(batch):
    rows = []
    for item in batches.batch_items(batch):
        outcome = batches.item_outcome(item)
        purchase = item.purchase
        if outcome == "bought":
            detail = ""
        elif outcome == "failed":
            detail = (purchase.error if purchase is not None else "") or item.error
        elif outcome == "uncertain":
            detail = purchase.error or _("Purchase uncertain — check with the carrier.")
        else:
            detail = item.problem
        rows.append(
            {
                "item": item,
                "outcome": outcome,
                "detail": detail,
                "purchase": purchase,
                "service_name": service_name(item.service) if item.service else "",
            }
        )
    return rows


@portal_view()
def label_batch(request, pk):
    """The batch's page: its preview and confirmation, then its progress, then each order's result."""
    batch = batches.label_batch_get(tenant=request.tenant, pk=pk)
    rows = _rows(batch)
    labels = {
        "pending": _("Waiting"),
        "bought": _("Bought"),
        "failed": _("Not bought"),
        "uncertain": _("Purchase uncertain"),
        "skipped": _("Cannot be labelled"),
    }
    for row in rows:
        row["label"] = labels[row["outcome"]]
    spent = spend_today(tenant=request.tenant)
    limit = request.tenant.daily_label_limit
    buyable = [r for r in rows if r["item"].problem == ""]
    context = {
        "batch": batch,
        "rows": rows,
        "buyable": len(buyable),
        "unlabellable": len(rows) - len(buyable),
        "spent": spent,
        "limit": limit,
        "after": spent + batch.total_price,
        "over_limit": limit is not None and batch.state == BatchState.PREVIEW and spent + batch.total_price > limit,
        "status": batches.batch_progress(batch),
        "poll_seconds": POLL_SECONDS,
        "mode_label": {
            BatchMode.CHEAPEST: _("The cheapest rate of every carrier"),
            BatchMode.PRESET: _("One shipping preset for every order"),
            BatchMode.ORDER_PRESET: _("Each order's shipping preset"),
        }[batch.mode],
        "nav": "orders",
    }
    return render(request, "portal/labels/batch.html", context)


@portal_view("ship")
@require_POST
def label_batch_confirm(request, pk):
    batch = batches.label_batch_get(tenant=request.tenant, pk=pk)
    try:
        batches.label_batch_confirm(batch=batch, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("portal:label_batch", batch.pk)


@portal_view()
@require_GET
def label_batch_status(request, pk):
    batch = batches.label_batch_get(tenant=request.tenant, pk=pk)
    status = batches.batch_progress(batch)
    status["count_label"] = _("Labels bought or tried: %(done)d of %(total)d (%(percent)d%%).") % status
    response = JsonResponse(status)
    response["Cache-Control"] = "no-store"
    return response


@portal_view()
@require_GET
def label_batch_document(request, pk):
    batch = batches.label_batch_get(tenant=request.tenant, pk=pk)
    content, count = batches.label_batch_document(batch)
    if not count:  # a document's address: answered as one (plain text), not as a page
        return HttpResponse(_("No label of this batch has a document yet."), status=404, content_type="text/plain")
    fmt = batch.label_format
    response = HttpResponse(content, content_type="application/pdf" if fmt == LabelFormat.PDF else "application/zpl")
    response["Content-Disposition"] = content_disposition_header(fmt == LabelFormat.ZPL, f"labels-{batch.pk}.{fmt}")
    return response


@portal_view()
@require_POST
def label_batch_slips(request, pk):
    """The packing slips of the orders the batch labelled, in the labels' order (a second document)."""
    batch = batches.label_batch_get(tenant=request.tenant, pk=pk)
    orders = [r["item"].order for r in _rows(batch) if r["outcome"] == "bought"]
    if not orders:
        messages.error(request, _("No label was bought in this batch: there is nothing to pack."))
        return redirect("portal:label_batch", batch.pk)
    job = print_jobs.print_job_start(
        tenant=request.tenant, kind=PrintKind.PACKING_SLIPS, orders=orders, user=request.user
    )
    return redirect("portal:print_job", pk=job.pk)
