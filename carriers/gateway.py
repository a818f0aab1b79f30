"""The one place that talks to karrio: a carrier account's gateway, its credentials test, and the words a
failed carrier call is told in.

karrio's UPS, USPS and FedEx extensions hard-code the carrier's servers (`Settings.server_url` is a
property of test_mode); Outbound subclasses each extension's Settings so an account's `server_url` (the
carrier sandbox) replaces it. Everything else, the OAuth token calls, the requests, the mapping and
parsing, is karrio's own code.

    gateway_for(account)        a karrio gateway (karrio.sdk.gateway[extension].create(settings)), its
                                OAuth token cached per process and server
    forget_tokens(account)      the carrier no longer knows the cached token: the next gateway asks anew
    test_credentials(account)   (outcome, the carrier's words) of asking for a token
    plain_error(exc), mask(…)   a failure in words, the account's secrets masked

Credentials never leave this module but towards the carrier: error texts are masked before anyone
stores them, and karrio's own logger (loguru) is switched off, since it may print request headers.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import urllib.request

from django.conf import settings

from .capabilities import extension_of
from .models import CarrierAccount, CarrierCode

logger = logging.getLogger(__name__)


class CarrierUnavailable(Exception):
    """The carrier did not answer usably (timeout, 429, 5xx, refused credentials); message in plain words."""


def _quiet_karrio() -> None:
    try:
        from loguru import logger as loguru_logger
    except ImportError:  # pragma: no cover - karrio depends on it
        return
    loguru_logger.disable("karrio")


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        if req.timeout is None:
            req.timeout = settings.CARRIER_REQUEST_TIMEOUT
        return super().http_open(req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        if req.timeout is None:
            req.timeout = settings.CARRIER_REQUEST_TIMEOUT
        return super().https_open(req)


_setup_lock = threading.Lock()
_setup_done = False


def setup() -> None:
    """karrio calls urllib's urlopen with timeout=None (wait for ever): the process's opener gives such a
    request CARRIER_REQUEST_TIMEOUT instead (requests that name a timeout keep theirs)."""
    global _setup_done
    with _setup_lock:
        if _setup_done:
            return
        _quiet_karrio()
        urllib.request.install_opener(urllib.request.build_opener(_DeadlineHTTPHandler, _DeadlineHTTPSHandler))
        _setup_done = True


@functools.cache
def settings_class(extension: str):
    """karrio's Settings of `extension` with `outbound_server_url` replacing the carrier's servers."""
    import importlib

    import attr

    base = importlib.import_module(f"karrio.mappers.{extension}.settings").Settings

    @attr.s(auto_attribs=True)
    class OutboundSettings(base):
        outbound_server_url: str = None

        @property
        def server_url(self):
            return self.outbound_server_url or super().server_url

    OutboundSettings.__name__ = f"{extension.upper()}Settings"
    return OutboundSettings


def _credential_fields(carrier: str, creds: dict[str, str], account_number: str) -> dict:
    """The account's credentials under the names the carrier's karrio Settings take."""
    if carrier == CarrierCode.FEDEX:
        # FedEx calls the OAuth pair an API key and a secret key; its tracking API takes a pair of its own,
        # the same project's keys unless FedEx issued separate ones.
        key, secret = creds["client_id"], creds["client_secret"]
        return {
            "api_key": key,
            "secret_key": secret,
            "track_api_key": key,
            "track_secret_key": secret,
            "account_number": account_number or None,
        }
    return {
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
        "account_number": account_number or None,
    }


_token_caches: dict[str, object] = {}
_token_caches_lock = threading.Lock()


def _token_cache(server: str):
    """The carriers' OAuth tokens, per process and server (karrio keys them on the credentials within)."""
    import karrio.lib as lib

    with _token_caches_lock:
        return _token_caches.setdefault(server, lib.Cache())


def server_key(account: CarrierAccount) -> str:
    return f"{extension_of(account.carrier)}|{account.server_url}|{account.test_mode}"


def forget_tokens(account: CarrierAccount) -> None:
    """The carrier no longer knows a token cached for the account's server (it restarted, the credentials
    were rotated): the next gateway asks for a new one instead of failing until the old one expires."""
    with _token_caches_lock:
        _token_caches.pop(server_key(account), None)


def forget_all_tokens() -> None:
    with _token_caches_lock:
        _token_caches.clear()


def gateway_for(account: CarrierAccount, *, fresh_token: bool = False):
    """The karrio gateway of `account` (raises stores.crypto.CredentialError when its credentials cannot be
    read). `fresh_token`: a token cache of its own, so a token is asked for (the credentials test)."""
    setup()
    import karrio.lib as lib
    import karrio.sdk as sdk

    extension = extension_of(account.carrier)
    carrier_settings = settings_class(extension)(
        **_credential_fields(account.carrier, account.credentials(), account.account_number),
        test_mode=account.test_mode,
        outbound_server_url=account.server_url or None,
        id=str(account.pk),
    )
    cache = lib.Cache() if fresh_token else _token_cache(server_key(account))
    return sdk.gateway[extension].create(carrier_settings, cache=cache)


def secrets_of(account: CarrierAccount) -> list[str]:
    import base64

    try:
        creds = account.credentials()
    except Exception:  # noqa: BLE001 - an unreadable secret cannot be echoed either
        return []
    pair = f"{creds.get('client_id', '')}:{creds.get('client_secret', '')}"
    return [
        s
        for s in (creds.get("client_secret"), creds.get("client_id"), base64.b64encode(pair.encode()).decode())
        if s and len(s) >= 4
    ]


def mask(text: str, secrets: list[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


# How a carrier says it no longer accepts a bearer token: UPS's code 250002 (its refused credentials are
# 250003, with the same words, and are not retried), USPS's (and any OAuth API's) HTTP 401 "Unauthorized".
_TOKEN_REFUSED = re.compile(r"\b(401|250002)\b|unauthori[sz]ed|invalid[_ ]token", re.I)


def token_refused(message) -> bool:
    code = message.code.get("code") if isinstance(message.code, dict) else message.code
    return bool(_TOKEN_REFUSED.search(f"{code} {message_text(message)}"))


def message_text(message) -> str:
    if isinstance(message.code, dict):
        return str(message.code.get("message") or message.code.get("code") or "")
    return str(message.message or message.code)


TIMEOUT_TEXT = "The carrier did not answer in time."
UNREACHABLE_TEXT = "The carrier's server could not be reached."


def is_transient(error: str) -> bool:
    """Whether a failed request's words say the carrier was busy or away (asked again later, as it is),
    rather than that it refused what it was asked (which one number of a batch may cause)."""
    return error in (TIMEOUT_TEXT, UNREACHABLE_TEXT) or bool(re.search(r"\b(429|5\d\d)\b|busy", error))


def plain_error(exc: BaseException) -> str:
    import socket
    from urllib.error import URLError

    if isinstance(exc, TimeoutError | socket.timeout):
        return TIMEOUT_TEXT
    if isinstance(exc, URLError | ConnectionError | OSError):
        return UNREACHABLE_TEXT
    messages = getattr(exc, "messages", None)
    if messages:
        return "The carrier refused: " + "; ".join(message_text(m) for m in messages)[:300]
    return f"The carrier's answer could not be read ({type(exc).__name__})."


# The outcomes of a credentials test; the portal words them (portal.views.carriers.outcome_text).
TEST_OK, TEST_REFUSED, TEST_BUSY, TEST_UNREACHABLE, TEST_KEY = "ok", "refused", "busy", "unreachable", "key"


def _authenticate(gateway, account: CarrierAccount) -> None:
    import karrio.lib as lib

    if account.carrier == CarrierCode.FEDEX:
        # FedEx's shipping token needs the account number; without one, the tracking pair is what is tested.
        auth_type = "shipping_auth" if account.account_number else "track_auth"
        gateway.proxy.authenticate(lib.Serializable({}, ctx={"auth_type": auth_type})).deserialize()
    else:
        gateway.proxy.authenticate().deserialize()


def test_credentials(account: CarrierAccount) -> tuple[str, str]:
    """Ask the carrier for a token with the account's credentials: (outcome, the carrier's own words, masked)."""
    from stores.crypto import CredentialError

    secrets = secrets_of(account)
    try:
        gateway = gateway_for(account, fresh_token=True)
        _authenticate(gateway, account)
    except CredentialError:
        return TEST_KEY, ""
    except Exception as exc:  # noqa: BLE001 - every outcome becomes a sentence
        messages = getattr(exc, "messages", None)
        if messages:
            text = mask("; ".join(message_text(m) for m in messages)[:200], secrets)
            # karrio-usps may leave the whole error object in `code`: its status is read from the text.
            if any(re.search(r"\b(429|5\d\d)\b", str(m.code)) for m in messages):
                return TEST_BUSY, text
            return TEST_REFUSED, text
        return TEST_UNREACHABLE, mask(plain_error(exc), secrets)
    return TEST_OK, ""
