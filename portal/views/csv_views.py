"""CSV out (the list's orders, and their shipments, streamed) and CSV in (tracking numbers: upload, preview
with the columns mapped and every row checked, confirm)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from orders.csv_export import ExcelFlavour, orders_csv
from shipments import csv_import
from shipments.csv_export import shipments_csv, shipments_of_orders

from ..batch_forms import ColumnMappingForm, TrackingFileForm
from ..batch_labels import FIELD_LABELS, file_date, row_error_text, row_warning_text
from ..labels import label_for
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


# What Outbound shipped of an order (the orders export's `shipping`), in words for the Excel flavour.
SHIPPING_LABELS = {
    "none": gettext_lazy("Not shipped"),
    "partial": gettext_lazy("Partially shipped"),
    "full": pgettext_lazy("what was shipped of an order", "Fully shipped"),
    "voided": gettext_lazy("Voided"),
}


def _flavour(request) -> ExcelFlavour | None:
    """`format=excel`: the file as a spreadsheet in the user's language opens it (docs/csv.md#excel)."""
    data = request.POST if request.method == "POST" else request.GET
    if data.get("format") != "excel":
        return None
    return ExcelFlavour(
        decimal_comma=get_format("DECIMAL_SEPARATOR") == ",",
        tz=timezone.get_current_timezone(),
        label=lambda code: str(SHIPPING_LABELS.get(code) or label_for(code)),
    )


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
    return _csv_response(orders_csv(selection.orders, _flavour(request)), "orders")


@portal_view()
@require_http_methods(["GET", "POST"])
def shipments_export(request):
    selection = _export_selection(request)
    if selection.refusal:
        return _refused(request, selection)
    shipments = shipments_of_orders(tenant=request.tenant, orders=selection.orders)
    return _csv_response(shipments_csv(shipments, _flavour(request)), "shipments")


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
        "nul": _(
            "The file holds NUL bytes, which a CSV file never does: it is another kind of file, or text in "
            "UTF-16 without its byte-order mark. Save it again from your spreadsheet as “CSV UTF-8”."
        ),
        "bad_encoding": _(
            "The file's text is not valid in the encoding its first bytes announce: save it again from your "
            "spreadsheet as “CSV UTF-8”."
        ),
    }.get(code, _("The file cannot be read as CSV."))


@portal_view("ship")
@require_http_methods(["GET", "POST"])
def tracking_import_preview(request, pk):
    record = csv_import.csv_import_get(tenant=request.tenant, pk=pk)
    headers, rows = csv_import.read_csv(record.content)
    if request.method == "POST":
        if request.POST.get("action") == "confirm":
            if record.batch_id:
                return redirect("portal:batch_result", record.batch_id)
            try:
                batch = csv_import.csv_import_apply(tenant=request.tenant, csv_import=record, user=request.user)
            except ValidationError:
                messages.error(request, _("Choose the columns and the date format first."))
                return redirect("portal:tracking_import_preview", record.pk)
            return redirect("portal:batch_result", batch.pk)
        form = ColumnMappingForm(request.POST, headers=headers)
        if form.is_valid():
            csv_import.csv_import_set_mapping(csv_import=record, mapping=form.mapping())
            return redirect("portal:tracking_import_preview", record.pk)
    else:
        form = ColumnMappingForm(initial=_mapping_initial(record.mapping or {}, headers, rows), headers=headers)
    mapping = record.mapping or {}
    problems = csv_import.mapping_problems(mapping, rows)
    checks = [] if problems else csv_import.check_rows(tenant=request.tenant, csv_import=record)[1]
    errors = [(c, [row_error_text(code, params) for code, params in c.errors]) for c in checks if not c.valid]
    others = [
        (c, file_date(c.ship_date), [row_warning_text(code, params) for code, params in c.warnings])
        for c in checks
        if c.valid
    ]
    question, example = csv_import.date_question(mapping, rows)
    return render(
        request,
        "portal/orders/import_preview.html",
        {
            "record": record,
            "form": form,
            "problems": problems,
            "missing": [FIELD_LABELS[name] for name in problems if name in FIELD_LABELS],
            "duplicate_mapping": "duplicate" in problems,
            "date_question": question,
            "date_example": example,
            "date_readings": _readings_text(example) if question == "ambiguous" else None,
            "date_order": mapping.get(csv_import.DATE_ORDER) or csv_import.detected_date_order(mapping, rows),
            "errors": errors,
            "others": others[:PREVIEW_ROWS],
            "others_hidden": max(0, len(others) - PREVIEW_ROWS),
            "will_ship": sum(1 for c in checks if c.will_ship),
            "already": sum(1 for c in checks if c.already_imported),
            "warned": sum(1 for c in checks if c.valid and c.warnings),
            "rows_total": len(checks),
            "nav": "orders",
        },
    )


def _mapping_initial(mapping: dict, headers, rows) -> dict:
    """The form as the import stands; when its dates can be read two ways, day first is offered when the
    user's language or the file's headers are French (month first otherwise), for the user to confirm."""
    initial = {k: ("" if v is None else str(v)) for k, v in mapping.items() if k in csv_import.FIELDS}
    initial[csv_import.DATE_ORDER] = mapping.get(csv_import.DATE_ORDER) or ""
    if csv_import.date_question(mapping, rows)[0]:
        french = (get_language() or "").startswith("fr") or csv_import.headers_are_french(headers)
        initial[csv_import.DATE_ORDER] = "dmy" if french else "mdy"
    return initial


def _readings_text(value: str) -> dict:
    return {order: file_date(csv_import.read_date(value, order)) for order in csv_import.DATE_ORDERS}
