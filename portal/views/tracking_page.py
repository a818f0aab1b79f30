"""The buyers' public tracking page (issue 33; docs/tracking-page.md): no sign-in, public by design.

    /t/<token>/             one shipment, by the unguessable token its notices link to
    /track/<store slug>/    the store's lookup: order number + the buyer's e-mail or postal code (the whole
                            page), or a bare tracking number (checkpoints only: no order, items, buyer or address)

Every answer is `noindex` (meta robots and X-Robots-Tag), never cached, sends no Referer to another site (the
token is in the address; the store's logo is on another host) and runs no script. A wrong lookup is counted per
client address (tracking.services.lookup_failure_record, rows shared by every web process); past the limit lookups
are refused with 429. "No such order" and "wrong e-mail" get the same answer.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.cache import never_cache

from config.client_ip import client_ip
from stores.models import Store, StoreSettings
from tracking import selectors
from tracking.models import TrackingState
from tracking.services import lookup_failure_record, lookup_key

HEADLINES = {
    TrackingState.UNKNOWN: _("Shipped: waiting for the carrier's first scan"),
    TrackingState.IN_TRANSIT: _("On its way"),
    TrackingState.OUT_FOR_DELIVERY: _("Out for delivery"),
    TrackingState.DELIVERED: pgettext_lazy("parcel", "Delivered"),
    TrackingState.EXCEPTION: _("The carrier reported a delay"),
    TrackingState.RETURNED: _("On its way back to the sender"),
}
NOT_FOUND = _("We found no parcel matching these details. Check them and try again.")
REFUSED = _("Too many lookups from your connection. Please try again in a few minutes.")


class OrderLookupForm(forms.Form):
    number = forms.CharField(label=_("Order number"), max_length=50)
    contact = forms.CharField(label=_("E-mail address or postal code"), max_length=254)


class NumberLookupForm(forms.Form):
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=60)


def _language(request) -> None:
    """?lang=fr (the page's switch) wins over the browser's Accept-Language and is remembered in the cookie."""
    wanted = request.GET.get("lang") or request.POST.get("lang")
    if wanted in dict(settings.LANGUAGES):
        translation.activate(wanted)
        request.LANGUAGE_CODE = wanted
        request.chosen_language = wanted


def _public(request, response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"  # never the token to another site; the form's Origin kept
    response["Content-Language"] = translation.get_language()
    chosen = getattr(request, "chosen_language", None)
    if chosen:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, chosen, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def _on_accent(colour: str) -> str:
    """Black or white text on the store's accent colour, whichever reads better (WCAG contrast)."""

    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    try:
        r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    except (ValueError, TypeError):
        return "#ffffff"
    lum = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return "#ffffff" if (1.05 / (lum + 0.05)) >= ((lum + 0.05) / 0.05) else "#000000"


def _branding(store: Store) -> dict:
    try:
        branding = store.settings
    except StoreSettings.DoesNotExist:
        branding = StoreSettings(store=store)
    accent = branding.accent_colour or "#1f6feb"
    logo = branding.logo_url if branding.logo_url.startswith(("https://", "http://")) else ""
    return {
        "store": store,
        "company_name": branding.display_name,
        "logo_url": logo,
        "accent": accent,
        "on_accent": _on_accent(accent),
        "website": branding.website,
        "phone": branding.phone,
        "reply_to": branding.reply_to,
    }


@never_cache
def shipment_page(request, token):
    _language(request)
    shipment = selectors.public_shipment_by_token(token)
    if shipment is None:
        return _public(request, render(request, "tracking_page/not_found.html", status=404))
    return _public(request, _render_page(request, selectors.public_tracking(shipment)))


def _render_page(request, page: selectors.PublicTracking, status: int = 200) -> HttpResponse:
    context = {
        **_branding(page.store),
        "page": page,
        "headline": HEADLINES.get(page.state, HEADLINES[TrackingState.UNKNOWN]),
        "carrier_name": page.shipment.get_carrier_display(),
        "lookup_url": _lookup_url(page.store),
        "here": request.path,
    }
    return render(request, "tracking_page/page.html", context, status=status)


def _lookup_url(store: Store) -> str:
    from django.urls import reverse

    return reverse("trackpage:lookup", args=[store.tracking_slug]) if store.tracking_slug else ""


@never_cache
def lookup(request, slug):
    _language(request)
    store = Store.objects.filter(tracking_slug=slug).select_related("settings").first()
    if store is None:
        return _public(request, render(request, "tracking_page/not_found.html", status=404))
    order_form, number_form = OrderLookupForm(prefix="order"), NumberLookupForm(prefix="parcel")
    error, status = "", 200
    if request.method == "POST":
        key = lookup_key(client_ip(request))
        if selectors.lookup_refused(key):
            error, status = REFUSED, 429
        else:
            shipment, full = None, True
            if request.POST.get("kind") == "parcel":
                number_form = NumberLookupForm(request.POST, prefix="parcel")
                if number_form.is_valid():
                    shipment = selectors.public_shipment_by_tracking_number(
                        store=store, tracking_number=number_form.cleaned_data["tracking_number"]
                    )
                    full = False
            else:
                order_form = OrderLookupForm(request.POST, prefix="order")
                if order_form.is_valid():
                    contact = order_form.cleaned_data["contact"].strip()
                    shipment = selectors.public_shipment_by_order(
                        store=store,
                        number=order_form.cleaned_data["number"],
                        email=contact if "@" in contact else "",
                        postal_code="" if "@" in contact else contact,
                    )
            if shipment is not None:
                return _public(request, _render_page(request, selectors.public_tracking(shipment, full=full)))
            if order_form.is_bound and not order_form.is_valid() or number_form.is_bound and not number_form.is_valid():
                status = 400  # a field left empty: said beside it, not counted
            else:
                lookup_failure_record(key)
                error, status = NOT_FOUND, 404
        if status in (404, 429):
            # The same page whatever was typed (nothing echoed back): a wrong e-mail reads as no such order.
            order_form, number_form = OrderLookupForm(prefix="order"), NumberLookupForm(prefix="parcel")
    context = {
        **_branding(store),
        "order_form": order_form,
        "number_form": number_form,
        "error": error,
        "here": request.path,
    }
    return _public(request, render(request, "tracking_page/lookup.html", context, status=status))
