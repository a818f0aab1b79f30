"""Two-factor sign-in pages (portal.twofactor): set up an authenticator, the code after the password, the
recovery codes shown once; and a tenant owner's rule that the team must use it. Open to any signed-in
person (operators, who belong to no tenant, enrol here too); the layout is the sign-in page's."""

from __future__ import annotations

import base64

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from ..tenancy import portal_view
from ..twofactor.services import (
    recovery_codes_left,
    recovery_codes_make,
    second_factor_verify,
    totp_confirm,
    totp_device_pending,
    two_factor_require,
    two_factor_state,
)

SHOW_ONCE = "two_factor_new_codes"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_lazy("Code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
    )


def _next(request) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return wanted
    return "/"


def qr_svg(text: str) -> str:
    """The QR code of `text` as inline SVG (no image request, no outside service)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    svg = image.to_string(encoding="unicode")
    return svg[svg.index("<svg") :]


def _manual_key(device) -> str:
    key = base64.b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@login_required
def two_factor_setup(request):
    """Set up an authenticator: its QR code and manual key, then a code it shows to confirm. Someone set up
    already sees where they stand and may make new recovery codes."""
    state = two_factor_state(request.user)
    if state.enrolled:
        if request.method == "POST" and request.user.is_verified():
            request.session[SHOW_ONCE] = recovery_codes_make(user=request.user)
            return redirect("portal:two_factor_recovery_codes")
        context = {"codes_left": recovery_codes_left(user=request.user), "next": _next(request)}
        return render(request, "registration/two_factor_status.html", context)
    device = totp_device_pending(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = totp_confirm(request=request, device=device, token=form.cleaned_data["code"])
        if codes is not None:
            request.session[SHOW_ONCE] = codes
            request.session["two_factor_next"] = _next(request)
            return redirect("portal:two_factor_recovery_codes")
        form.add_error("code", _("That code is not right. Enter the code your app shows now."))
    context = {
        "form": form,
        "qr": qr_svg(device.config_url),
        "manual_key": _manual_key(device),
        "required": state.required,
        "next": _next(request),
    }
    return render(request, "registration/two_factor_setup.html", context)


@login_required
def two_factor_recovery_codes(request):
    """The new recovery codes, shown this once: a reload shows them no more."""
    codes = request.session.pop(SHOW_ONCE, None) or []
    done = request.session.pop("two_factor_next", "/")
    return render(request, "registration/two_factor_codes.html", {"codes": codes, "next": done})


@login_required
def two_factor_verify(request):
    """Sign-in's second step: the authenticator's code, or a recovery code."""
    if request.user.is_verified():
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if second_factor_verify(request=request, token=form.cleaned_data["code"]) is not None:
            return redirect(_next(request))
        form.add_error("code", _("That code is not right (or too many tries: wait a few seconds)."))
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": _next(request)})


@portal_view("manage_owners")
@require_POST
def two_factor_policy(request):
    """An owner requires (or stops requiring) two-factor sign-in for the team."""
    required = request.POST.get("required") == "on"
    two_factor_require(tenant=request.tenant, required=required, user=request.user)
    if required:
        messages.success(request, _("Everyone in this workspace now signs in with a second factor."))
    else:
        messages.success(request, _("A second factor is no longer required in this workspace."))
    return redirect("portal:users")
