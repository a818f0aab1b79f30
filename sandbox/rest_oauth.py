"""The sandbox store's OAuth 2 endpoints (the vendor's docs/authentication.md), with one registered test app.

    GET  /api/oauth                 client_id, scope, redirect_uri -> the merchant "signs in and grants" at
                                    once: 302 to redirect_uri + auth_id & code; an unknown app, or a denial
                                    set with `oauth(store).deny_next`, goes back with error, error_reason
                                    and error_description (the vendor's web-flow error format)
    POST /api/oauth/access_token    client_id, auth_id, signature = SHA256(secret + code + client_id + scope
                                    + redirect_uri.lower()) -> {access_token, refresh_token, expires}
    POST /api/oauth/refresh         client_id, refresh_token, signature = SHA256(secret + refresh_token +
                                    client_id) -> {access_token, refresh_token, expires}

Bodies are JSON or form-encoded, as the vendor allows; errors are JSON with an HTTP status. `expires` is
an ISO 8601 UTC datetime, `TOKEN_LIFETIME` seconds of the store's clock ahead. Issued access tokens are
added to the REST face's token table (`store.rest.tokens`, with the granted scopes) so the API accepts
them, and a test can expire, revoke or refuse them: `expire_all()`, `revoke_refresh_tokens()`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# The registered test app (what an agency's operator would copy from the store's admin console).
TEST_CLIENT_ID = "outbound-sandbox-app"
TEST_CLIENT_SECRET = "sandbox-app-secret-3c1f9a"
TOKEN_LIFETIME = 3600
PREFIX = "/api/oauth"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class _Grant:
    code: str
    scope: str
    redirect_uri: str


@dataclass
class OAuthState:
    """What the store's OAuth server holds: pending handshakes, live access tokens, refresh tokens."""

    clients: dict[str, str] = field(default_factory=lambda: {TEST_CLIENT_ID: TEST_CLIENT_SECRET})
    grants: dict[str, _Grant] = field(default_factory=dict)  # auth_id -> grant (one use)
    access: dict[str, tuple[str, int]] = field(default_factory=dict)  # access token -> (scope, expires epoch)
    refresh: dict[str, str] = field(default_factory=dict)  # refresh token -> scope
    deny_next: str = ""  # an error code the next authorization is answered with (e.g. "access_denied")
    counts: dict[str, int] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    store: Any = None  # the sandbox store: its REST face accepts the access tokens issued here

    def _rest_tokens(self) -> dict | None:
        rest = getattr(self.store, "rest", None)
        return getattr(rest, "tokens", None)

    def count(self, key: str) -> None:
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1

    def token_scopes(self, token: str, now: int) -> list[str] | None:
        """The scopes of a live access token issued here, or None (unknown or expired)."""
        with self.lock:
            found = self.access.get(token)
        if found is None or found[1] <= now:
            return None
        return found[0].split()

    def expire_all(self) -> None:
        with self.lock:
            self.access = {token: (scope, 0) for token, (scope, _) in self.access.items()}
            tokens = self._rest_tokens()
            for token in self.access:
                if tokens is not None:
                    tokens.pop(token, None)

    def revoke_refresh_tokens(self) -> None:
        with self.lock:
            self.refresh.clear()

    def _issue(self, scope: str, now: int) -> dict[str, Any]:
        access, refresh = secrets.token_hex(20), secrets.token_hex(20)
        expires = now + TOKEN_LIFETIME
        with self.lock:
            self.access[access] = (scope, expires)
            self.refresh[refresh] = scope
        rest = getattr(self.store, "rest", None)
        if rest is not None:  # the REST face's own token table (sandbox.rest.api.RestState)
            rest.set(tokens={access: _rest_scopes(scope)})
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires": datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


def _rest_scopes(scope: str) -> list[str]:
    """The scopes a granted token holds; a full scope grants its read scope too (`orders` supersedes
    `read_orders`, docs/scopes.md)."""
    granted = set(scope.split())
    return sorted(granted | {f"read_{name}" for name in granted if not name.startswith("read_")})


_states_lock = threading.Lock()


def oauth(store: Any) -> OAuthState:
    """The OAuth server state of a sandbox store (made on first use)."""
    with _states_lock:
        state = getattr(store, "_oauth_state", None)
        if state is None:
            state = OAuthState(store=store)
            store._oauth_state = state
        return state


def handles(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def handle(handler: Any, method: str, path: str, query: str, body: bytes) -> None:
    """Answer one request under /api/oauth (`handler` is the sandbox's request handler: its _json and
    _send, its store)."""
    store = handler.store
    state = oauth(store)
    now = int(store.now())
    if path == PREFIX and method == "GET":
        state.count("authorize")
        _authorize(handler, state, dict(parse_qsl(query, keep_blank_values=True)))
    elif path == PREFIX + "/access_token" and method == "POST":
        state.count("access_token")
        _access_token(handler, state, _form(handler, body), now)
    elif path == PREFIX + "/refresh" and method == "POST":
        state.count("refresh")
        _refresh(handler, state, _form(handler, body), now)
    else:
        handler._json(404, {"error": "not_found", "error_description": "No such OAuth endpoint."})


def _form(handler: Any, body: bytes) -> dict[str, str]:
    content_type = handler.headers.get("Content-Type", "").split(";")[0].strip().lower()
    text = body.decode("utf-8", "replace")
    if content_type == "application/json":
        try:
            data = json.loads(text or "{}")
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return dict(parse_qsl(text, keep_blank_values=True))


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parts.query + ("&" if parts.query else "") + urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _redirect(handler: Any, location: str) -> None:
    handler._send(302, b"", "text/html; charset=utf-8", {"Location": location})


def _authorize(handler: Any, state: OAuthState, params: dict[str, str]) -> None:
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri.startswith(("http://", "https://")):
        handler._html(400, "Bad request", "redirect_uri is missing or not an absolute URL.")
        return
    client_id, scope = params.get("client_id", ""), params.get("scope", "")
    with state.lock:
        denied, state.deny_next = state.deny_next, ""
    if client_id not in state.clients:
        denied = "invalid_client"
    if denied:
        reasons = {
            "invalid_client": ("unknown_app", "No app with this client_id is registered in this store."),
            "access_denied": ("user_denied", "The user did not grant the app access."),
        }
        reason, description = reasons.get(denied, ("denied", "The authorization was refused."))
        _redirect(
            handler,
            _with_query(redirect_uri, {"error": denied, "error_reason": reason, "error_description": description}),
        )
        return
    auth_id, code = secrets.token_hex(8), secrets.token_hex(16)
    with state.lock:
        state.grants[auth_id] = _Grant(code=code, scope=scope, redirect_uri=redirect_uri)
    _redirect(handler, _with_query(redirect_uri, {"auth_id": auth_id, "code": code}))


def _refuse(handler: Any, status: int, error: str, description: str) -> None:
    handler._json(status, {"error": error, "error_description": description})


def _access_token(handler: Any, state: OAuthState, form: dict[str, str], now: int) -> None:
    client_id = form.get("client_id", "")
    secret = state.clients.get(client_id)
    if secret is None:
        _refuse(handler, 401, "invalid_client", "Unknown client_id.")
        return
    with state.lock:
        grant = state.grants.pop(form.get("auth_id", ""), None)
    if grant is None:
        _refuse(handler, 400, "invalid_grant", "Unknown or already used auth_id.")
        return
    expected = _sha256(secret + grant.code + client_id + grant.scope + grant.redirect_uri.lower())
    if not secrets.compare_digest(expected, form.get("signature", "").lower()):
        _refuse(handler, 401, "invalid_signature", "The signature does not match.")
        return
    handler._json(200, state._issue(grant.scope, now))


def _refresh(handler: Any, state: OAuthState, form: dict[str, str], now: int) -> None:
    client_id, token = form.get("client_id", ""), form.get("refresh_token", "")
    secret = state.clients.get(client_id)
    if secret is None:
        _refuse(handler, 401, "invalid_client", "Unknown client_id.")
        return
    expected = _sha256(secret + token + client_id)
    if not secrets.compare_digest(expected, form.get("signature", "").lower()):
        _refuse(handler, 401, "invalid_signature", "The signature does not match.")
        return
    with state.lock:
        scope = state.refresh.get(token)
    if scope is None:
        _refuse(handler, 401, "invalid_grant", "The refresh token was revoked.")
        return
    handler._json(200, state._issue(scope, now))
