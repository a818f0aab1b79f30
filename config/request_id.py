"""Every request gets an id, in its log lines (core.logcontext) and in the answer's `X-Request-ID` header. An
incoming `X-Request-ID` (the load balancer's) is kept when it is sane: 1 to 64 letters, digits, `.`, `_` or
`-`; anything else is replaced by a new id, so a client cannot write what it likes into the logs."""

from __future__ import annotations

import re
import uuid

from core import logcontext

_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id_of(header: str | None) -> str:
    if header and _SANE.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_of(request.headers.get("X-Request-ID"))
        token = logcontext.set_fields(request_id=request.request_id)
        try:
            response = self.get_response(request)
        finally:
            logcontext.reset(token)
        response["X-Request-ID"] = request.request_id
        return response
