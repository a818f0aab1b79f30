"""CSV out (the list's orders, and their shipments, streamed) and CSV in (tracking numbers: upload, preview
with the columns mapped and every row checked, confirm)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from orders.csv_export import orders_csv
from shipments import csv_import
from shipments.csv_export import shipments_csv, shipments_of_orders

from ..batch_forms import ColumnMappingForm, TrackingFileForm
from ..batch_labels import FIELD_LABELS, row_error_text
from ..selection import resolve_order_selection
from ..tenancy import portal_view

PREVIEW_ROWS = 300  # rows shown on the preview besides those with errors (all errors are always shown)


def _export_selection(request):
    """The orders to export: the selection posted from the list, or (a link) every order the list's
    filters match."""
    data = request.POST if request.method == "POST" else request.GET
    selection = resolve_order_selection(request.tenant, data)
    if selection.empty:
        data = data.copy()
        data["all_matching"] = "1"
        selection = resolve_order_selection(request.tenant, data)
    return selection


def _csv_response(lines, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


def _refused(request, selection):
    """Back to the list, saying why nothing is exported (a filter of the list could not be read)."""
    messages.error(request, selection.refusal)
    query = selection.query.urlencode()
    return redirect(reverse("portal:order_list") + (f"?{query}" if query else ""))


@portal_view()
@require_http_methods(["GET", "POST"])
def orders_export(request):
    selection = _export_selection(request)
    if selection.refusal:
        return _refused(request, selection)
    return _csv_response(orders_csv(selection.orders), "orders")


@portal_view()
@require_http_methods(["GET", "POST"])
def shipments_export(request):
    selection = _export_selection(request)
    if selection.refusal:
        return _refused(request, selection)
    orders = selection.orders
    return _csv_response(shipments_csv(shipments_of_orders(tenant=request.tenant, orders=orders)), "shipments")


@portal_view("ship")
def tracking_import(request):
    form = TrackingFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > csv_import.MAX_BYTES:
            form.add_error("file", _("The file is larger than 2 MB: split it."))
        else:
            try:
                record = csv_import.csv_import_create(
                    tenant=request.tenant, raw=upload.read(), filename=upload.name or "", user=request.user
                )
            except ValidationError as exc:
                form.add_error("file", _import_error(exc))
            else:
                return redirect("portal:tracking_import_preview", record.pk)
    return render(
        request,
        "portal/orders/import_upload.html",
        {"form": form, "max_rows": csv_import.MAX_ROWS, "nav": "orders"},
        status=400 if form.errors else 200,
    )


def _import_error(exc: ValidationError) -> str:
    code = getattr(exc, "code", None) or (exc.error_list[0].code if hasattr(exc, "error_list") else None)
    return {
        "too_big": _("The file is larger than 2 MB: split it."),
        "empty": _("The file is empty."),
        "no_rows": _("The file has a header line but no rows."),
        "too_many_rows": _("The file has more than %(max)s rows: split it.") % {"max": csv_import.MAX_ROWS},
    }.get(code, _("The file cannot be read as CSV."))


@portal_view("ship")
@require_http_methods(["GET", "POST"])
def tracking_import_preview(request, pk):
    record = csv_import.csv_import_get(tenant=request.tenant, pk=pk)
    headers, _rows = csv_import.read_csv(record.content)
    if request.method == "POST":
        if request.POST.get("action") == "confirm":
            if record.batch_id:
                return redirect("portal:batch_result", record.batch_id)
            try:
                batch = csv_import.csv_import_apply(tenant=request.tenant, csv_import=record, user=request.user)
            except ValidationError:
                messages.error(request, _("Map the order number, carrier and tracking number columns first."))
                return redirect("portal:tracking_import_preview", record.pk)
            return redirect("portal:batch_result", batch.pk)
        form = ColumnMappingForm(request.POST, headers=headers)
        if form.is_valid():
            csv_import.csv_import_set_mapping(csv_import=record, mapping=form.mapping())
            return redirect("portal:tracking_import_preview", record.pk)
    else:
        form = ColumnMappingForm(
            initial={k: ("" if v is None else str(v)) for k, v in (record.mapping or {}).items()}, headers=headers
        )
    problems = csv_import.mapping_problems(record.mapping or {})
    checks = [] if problems else csv_import.check_rows(tenant=request.tenant, csv_import=record)[1]
    errors = [(c, [row_error_text(code, params) for code, params in c.errors]) for c in checks if not c.valid]
    others = [c for c in checks if c.valid]
    return render(
        request,
        "portal/orders/import_preview.html",
        {
            "record": record,
            "form": form,
            "problems": problems,
            "missing": [FIELD_LABELS[name] for name in problems if name in FIELD_LABELS],
            "duplicate_mapping": "duplicate" in problems,
            "errors": errors,
            "others": others[:PREVIEW_ROWS],
            "others_hidden": max(0, len(others) - PREVIEW_ROWS),
            "will_ship": sum(1 for c in checks if c.will_ship),
            "already": sum(1 for c in checks if c.already_imported),
            "rows_total": len(checks),
            "nav": "orders",
        },
    )
