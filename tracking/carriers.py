"""The karrio side: one tracking request per batch of tracking numbers of one carrier account, its answer
mapped to Outbound's tracking states, and the credentials test.

karrio's UPS and USPS extensions hard-code the carrier's servers (`Settings.server_url` is a property of
test_mode); Outbound subclasses each extension's Settings so an account's `server_url` (the carrier
sandbox) replaces it. Everything else, the OAuth token calls, the requests, the mapping and parsing, is
karrio's own code. Both carriers' tracking APIs take one number per HTTP request: karrio sends a batch's
requests concurrently over one cached token.

Credentials never leave this module but towards the carrier: error texts are masked before anyone
stores them, and karrio's own logger (loguru) is switched off, since it may print request headers.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import re
import threading
import urllib.request
from dataclasses import dataclass, field

from django.conf import settings

from .models import KARRIO_CARRIERS, CarrierAccount, TrackingState

logger = logging.getLogger(__name__)

# karrio status names → Outbound's tracking states.
STATE_OF_STATUS = {
    "delivered": TrackingState.DELIVERED,
    "out_for_delivery": TrackingState.OUT_FOR_DELIVERY,
    "on_hold": TrackingState.EXCEPTION,
    "delivery_failed": TrackingState.EXCEPTION,
    "return_to_sender": TrackingState.RETURNED,
    "cancelled": TrackingState.EXCEPTION,
    "in_transit": TrackingState.IN_TRANSIT,
    "picked_up": TrackingState.IN_TRANSIT,
    "pending": TrackingState.IN_TRANSIT,
    "ready_for_pickup": TrackingState.IN_TRANSIT,
    "delivery_delayed": TrackingState.IN_TRANSIT,
}
# A scan that sends the parcel back to the merchant: karrio maps these to on_hold (UPS "RS", returned to
# shipper) or delivery_failed (USPS "09", Return to Sender); their codes, or the words, tell them apart.
RETURN_CODES = {"ups": {"RS"}, "usps": {"09"}}
_RETURN_WORDS = re.compile(r"\breturn(ed|ing)? to (the )?(sender|shipper)\b", re.I)
# karrio-ups reads an activity's type before its code, and UPS reports out-for-delivery scans as type I
# ("in progress"): their codes tell them apart.
OUT_FOR_DELIVERY_CODES = {"ups": {"OT", "OF", "OD", "DL"}}


class CarrierUnavailable(Exception):
    """The carrier did not answer usably (timeout, 429, 5xx, refused credentials); message in plain words."""


@dataclass
class ParsedEvent:
    occurred_at: dt.datetime | None
    state: str
    code: str
    description: str
    location: str

    @property
    def fingerprint(self) -> str:
        raw = "|".join(
            [self.occurred_at.isoformat() if self.occurred_at else "", self.code, self.description, self.location]
        )
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class ParsedTracking:
    tracking_number: str
    state: str
    status_text: str
    events: list[ParsedEvent] = field(default_factory=list)


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


def _setup() -> None:
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
def _settings_class(extension: str):
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


_token_caches: dict[str, object] = {}
_token_caches_lock = threading.Lock()


def _token_cache(server: str):
    """The carriers' OAuth tokens, per process and server (karrio keys them on the credentials within)."""
    import karrio.lib as lib

    with _token_caches_lock:
        return _token_caches.setdefault(server, lib.Cache())


def _forget_tokens(server: str) -> None:
    """The carrier no longer knows a token cached for `server` (it restarted, the credentials were
    rotated): the next gateway asks for a new one instead of failing until the old one expires."""
    with _token_caches_lock:
        _token_caches.pop(server, None)


def _server_key(account: CarrierAccount) -> str:
    return f"{KARRIO_CARRIERS[account.carrier]}|{account.server_url}|{account.test_mode}"


def _gateway(account: CarrierAccount, *, fresh_token: bool = False):
    _setup()
    import karrio.lib as lib
    import karrio.sdk as sdk

    extension = KARRIO_CARRIERS[account.carrier]
    creds = account.credentials()
    carrier_settings = _settings_class(extension)(
        client_id=creds["client_id"],
        client_secret=creds["client_secret"],
        test_mode=account.test_mode,
        outbound_server_url=account.server_url or None,
        id=str(account.pk),
    )
    cache = lib.Cache() if fresh_token else _token_cache(_server_key(account))
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


def _token_refused(message) -> bool:
    code = message.code.get("code") if isinstance(message.code, dict) else message.code
    return bool(_TOKEN_REFUSED.search(f"{code} {_message_text(message)}"))


def _message_text(message) -> str:
    if isinstance(message.code, dict):
        return str(message.code.get("message") or message.code.get("code") or "")
    return str(message.message or message.code)


TIMEOUT_TEXT = "The carrier did not answer in time."
UNREACHABLE_TEXT = "The carrier's server could not be reached."


def is_transient(error: str) -> bool:
    """Whether a failed request's words say the carrier was busy or away (asked again later, as it is),
    rather than that it refused what it was asked (which one number of a batch may cause)."""
    return error in (TIMEOUT_TEXT, UNREACHABLE_TEXT) or bool(re.search(r"\b(429|5\d\d)\b|busy", error))


def _plain_error(exc: BaseException) -> str:
    import socket
    from urllib.error import URLError

    if isinstance(exc, TimeoutError | socket.timeout):
        return TIMEOUT_TEXT
    if isinstance(exc, URLError | ConnectionError | OSError):
        return UNREACHABLE_TEXT
    messages = getattr(exc, "messages", None)
    if messages:
        return "The carrier refused: " + "; ".join(_message_text(m) for m in messages)[:300]
    return f"The carrier's answer could not be read ({type(exc).__name__})."


def _timestamp(value) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _state(extension: str, status: str | None, code: str | None, description: str | None = None) -> str:
    if (code and code in RETURN_CODES.get(extension, ())) or (description and _RETURN_WORDS.search(description)):
        return TrackingState.RETURNED
    if status == "return_to_sender":
        return TrackingState.RETURNED
    if code and code in OUT_FOR_DELIVERY_CODES.get(extension, ()):
        return TrackingState.OUT_FOR_DELIVERY
    return STATE_OF_STATUS.get(status or "", TrackingState.UNKNOWN)


def _parse(extension: str, details) -> ParsedTracking:
    events = [
        ParsedEvent(
            occurred_at=_timestamp(e.timestamp),
            state=_state(extension, e.status, e.code, e.description),
            code=(e.code or "")[:50],
            description=(e.description or "")[:300],
            location=(e.location or "")[:200],
        )
        for e in details.events or []
    ]
    events.sort(key=lambda e: e.occurred_at or dt.datetime.min.replace(tzinfo=dt.UTC), reverse=True)
    if details.delivered:
        state = TrackingState.DELIVERED
    elif events:
        state = events[0].state if events[0].state != TrackingState.UNKNOWN else _state(extension, details.status, None)
    else:
        state = _state(extension, details.status, None)
    return ParsedTracking(
        tracking_number=details.tracking_number,
        state=state,
        status_text=events[0].description if events else "",
        events=events,
    )


def track(account: CarrierAccount, numbers: list[str]) -> tuple[dict[str, ParsedTracking], str]:
    """One karrio tracking request for `numbers`: ({number: parsed}, error text). Numbers the carrier did not
    answer for are missing from the dict; the error says why in plain words (masked)."""
    _setup()
    import karrio.sdk as sdk
    from karrio.core.models import TrackingRequest

    extension = KARRIO_CARRIERS[account.carrier]
    secrets = secrets_of(account)

    def ask():
        return sdk.Tracking.fetch(TrackingRequest(tracking_numbers=numbers)).from_(_gateway(account)).parse()

    try:
        details, messages = ask()
        if messages and not details and any(_token_refused(m) for m in messages):
            _forget_tokens(_server_key(account))
            details, messages = ask()  # once more, with a new token
    except Exception as exc:  # noqa: BLE001 - any failure of the carrier's side is a failed poll, told in words
        return {}, mask(_plain_error(exc), secrets)
    found = {}
    for item in details or []:
        parsed = _parse(extension, item)
        found[parsed.tracking_number] = parsed
    error = ""
    if messages:
        text = "; ".join(_message_text(m) for m in messages)
        if "timeout" in text.lower() or "timed out" in text.lower():
            error = TIMEOUT_TEXT
        elif "urlopen error" in text or "refused" in text.lower() and "connection" in text.lower():
            error = UNREACHABLE_TEXT
        else:
            error = mask("The carrier answered with an error: " + text[:300], secrets)
    return found, error


# The outcomes of a credentials test; the portal words them (portal.views.carriers.OUTCOME_TEXT).
TEST_OK, TEST_REFUSED, TEST_BUSY, TEST_UNREACHABLE, TEST_KEY = "ok", "refused", "busy", "unreachable", "key"


def test_credentials(account: CarrierAccount) -> tuple[str, str]:
    """Ask the carrier for a token with the account's credentials: (outcome, the carrier's own words, masked)."""
    from stores.crypto import CredentialError

    secrets = secrets_of(account)
    try:
        gateway = _gateway(account, fresh_token=True)
        gateway.proxy.authenticate().deserialize()
    except CredentialError:
        return TEST_KEY, ""
    except Exception as exc:  # noqa: BLE001 - every outcome becomes a sentence
        messages = getattr(exc, "messages", None)
        if messages:
            text = mask("; ".join(_message_text(m) for m in messages)[:200], secrets)
            # karrio-usps may leave the whole error object in `code`: its status is read from the text.
            if any(re.search(r"\b(429|5\d\d)\b", str(m.code)) for m in messages):
                return TEST_BUSY, text
            return TEST_REFUSED, text
        return TEST_UNREACHABLE, mask(_plain_error(exc), secrets)
    return TEST_OK, ""
