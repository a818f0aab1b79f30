"""The receiver of a store's webhooks: `POST /hooks/americommerce/<token>/`.

No session, no CSRF token (the store cannot have one), no signature (the vendor signs nothing): the URL's
token is the credential. An unknown or revoked token is a 404 (counted); anything else is a 200 at once
(the vendor waits 3 seconds at most), the work left to a task (hooks.services.hook_receive).
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .services import UNKNOWN, hook_receive


@csrf_exempt
@require_POST
def americommerce_receiver(request: HttpRequest, token: str) -> HttpResponse:
    try:
        body = request.body
    except RequestDataTooBig:
        body = b""  # no order id can be read: counted as malformed
    if hook_receive(token, body) == UNKNOWN:
        return HttpResponse("Unknown webhook address.\n", status=404, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
