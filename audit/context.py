"""The request being served, for the audit trail: a middleware keeps it in a context variable so that a service
deep below a view records who asked and from where without every signature carrying the request. Tasks and
commands have none: their entries read "system"."""

from __future__ import annotations

from contextvars import ContextVar

_request: ContextVar = ContextVar("audit_request", default=None)


def current_request():
    return _request.get()


class AuditRequestMiddleware:
    """After AuthenticationMiddleware: the request is reachable by audit.record for as long as it is served."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
