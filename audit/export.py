"""The audit trail as a CSV download (the portal's export and the admin's action): streamed, every text cell
safe to open in a spreadsheet (core.csv_cells)."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.utils import timezone

from core.csv_cells import plain_csv_lines

from .selectors import audit_csv_rows


def audit_csv_response(entries) -> StreamingHttpResponse:
    response = StreamingHttpResponse(plain_csv_lines(audit_csv_rows(entries)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.localtime():%Y%m%d-%H%M}.csv"'
    response["Cache-Control"] = "no-store"
    return response
