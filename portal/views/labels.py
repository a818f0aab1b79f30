"""Labels in the portal: rates for an order, buying one (a confirmation that shows the price), reprinting,
voiding (a confirmation), and "void and retry" of an uncertain purchase. Everything through labels.rates,
labels.services and labels.selectors; works without JavaScript (plain forms and pages)."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carriers.selectors import carrier_account_get, package_preset_get, package_preset_list
from labels.models import LabelFormat
from labels.rates import rates_for
from labels.selectors import document_of_shipment, purchase_get
from labels.services import LabelInProgress, label_buy, label_release, label_void
from labels.ship_dates import label_ship_date

from ..tenancy import get_order_for_user, get_shipment_for_user, portal_view


def _package(request):
    pk = request.POST.get("package") or request.GET.get("package")
    return package_preset_get(tenant=request.tenant, pk=pk) if pk else None


@portal_view("ship")
def order_rates(request, pk):
    order = get_order_for_user(request, pk)
    package = _package(request)
    answer = rates_for(order, package=package)
    return render(
        request,
        "portal/labels/rates.html",
        {
            "order": order,
            "answer": answer,
            "package": package,
            "packages": package_preset_list(tenant=request.tenant),
            "nav": "orders",
        },
    )


def _chosen(request, order):
    """The rate picked on the rates page ("account:service"), quoted again by its carrier now."""
    account_id, _sep, service = (request.POST.get("rate") or "").partition(":")
    if not service:
        raise ValidationError(_("Choose a rate."))
    account = carrier_account_get(tenant=request.tenant, pk=account_id)
    package = _package(request)
    answer = rates_for(order, package=package, accounts=[account])
    rate = answer.find(account.pk, service)
    if rate is None:
        why = "; ".join(words for _c, words in answer.errors) or " ".join(answer.problems)
        raise ValidationError(_("This rate is no longer offered: %(why)s") % {"why": why or _("ask for rates again")})
    return account, package, rate


@portal_view("ship")
@require_POST
def order_label_confirm(request, pk):
    order = get_order_for_user(request, pk)
    try:
        account, package, rate = _chosen(request, order)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("portal:order_rates", order.pk)
    return render(
        request,
        "portal/labels/confirm.html",
        {
            "order": order,
            "account": account,
            "package": package,
            "rate": rate,
            "ship_date": label_ship_date(order, account),  # after the cutoff: the next working day
            "nonce": uuid.uuid4().hex,  # one form, one label (order_label_buy)
            "nav": "orders",
        },
    )


@portal_view("ship")
@require_POST
def order_label_buy(request, pk):
    order = get_order_for_user(request, pk)
    account = carrier_account_get(tenant=request.tenant, pk=request.POST.get("account"))
    try:
        price = Decimal(request.POST.get("price") or "")
    except InvalidOperation:
        price = None
    label_format = request.POST.get("format") or LabelFormat.PDF
    try:
        purchase = label_buy(
            order=order,
            account=account,
            service=request.POST.get("service") or "",
            package=_package(request),
            price=price,
            currency=(request.POST.get("currency") or "")[:3],
            label_format=label_format,
            user=request.user,
            # One form, one label: a resubmitted form (back button, double click) answers the first purchase.
            idempotency_key=f"portal:{request.POST.get('nonce', '')}" if request.POST.get("nonce") else "",
        )
    except LabelInProgress as exc:
        messages.error(request, exc.messages[0])
        return redirect("portal:order_detail", order.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("portal:order_detail", order.pk)
    if purchase.state == "bought":
        messages.success(request, _("Label bought: %(number)s.") % {"number": purchase.tracking_number})
    elif purchase.state == "uncertain":
        messages.warning(request, _("Purchase uncertain — check with the carrier."))
    else:
        messages.error(request, purchase.error)
    return redirect("portal:order_detail", order.pk)


@portal_view()
def shipment_label(request, pk, fmt):
    shipment = get_shipment_for_user(request, pk)
    document = document_of_shipment(tenant=request.tenant, shipment_id=shipment.pk, fmt=fmt)
    if document is None:
        raise Http404("No such label.")
    content_type = "application/pdf" if fmt == LabelFormat.PDF else "application/zpl"
    response = HttpResponse(bytes(document.content), content_type=content_type)
    disposition = "inline" if fmt == LabelFormat.PDF else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="label-{shipment.tracking_number}.{fmt}"'
    return response


@portal_view("ship")
def purchase_void(request, pk):
    """Void a bought label (GET: the confirmation; POST: the carrier's cancel call)."""
    purchase = purchase_get(tenant=request.tenant, pk=pk)
    if request.method == "POST":
        try:
            if purchase.state == "uncertain" or purchase.matched:
                label_release(purchase=purchase, user=request.user)
                messages.success(request, _("Released: you can buy a new label now."))
                return redirect("portal:order_rates", purchase.order_id)
            label_void(purchase=purchase, user=request.user)
            messages.success(request, _("Label voided: the carrier refunds it."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("portal:order_detail", purchase.order_id)
    return render(request, "portal/labels/void.html", {"purchase": purchase, "order": purchase.order, "nav": "orders"})
