"""End of day in the portal (labels.endofday): the labels waiting for a manifest, per ship-from, carrier and
ship date; one click (then a confirmation page) makes the carrier's manifest; the manifests made, their PDF,
and "release" of one whose outcome is unknown (a confirmation). Plain forms and pages, no JavaScript."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from carriers.capabilities import capabilities_of
from carriers.models import CarrierCode
from carriers.selectors import ship_from_get
from labels.endofday.selectors import manifest_get, manifest_list, pending_labels, waiting
from labels.endofday.services import NoManifestCall, manifest_create, manifest_release
from labels.models import ManifestState

from ..tenancy import portal_view


@portal_view()
def end_of_day(request):
    return render(
        request,
        "portal/labels/end_of_day.html",
        {"waiting": waiting(tenant=request.tenant), "manifests": manifest_list(tenant=request.tenant), "nav": "eod"},
    )


def _has_manifest(carrier: str) -> bool:
    caps = capabilities_of(carrier)
    return bool(caps and caps.manifest is True)


def _group(request, data):
    """The (ship-from, carrier, ship date) a form or link names, or 404."""
    carrier = data.get("carrier") or ""
    if carrier not in CarrierCode.values:
        raise Http404("No such carrier.")
    try:
        day = dt.date.fromisoformat(data.get("date") or "")
    except ValueError:
        raise Http404("No such date.") from None
    return ship_from_get(tenant=request.tenant, pk=data.get("ship_from")), carrier, day


@portal_view("ship")
def end_of_day_confirm(request, ship_from, carrier, date):
    """GET: what the manifest will hold, before anything is sent to the carrier."""
    place, carrier, day = _group(request, {"ship_from": ship_from, "carrier": carrier, "date": date})
    labels = list(
        pending_labels(tenant=request.tenant, ship_from=place, carrier=carrier, ship_date=day)
        .select_related("order")
        .order_by("pk")
    )
    return render(
        request,
        "portal/labels/end_of_day_confirm.html",
        {
            "place": place,
            "carrier": carrier,
            "day": day,
            "labels": labels,
            "no_manifest": None if _has_manifest(carrier) else NoManifestCall(carrier).messages[0],
            "nav": "eod",
        },
    )


@portal_view("ship")
@require_POST
def end_of_day_make(request):
    place, carrier, day = _group(request, request.POST)
    try:
        manifest = manifest_create(
            tenant=request.tenant, ship_from=place, carrier=carrier, ship_date=day, user=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("portal:end_of_day")
    if manifest.state == ManifestState.MADE:
        messages.success(
            request,
            _("Manifest made: %(count)s labels. Print it for the driver.") % {"count": manifest.label_count},
        )
    elif manifest.state == ManifestState.UNCERTAIN:
        messages.warning(request, manifest.error)
    else:
        messages.error(request, manifest.error)
    return redirect("portal:end_of_day")


@portal_view()
def manifest_document(request, pk):
    manifest = manifest_get(tenant=request.tenant, pk=pk)
    if manifest.state != ManifestState.MADE or not manifest.document:
        raise Http404("This manifest has no document.")
    response = HttpResponse(bytes(manifest.document), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="manifest-{manifest.carrier_number or manifest.pk}.pdf"'
    return response


@portal_view("ship")
@require_http_methods(["GET", "POST"])
def manifest_release_view(request, pk):
    """GET asks (check with the carrier first); POST lets the labels wait for the next end of day."""
    manifest = manifest_get(tenant=request.tenant, pk=pk)
    if request.method == "POST":
        try:
            manifest_release(manifest=manifest, user=request.user)
            messages.success(request, _("Released: its labels wait for the next end of day."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("portal:end_of_day")
    return render(request, "portal/labels/manifest_release.html", {"manifest": manifest, "nav": "eod"})
