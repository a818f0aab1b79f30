"""Password reset with a limit: without one, anyone could send 25 reset e-mails in 4 seconds to an
address, or from one client to many (issue 25, item 37).

Counted per e-mail address and per client address (config.client_ip: the address the trusted proxy
saw) in the cache, a fixed window of an hour. Past the address's limit the page still says "sent" (it
never tells whether an account exists) and sends nothing; past the client's limit it answers 429.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.shortcuts import render

from config.client_ip import client_ip

WINDOW = 3600


def _spend(kind: str, value: str, limit: int) -> bool:
    """One more request of `kind` for `value`; False once over `limit` in the window."""
    key = f"pwreset:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"
    cache.add(key, 0, WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, WINDOW)
        count = 1
    return count <= limit


class LimitedPasswordResetView(auth_views.PasswordResetView):
    def post(self, request, *args, **kwargs):
        if not _spend("client", client_ip(request), settings.PASSWORD_RESET_LIMIT_PER_CLIENT):
            return render(request, "registration/password_reset_limited.html", status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        if not _spend("email", email, settings.PASSWORD_RESET_LIMIT_PER_EMAIL):
            return super(auth_views.PasswordResetView, self).form_valid(form)  # "sent", nothing sent
        return super().form_valid(form)
