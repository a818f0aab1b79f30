"""Tracking through karrio: one tracking request per batch of tracking numbers of one carrier account, and
its answer mapped to Outbound's tracking states.

The gateway, the credentials and the words of a failed call are the carriers layer's (carriers.gateway);
this module keeps what is tracking's own: the request for a batch and the states. The carriers' tracking
APIs take one number per HTTP request: karrio sends a batch's requests concurrently over one cached token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass, field

from carriers.capabilities import extension_of
from carriers.gateway import (
    TIMEOUT_TEXT,
    UNREACHABLE_TEXT,
    forget_tokens,
    gateway_for,
    is_transient,
    mask,
    message_text,
    plain_error,
    secrets_of,
    setup,
    token_refused,
)
from carriers.models import CarrierAccount

from .models import TrackingState

logger = logging.getLogger(__name__)

__all__ = ["is_transient", "track", "ParsedTracking", "ParsedEvent"]

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
    estimated_delivery: dt.date | None = None  # the delivery date the carrier gives, when it gives one


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
        estimated_delivery=_date(getattr(details, "estimated_delivery", None)),
    )


def _date(value) -> dt.date | None:
    """karrio's estimated delivery ("2026-03-04", or a date-time) as a date; anything else: None."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def track(account: CarrierAccount, numbers: list[str]) -> tuple[dict[str, ParsedTracking], str]:
    """One karrio tracking request for `numbers`: ({number: parsed}, error text). Numbers the carrier did not
    answer for are missing from the dict; the error says why in plain words (masked)."""
    setup()
    import karrio.sdk as sdk
    from karrio.core.models import TrackingRequest

    extension = extension_of(account.carrier)
    secrets = secrets_of(account)

    def ask():
        return sdk.Tracking.fetch(TrackingRequest(tracking_numbers=numbers)).from_(gateway_for(account)).parse()

    try:
        details, messages = ask()
        if messages and not details and any(token_refused(m) for m in messages):
            forget_tokens(account)
            details, messages = ask()  # once more, with a new token
    except Exception as exc:  # noqa: BLE001 - any failure of the carrier's side is a failed poll, told in words
        return {}, mask(plain_error(exc), secrets)
    found = {}
    for item in details or []:
        parsed = _parse(extension, item)
        found[parsed.tracking_number] = parsed
    error = ""
    if messages:
        text = "; ".join(message_text(m) for m in messages)
        if "timeout" in text.lower() or "timed out" in text.lower():
            error = TIMEOUT_TEXT
        elif "urlopen error" in text or "refused" in text.lower() and "connection" in text.lower():
            error = UNREACHABLE_TEXT
        else:
            error = mask("The carrier answered with an error: " + text[:300], secrets)
    return found, error
