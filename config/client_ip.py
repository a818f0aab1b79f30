"""The client's address, as the sign-in lock-out and the password-reset limit key it.

Behind the TLS proxy the README prescribes, `REMOTE_ADDR` is the proxy's own address for every visitor:
keyed on it, one attacker's failures locked everyone out. With `TRUSTED_PROXY_COUNT` = N (the proxies
in front of Outbound that append to `X-Forwarded-For`), the client is the N-th address from the right
of that header: the one the outermost trusted proxy saw. Addresses further left are the client's own
words and are never trusted. Without the setting (or with a header shorter than promised),
`REMOTE_ADDR` is the client, as before.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(text: str) -> str | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:51234"
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        hops = [h for h in (request.META.get("HTTP_X_FORWARDED_FOR", "") or "").split(",") if h.strip()]
        if len(hops) >= count:
            found = _address(hops[-count])
            if found:
                return found
    return remote
