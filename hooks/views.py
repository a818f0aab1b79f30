"""The receiver of a store's webhooks: `POST /hooks/<receiver>/<token>/` (the segment a platform's connection
type declares, hooks.urls).

No session, no CSRF token (the store cannot have one), no signature (the vendor signs nothing): the URL's
token is the credential. An unknown or revoked token is a 404 (counted); anything else is a 200 at once
(the vendor waits 3 seconds at most), the work left to a task (hooks.services.hook_receive).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .services import UNKNOWN, hook_receive


def _body(request: HttpRequest) -> bytes:
    """The request's body, up to the upload cap (past it: empty, counted as malformed).

    A chunked body has no Content-Length; Django then reads nothing (its stream is limited to the declared
    length, 0), so the body is read from the server's decoded input (gunicorn de-chunks it) up to the cap."""
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    if chunked and not request.META.get("CONTENT_LENGTH"):
        cap = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440
        data = request.META["wsgi.input"].read(cap + 1)
        return b"" if len(data) > cap else data
    try:
        return request.body
    except RequestDataTooBig:
        return b""  # no order id can be read: counted as malformed


@csrf_exempt
@require_POST
def receiver(request: HttpRequest, token: str) -> HttpResponse:
    body = _body(request)
    if hook_receive(token, body) == UNKNOWN:
        return HttpResponse("Unknown webhook address.\n", status=404, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
