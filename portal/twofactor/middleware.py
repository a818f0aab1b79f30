"""Who must pass a second factor, and where they are sent until they do (after django-otp's OTPMiddleware,
which tells whether this session passed one: `request.user.is_verified()`).

* A user with a confirmed authenticator: every page asks for the code first (sign-in's second step).
* A user of a tenant that requires two-factor sign-in, without an authenticator: enrolment, and no other
  portal page until enrolled.
* An operator (staff) opening the admin without an authenticator: enrolment.

The API's keys are untouched (a key request has no session user); the API's session road refuses a session
that has not passed its second factor as if signed out. Sign-out, the language switch and the two-factor
pages themselves are always open."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.shortcuts import redirect
from django.urls import reverse

from .services import two_factor_state

ALWAYS_OPEN = ("/two-factor/", "/logout/", "/admin/logout/", "/i18n/", "/static/", "/hooks/", "/favicon")
ADMIN = "/admin/"
API = "/api/"


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        path = request.path_info
        if user.is_authenticated and not path.startswith(ALWAYS_OPEN) and not user.is_verified():
            state = two_factor_state(user)
            if path.startswith(API):
                if state.enrolled or state.required:
                    request.user = AnonymousUser()  # a half-signed-in session is no session for the API
            elif state.enrolled:
                return _to("portal:two_factor_verify", request)
            elif state.required or (user.is_staff and path.startswith(ADMIN)):
                return _to("portal:two_factor_setup", request)
        return self.get_response(request)


def _to(name: str, request):
    target = reverse(name)
    if request.method == "GET":
        target += "?" + urlencode({"next": request.get_full_path()})
    return redirect(target)
