"""The pack station (issue 32, docs/pack-station.md): one page for a USB barcode scanner (a keyboard that
types fast and presses Enter) and a keyboard, and the JSON endpoints its script (static/pack.js) calls.

    GET  /pack/                         the page
    POST /pack/slip/                    a slip scanned or a number typed → the order's lines to pack
    POST /pack/<session>/scan/          an item scanned → ticked, or refused (wrong, extra, unknown)
    POST /pack/<session>/skip/          skip verification (owners, admins, granted users)
    POST /pack/<session>/label/         every line packed → the label bought with the order's preset
    POST /pack/<session>/leave/         the order left on the bench (Escape)
    GET  /shipments/<id>/pack-label.<fmt>  the label for the station's printer (a PDF the page prints from
                                           a frame of its own, or the ZPL file)
    GET  /orders/<id>/packing-slip.pdf     the packing slip again (framed and printed the same way)
    /pack/settings/, /pack/barcodes/    the station's label format and skip grants; products' barcodes

Everything goes through packing.services and packing.selectors, in the user's workspace: another
workspace's order number is "no such order", another's session a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from labels.models import LabelFormat
from labels.selectors import document_of_shipment
from orders.models import Product
from packing import selectors as pack_selectors
from packing import services as pack_services
from packing.models import PackSession, ProductBarcode
from packing.services import PackRefused
from shipments import printing
from stores.selectors import membership_list

from ..tenancy import get_order_for_user, get_shipment_for_user, portal_view


def _session(request, pk) -> PackSession:
    try:
        return pack_selectors.session_get(tenant=request.tenant, pk=pk)
    except PackSession.DoesNotExist:
        raise Http404("No such packing.") from None


def _refused(exc: PackRefused) -> JsonResponse:
    return JsonResponse(
        {"refused": True, "result": exc.result or "refused", "message": exc.message, **exc.data}, status=exc.status
    )


def _state(session: PackSession) -> dict:
    return {
        "session": session.pk,
        "packed": {key: session.packed.get(key, 0) for key in session.to_pack},
        "complete": session.complete,
        "skipped": session.skipped,
    }


def _options(line) -> str:
    return ", ".join(
        f"{o.get('name')}: {o.get('value')}" if o.get("name") else str(o.get("value", ""))
        for o in (line.options or [])
        if isinstance(o, dict)
    )


def _urls(session: PackSession) -> dict:
    return {
        "scan": reverse("portal:pack_scan", args=[session.pk]),
        "skip": reverse("portal:pack_skip", args=[session.pk]),
        "label": reverse("portal:pack_label", args=[session.pk]),
        "leave": reverse("portal:pack_leave", args=[session.pk]),
        "slip": reverse("portal:pack_slip_pdf", args=[session.order_id]),
        "order": reverse("portal:order_detail", args=[session.order_id]),
    }


@portal_view("ship")
def pack_station(request):
    profile = pack_selectors.profile_of(tenant=request.tenant, user=request.user)
    return render(
        request,
        "portal/pack/station.html",
        {
            "label_format": profile.label_format if profile else LabelFormat.PDF,
            "may_skip": pack_selectors.may_skip(request.membership, profile, look_up=False),
            "open_number": request.GET.get("number", "")[:50],
            "nav": "pack",
        },
    )


@portal_view("ship")
@require_POST
def pack_slip(request):
    try:
        session = pack_services.pack_open(tenant=request.tenant, code=request.POST.get("code", ""), user=request.user)
    except PackRefused as exc:
        return _refused(exc)
    order = session.order
    preset = order.shipping_preset
    return JsonResponse(
        {
            **_state(session),
            "urls": _urls(session),
            "message": _("Order %(number)s: scan each item.") % {"number": order.number},
            "order": {
                "id": order.pk,
                "number": order.number,
                "store": order.store.name,
                "ship_to": order.ship_to_name or (order.ship_to or {}).get("name", ""),
                "preset": preset.name if preset else "",
            },
            "lines": [
                {
                    "id": str(line.pk),
                    "sku": line.sku,
                    "name": line.name,
                    "options": _options(line),
                    "location": line.warehouse_location,
                    "to_pack": units,
                }
                for line, units in session.lines
            ],
        }
    )


@portal_view("ship")
@require_POST
def pack_scan(request, pk):
    session = _session(request, pk)
    try:
        _result, line_id, session = pack_services.pack_scan(
            session=session, code=request.POST.get("code", ""), user=request.user
        )
    except PackRefused as exc:
        return _refused(exc)
    return JsonResponse({**_state(session), "result": "ok", "line": line_id})


@portal_view("ship")
@require_POST
def pack_skip(request, pk):
    session = _session(request, pk)
    try:
        session = pack_services.pack_skip(session=session, user=request.user, membership=request.membership)
    except PackRefused as exc:
        return _refused(exc)
    return JsonResponse({**_state(session), "result": "skipped", "message": _("Verification skipped.")})


@portal_view("ship")
@require_POST
def pack_label(request, pk):
    session = _session(request, pk)
    try:
        session = pack_services.pack_label(session=session, user=request.user)
    except PackRefused as exc:
        return _refused(exc)
    purchase = session.purchase
    documents = {d for d in ("pdf", "zpl") if purchase.shipment_id and _has_document(request, purchase, d)}
    fmt = next(
        (
            f
            for f in (pack_selectors.label_format_of(tenant=request.tenant, user=request.user), "pdf", "zpl")
            if f in documents
        ),
        "",
    )
    return JsonResponse(
        {
            "result": "label",
            "message": _("Label bought: %(carrier)s %(number)s. Ready for the next slip.")
            % {"carrier": purchase.carrier, "number": purchase.tracking_number},
            "tracking_number": purchase.tracking_number,
            "format": fmt,
            "document": reverse("portal:pack_label_document", args=[purchase.shipment_id, fmt]) if fmt else "",
            "order": reverse("portal:order_detail", args=[session.order_id]),
        }
    )


def _has_document(request, purchase, fmt) -> bool:
    return document_of_shipment(tenant=request.tenant, shipment_id=purchase.shipment_id, fmt=fmt) is not None


@portal_view("ship")
@require_POST
def pack_leave(request, pk):
    pack_services.pack_leave(session=_session(request, pk))
    return JsonResponse({"result": "left", "message": _("Order left. Scan the next packing slip.")})


@portal_view()
@xframe_options_sameorigin  # the pack page prints it from a frame of its own
def pack_label_document(request, pk, fmt):
    shipment = get_shipment_for_user(request, pk)
    document = document_of_shipment(tenant=request.tenant, shipment_id=shipment.pk, fmt=fmt)
    if document is None:
        raise Http404("No such label.")
    content_type = "application/pdf" if fmt == LabelFormat.PDF else "application/zpl"
    response = HttpResponse(bytes(document.content), content_type=content_type)
    disposition = "inline" if fmt == LabelFormat.PDF else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="label-{shipment.tracking_number}.{fmt}"'
    return response


@portal_view()
@xframe_options_sameorigin
def pack_slip_pdf(request, pk):
    order = get_order_for_user(request, pk)
    try:
        pdf = printing.packing_slips_pdf([order])
    except OSError:  # WeasyPrint's system libraries are missing (bin/ensure-weasyprint)
        return HttpResponse(_("Packing slips cannot be printed on this server."), status=503, content_type="text/plain")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{printing.packing_slips_filename([order])}"'
    return response


# --- the station's settings -------------------------------------------------------------------------------


@portal_view("ship")
def pack_settings(request):
    can_grant = request.membership.can("manage_users")
    if request.method == "POST":
        try:
            if request.POST.get("section") == "grants":
                if not can_grant:
                    raise Http404("Not allowed.")
                granted = set(request.POST.getlist("may_skip"))
                for membership in membership_list(tenant=request.tenant):
                    if membership.role in pack_selectors.SKIP_ROLES:
                        continue
                    pack_services.pack_profile_set(
                        tenant=request.tenant, user=membership.user, may_skip=str(membership.pk) in granted
                    )
                messages.success(request, _("Who may skip verification is saved."))
            else:
                pack_services.pack_profile_set(
                    tenant=request.tenant, user=request.user, label_format=request.POST.get("label_format", "")
                )
                messages.success(request, _("Your station's label format is saved."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("portal:pack_settings")
    profiles = pack_selectors.profiles_by_user(tenant=request.tenant)
    mine = profiles.get(request.user.pk)
    members = []
    if can_grant:
        for membership in membership_list(tenant=request.tenant):
            if not membership.can("ship"):
                continue
            by_role = membership.role in pack_selectors.SKIP_ROLES
            profile = profiles.get(membership.user_id)
            members.append(
                {"membership": membership, "by_role": by_role, "granted": bool(profile and profile.may_skip)}
            )
    return render(
        request,
        "portal/pack/settings.html",
        {
            "label_format": mine.label_format if mine else LabelFormat.PDF,
            "formats": LabelFormat.choices,
            "can_grant": can_grant,
            "members": members,
            "nav": "pack",
        },
    )


# --- products' barcodes -----------------------------------------------------------------------------------


@portal_view("ship")
def pack_barcodes(request):
    if request.method == "POST":
        try:
            product = pack_selectors.product_get(tenant=request.tenant, pk=request.POST.get("product"))
        except (ValueError, TypeError, ValidationError, Product.DoesNotExist):
            raise Http404("No such product.") from None
        try:
            barcode = pack_services.barcode_add(product=product, code=request.POST.get("code", ""))
            messages.success(
                request, _("Barcode %(code)s added to %(sku)s.") % {"code": barcode.code, "sku": product.sku}
            )
        except ValidationError as exc:
            messages.error(request, f"{product.sku}: {' '.join(exc.messages)}")
        return redirect(reverse("portal:pack_barcodes") + _query(request.POST))
    query = request.GET.get("q", "").strip()[:100]
    after = None
    if request.GET.get("after_sku") is not None and request.GET.get("after_id", "").isdigit():
        after = (request.GET["after_sku"], int(request.GET["after_id"]))
    rows = pack_selectors.products_page(tenant=request.tenant, query=query, after=after)
    page, more = rows[:50], len(rows) > 50
    codes = pack_selectors.barcodes_of(tenant=request.tenant, product_ids=[p.pk for p in page])
    return render(
        request,
        "portal/pack/barcodes.html",
        {
            "products": [(p, codes.get(p.pk, [])) for p in page],
            "query": query,
            "next_after": (page[-1].sku, page[-1].pk) if more else None,
            "nav": "pack",
        },
    )


def _query(data) -> str:
    from urllib.parse import urlencode

    query = (data.get("q") or "").strip()[:100]
    return f"?{urlencode({'q': query})}" if query else ""


@portal_view("ship")
@require_POST
def pack_barcode_remove(request, pk):
    try:
        barcode = pack_selectors.barcode_get(tenant=request.tenant, pk=pk)
    except ProductBarcode.DoesNotExist:
        raise Http404("No such barcode.") from None
    pack_services.barcode_remove(barcode=barcode)
    messages.success(
        request, _("Barcode %(code)s removed from %(sku)s.") % {"code": barcode.code, "sku": barcode.product.sku}
    )
    return redirect(reverse("portal:pack_barcodes") + _query(request.POST))
