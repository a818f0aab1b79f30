"""Printing a batch of orders: packing slips and the pick list, as PDF documents shown in the browser.

Both take a selection of the order list (POST: ``order_ids`` repeated, or the list's filters with
``all_matching=1``), always within the user's workspace. Viewers may print too: a printed document
changes nothing (the shipping itself needs the "ship" permission).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from shipments import printing

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


def _print(request, render, filename):
    selection = resolve_order_selection(request.tenant, request.POST)
    if selection.empty:
        messages.error(request, _("Select at least one order to print."))
        return _back(request, selection)
    if selection.refusal:
        messages.error(request, selection.refusal)
        return _back(request, selection)
    # One more than the cap tells a batch that is too big; the list's order is the documents' order.
    orders = list(selection.orders[: printing.MAX_PRINT_ORDERS + 1])
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
    try:
        pdf = render(orders)
    except OSError:  # WeasyPrint's system libraries are missing (bin/ensure-weasyprint installs them)
        messages.error(
            request,
            _(
                "Printing is not available on this server yet: its PDF libraries are not "
                "installed. Ask your administrator."
            ),
        )
        return _back(request, selection)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename(orders))
    return response


@portal_view()
@require_POST
def orders_packing_slips(request):
    return _print(request, printing.packing_slips_pdf, printing.packing_slips_filename)


@portal_view()
@require_POST
def orders_pick_list(request):
    return _print(request, printing.pick_list_pdf, printing.pick_list_filename)
