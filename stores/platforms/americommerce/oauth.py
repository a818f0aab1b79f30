"""AmeriCommerce's OAuth 2 app flow (the vendor's docs/authentication.md), for the REST road.

    1. authorize_url(store_url, redirect_uri)  the merchant's browser goes to <store>/api/oauth with the
       deployment's app id, the scopes and our callback; they sign in to their admin console and grant.
    2. the store sends them back to the callback with `auth_id` and `code` (or `error`, `error_reason`,
       `error_description`).
    3. exchange_code(...)  POST <store>/api/oauth/access_token {client_id, auth_id, signature}, where
       signature = SHA-256 hex of secret + code + client_id + scope + redirect_uri.lower()
       (access_token_signature) -> access_token and refresh_token (and when it says so, expires).
    4. access_token_for(store)  what the REST connector calls before its requests: the API token, or the
       OAuth access token refreshed first when it expires within REFRESH_MARGIN:
       POST <store>/api/oauth/refresh {client_id, refresh_token, signature}, signature = SHA-256 hex of
       secret + refresh_token + client_id (refresh_signature). A refresh the store refuses puts the store
       in the "reconnect" state (stores.services.store_mark_needs_reconnect), shown on its page with a
       Reconnect button; imports and write-backs then fail permanently with those words until then.

The vendor's flow carries no `state` parameter. The callback's CSRF protection is therefore a one-time
random value in the redirect_uri's own query string (the store sends the merchant back to the exact
redirect_uri given) checked against the value kept in the merchant's session (see portal.views.oauth).

The app id and secret are operator settings (AMERICOMMERCE_OAUTH_CLIENT_ID, AMERICOMMERCE_OAUTH_SECRET).
Token requests go through the same URL guard and deadline as every store request; the secret, the code
and the tokens never appear in a message, a log line or an exception.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from stores.connector import urlguard
from stores.connector.errors import StoreAuthError, StoreError, StoreTemporaryError, StoreUnreachable, register_secrets
from stores.connector.transport import USER_AGENT, read_at_most

logger = logging.getLogger("stores.oauth")

AUTHORIZE_PATH = "/api/oauth"
ACCESS_TOKEN_PATH = "/api/oauth/access_token"
REFRESH_PATH = "/api/oauth/refresh"
# Refresh when the access token expires within this much: a page of an import never starts with a token
# about to die.
REFRESH_MARGIN = dt.timedelta(minutes=5)
TIMEOUT = (10.0, 30.0)
MAX_ANSWER_BYTES = 64 * 1024


class OAuthError(StoreAuthError):
    """The store refused the handshake or a refresh: only connecting again (granting again) helps."""

    default_permanent = True


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: dt.datetime | None
    scope: str

    def __repr__(self) -> str:
        return f"<TokenSet expires_at={self.expires_at!r} scope={self.scope!r}>"


def app_configured() -> bool:
    """Whether this deployment has an AmeriCommerce OAuth app: both its id and its secret are set."""
    return bool(settings.AMERICOMMERCE_OAUTH_CLIENT_ID.strip() and settings.AMERICOMMERCE_OAUTH_SECRET.strip())


def _client_id() -> str:
    return settings.AMERICOMMERCE_OAUTH_CLIENT_ID.strip()


def _secret() -> str:
    return settings.AMERICOMMERCE_OAUTH_SECRET.strip()


def scopes() -> str:
    return " ".join(settings.AMERICOMMERCE_OAUTH_SCOPES.split())


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def access_token_signature(*, secret: str, code: str, client_id: str, scope: str, redirect_uri: str) -> str:
    """SHA256(secret + code + client_id + scope + redirect_uri in lower case), hex (docs/authentication.md,
    step 5). The redirect_uri must be the one sent in step 1, character for character, before lowering."""
    return _sha256(secret + code + client_id + scope + redirect_uri.lower())


def refresh_signature(*, secret: str, refresh_token: str, client_id: str) -> str:
    """SHA256(secret + refresh_token + client_id), hex (docs/authentication.md, "Refreshing Tokens")."""
    return _sha256(secret + refresh_token + client_id)


def _store_root(store_url: str) -> str:
    return store_url.rstrip("/")


def authorize_url(store_url: str, redirect_uri: str) -> str:
    """Where the merchant's browser goes to grant the app access (step 1)."""
    query = urlencode({"client_id": _client_id(), "scope": scopes(), "redirect_uri": redirect_uri})
    return f"{_store_root(store_url)}{AUTHORIZE_PATH}?{query}"


def exchange_code(
    store_url: str,
    *,
    auth_id: str,
    code: str,
    redirect_uri: str,
    scope: str | None = None,
    now: dt.datetime | None = None,
) -> TokenSet:
    """Steps 5–7: the handshake's code for an access token and a refresh token. OAuthError when the store
    refuses, StoreUnreachable when it cannot be reached."""
    scope = scopes() if scope is None else scope
    register_secrets("", code)
    signature = access_token_signature(
        secret=_secret(), code=code, client_id=_client_id(), scope=scope, redirect_uri=redirect_uri
    )
    answer = _post(
        _store_root(store_url) + ACCESS_TOKEN_PATH,
        {"client_id": _client_id(), "auth_id": auth_id, "signature": signature},
    )
    return _token_set(answer, scope=scope, now=now)


def refresh_tokens(store_url: str, refresh_token: str, *, scope: str = "", now: dt.datetime | None = None) -> TokenSet:
    """A new access token (and refresh token) for the same grant."""
    register_secrets("", refresh_token)
    signature = refresh_signature(secret=_secret(), refresh_token=refresh_token, client_id=_client_id())
    answer = _post(
        _store_root(store_url) + REFRESH_PATH,
        {"client_id": _client_id(), "refresh_token": refresh_token, "signature": signature},
    )
    tokens = _token_set(answer, scope=scope, now=now)
    if not tokens.refresh_token:  # the refresh token is long-lived and may be used again
        tokens = TokenSet(tokens.access_token, refresh_token, tokens.expires_at, tokens.scope)
    return tokens


def _token_set(answer: dict, *, scope: str, now: dt.datetime | None) -> TokenSet:
    access = answer.get("access_token")
    if not isinstance(access, str) or not access:
        raise OAuthError(_("The store's answer to the OAuth handshake held no access token."))
    refresh = answer.get("refresh_token")
    return TokenSet(
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) else "",
        expires_at=parse_expiry(answer.get("expires", answer.get("expires_at")), now=now),
        scope=scope,
    )


def parse_expiry(value, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """The token's expiry: an ISO 8601 datetime (what `expires` is in the vendor's other resources), or a
    number of seconds from now (as most OAuth servers say it). None (never) when absent or unreadable."""
    now = now or timezone.now()
    if isinstance(value, bool) or value in (None, ""):
        return None
    if isinstance(value, int | float):
        return _in_seconds(float(value), now)
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.replace(".", "", 1).isdigit():
            return _in_seconds(float(text), now)
        try:
            when = parse_datetime(text)
        except ValueError:
            when = None
        if when is not None:
            return when if timezone.is_aware(when) else when.replace(tzinfo=dt.UTC)
    return None


# A lifetime past this is not a lifetime (1e12 s, 1e20, inf, nan overflow a datetime): read as "never said".
MAX_LIFETIME = dt.timedelta(days=3650)


def _in_seconds(seconds: float, now: dt.datetime) -> dt.datetime | None:
    if not math.isfinite(seconds) or abs(seconds) > MAX_LIFETIME.total_seconds():
        return None
    return now + dt.timedelta(seconds=seconds)


def _post(url: str, payload: dict[str, str]) -> dict:
    """POST a JSON body to a store's token endpoint: the URL guard, no redirects, timeouts, a size cap,
    one attempt (the merchant is waiting; a refresh is tried again on the next run). The JSON answer."""
    allow_private, allow_http = settings.ALLOW_PRIVATE_STORE_HOSTS, settings.ALLOW_HTTP_STORE_URLS
    url = urlguard.validate_store_url(url, allow_private=allow_private, allow_http=allow_http)
    session = requests.Session()
    session.trust_env = False
    if not allow_private:
        adapter = urlguard.GuardedAdapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    try:
        response = session.post(
            url,
            data=json.dumps(payload),
            timeout=TIMEOUT,
            allow_redirects=False,
            stream=True,
            headers={"Content-Type": "application/json", "Accept": "application/json", "User-Agent": USER_AGENT},
        )
        try:
            body = read_at_most(response, MAX_ANSWER_BYTES, give_up_at=time.monotonic() + TIMEOUT[1])
        finally:
            response.close()
    except StoreError:
        raise
    except requests.exceptions.Timeout:
        raise StoreTemporaryError(_("The store did not answer the OAuth request in time.")) from None
    except requests.RequestException:
        raise StoreUnreachable(_("The store could not be reached for the OAuth request.")) from None
    finally:
        session.close()
    status = response.status_code
    if status == 429 or status >= 500:
        raise StoreTemporaryError(
            _("The store had a problem answering the OAuth request (HTTP %(status)s).") % {"status": status},
            status=status,
        )
    try:
        answer = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        answer = None
    if not 200 <= status < 300:
        reason = _error_words(answer)
        raise OAuthError(
            (
                _("The store refused the OAuth request (HTTP %(status)s): %(reason)s.")
                if reason
                else _("The store refused the OAuth request (HTTP %(status)s).")
            )
            % {"status": status, "reason": reason},
            status=status,
        )
    if not isinstance(answer, dict):
        raise OAuthError(_("The store's answer to the OAuth request is not what AmeriCommerce sends (no JSON)."))
    return answer


def _error_words(answer) -> str:
    """The store's own short reason, when it gave one (error_description, error_reason, error, message)."""
    if not isinstance(answer, dict):
        return ""
    for key in ("error_description", "error_reason", "error", "message"):
        value = answer.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())[:200]
    return ""


def access_token_for(store, *, now: dt.datetime | None = None, margin: dt.timedelta = REFRESH_MARGIN) -> str:
    """The token the REST connector sends as X-AC-Auth-Token: the store's API token, or its OAuth access
    token, refreshed first when it expires within `margin`.

    A store waiting to be reconnected, or whose refresh the store refuses, raises OAuthError (permanent:
    imports fail with its words, write-backs wait); a refresh that cannot reach the store raises the
    transport's temporary error unless the current token is still valid, which is then used."""
    from stores.models import RestAuth

    if store.rest_auth != RestAuth.OAUTH:
        return store.get_api_token()
    if store.needs_reconnect:
        raise OAuthError(store.reconnect_reason or reconnect_words())
    now = now or timezone.now()
    expires_at = store.oauth_expires_at
    if expires_at is None or expires_at - margin > now:
        return store.get_oauth_access_token()
    return refresh_store_tokens(store, now=now).access_token


def reconnect_words(reason: str = "") -> str:
    text = _("The store no longer accepts Outbound's OAuth access; reconnect it with AmeriCommerce.")
    return f"{text} ({reason})" if reason else text


def refresh_store_tokens(store, *, now: dt.datetime | None = None) -> TokenSet:
    """Refresh a store's OAuth tokens and keep them (through the stores service). A refusal puts the store
    in the reconnect state and raises OAuthError; an unreachable store raises without changing anything."""
    from stores.services import store_mark_needs_reconnect, store_set_oauth_tokens

    now = now or timezone.now()
    if not app_configured():
        reason = _("this deployment has no AmeriCommerce OAuth app configured any more")
        store_mark_needs_reconnect(store=store, reason=reconnect_words(reason))
        raise OAuthError(store.reconnect_reason)
    try:
        tokens = refresh_tokens(store.url, store.get_oauth_refresh_token(), scope=store.oauth_scope, now=now)
    except OAuthError as exc:
        store_mark_needs_reconnect(store=store, reason=reconnect_words(exc.message))
        logger.warning("OAuth refresh refused for store %s: %s", store.pk, exc.message)
        raise OAuthError(store.reconnect_reason, status=exc.status) from None
    except StoreError:
        expires_at = store.oauth_expires_at
        if expires_at is not None and expires_at > now and store.has_oauth_tokens:
            logger.warning("OAuth refresh of store %s failed for now; the current token is still valid", store.pk)
            return TokenSet(store.get_oauth_access_token(), "", expires_at, store.oauth_scope)
        raise
    store_set_oauth_tokens(
        store=store,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_at=tokens.expires_at,
        scope=tokens.scope or None,
    )
    return tokens


class OAuthTokenSource:
    """The REST connector's token source for a store on the OAuth app (rest/auth.py): the
    access token, refreshed before it expires; after a 401, one refresh (None when the store refuses it:
    the store is then waiting to be reconnected)."""

    def __init__(self, store) -> None:
        self.store = store

    def token(self) -> str:
        return access_token_for(self.store)

    def refresh(self) -> str | None:
        try:
            return refresh_store_tokens(self.store).access_token
        except OAuthError:
            return None

    def __repr__(self) -> str:
        return f"<OAuthTokenSource store={getattr(self.store, 'pk', None)}>"
