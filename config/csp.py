"""Content-Security-Policy on every response (issue 14).

Scripts run only from our own origin, or inline with this response's nonce (`request.csp_nonce`, for
the few page scripts that read their page's data); no inline event handlers (static/portal.js wires
`data-autosubmit` and `data-confirm` instead). Inline *styles* stay allowed: the e-mail preview shows
the real e-mail, whose styles must be inline for mail clients, and a style cannot run code. Images may
come from the stores' own http(s) hosts (product images), never from `javascript:` or other schemes.
"""

from __future__ import annotations

import secrets

HEADER = "Content-Security-Policy"


def policy(nonce: str, frame_ancestors: str = "'none'") -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' https: http: data:",
            "connect-src 'self'",
            "frame-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if HEADER not in response:
            # Framing follows X-Frame-Options (set further in): the e-mail preview may be framed by our pages.
            framing = "'self'" if response.get("X-Frame-Options", "").upper() == "SAMEORIGIN" else "'none'"
            response[HEADER] = policy(request.csp_nonce, framing)
        return response
