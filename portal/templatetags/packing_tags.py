"""The pack station's blocks in other pages: the day's packing counts per packer (the dashboard's picture of
the day) and an order's scans (its history)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from packing.models import ScanResult
from packing.selectors import day_counts, scans_of

register = template.Library()

# What each scan result reads as in an order's history (the reader's language).
RESULT_WORDS = {
    ScanResult.SLIP: _("Slip scanned: packing started."),
    ScanResult.SLIP_REFUSED: _("Slip scanned: refused."),
    ScanResult.OK: _("Item scanned: one unit ticked."),
    ScanResult.WRONG_ITEM: _("Wrong item scanned: refused."),
    ScanResult.EXTRA_UNIT: _("Extra unit scanned: refused."),
    ScanResult.UNKNOWN: _("Unknown code scanned: refused."),
    ScanResult.SKIPPED: _("Verification skipped."),
    ScanResult.SKIP_REFUSED: _("Skipping verification refused: not allowed."),
    ScanResult.LABEL: _("Label bought at the pack station."),
    ScanResult.LABEL_FAILED: _("Label not bought at the pack station."),
}


def _words(result: str) -> str:
    return str(RESULT_WORDS.get(result, result))


@register.inclusion_tag("portal/pack/_day_counts.html", takes_context=True)
def pack_day_counts(context):
    request = context["request"]
    return {
        "pack_counts": day_counts(tenant=request.tenant),
        "can_pack": request.membership.can("ship"),
        "request": request,
    }


@register.inclusion_tag("portal/pack/_scans.html", takes_context=True)
def pack_scans(context, order):
    request = context["request"]
    scans = list(scans_of(tenant=request.tenant, order_id=order.pk))
    for scan in scans:
        scan.text = _words(scan.result)
    return {"scans": scans}
