"""What the carrier faces share: the demo credentials, the parcels' stories, one HTTP call and its answer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import Message
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    import re

    from .server import CarrierSandbox

CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-secret"  # the sandbox's own demo secret; a real account's never leaves Outbound


@dataclass(frozen=True)
class Step:
    hours: float
    stage: str  # label | in_transit | out_for_delivery | delivered | exception | returned
    text: str
    city: str
    state: str
    zip: str


NORMAL = [
    Step(0, "label", "Shipper created a label, the carrier has not received the package yet.", "Austin", "TX", "78701"),
    Step(3, "in_transit", "Origin scan", "Austin", "TX", "78744"),
    Step(14, "in_transit", "Departed from facility", "Dallas", "TX", "75261"),
    Step(30, "in_transit", "Arrived at facility", "Kansas City", "MO", "64120"),
    Step(44, "out_for_delivery", "Out for delivery today", "Chicago", "IL", "60607"),
    Step(50, "delivered", "Delivered, front door", "Chicago", "IL", "60614"),
]
EXCEPTION = [
    *NORMAL[:4],
    Step(
        44,
        "exception",
        "The address is incomplete; the carrier is trying to reach the receiver.",
        "Chicago",
        "IL",
        "60607",
    ),
    Step(68, "out_for_delivery", "Out for delivery today", "Chicago", "IL", "60607"),
    Step(74, "delivered", "Delivered, handed to resident", "Chicago", "IL", "60614"),
]
RETURNED = [
    *NORMAL[:4],
    Step(44, "exception", "The receiver refused the package.", "Chicago", "IL", "60607"),
    Step(60, "returned", "Returned to sender", "Austin", "TX", "78744"),
]


def story_for(number: str) -> list[Step]:
    upper = number.upper()
    if "RTS" in upper:
        return RETURNED
    if "EXC" in upper:
        return EXCEPTION
    return NORMAL


def story_of_ship_to(lines: list[str]) -> list[Step] | None:
    """A label sold to a ship-to whose name or address carries "#EXC" goes through the exception story, one
    with "#RTS" is returned to the sender (sold numbers are digits: the markers cannot be in them)."""
    text = " ".join(lines).upper()
    if "#RTS" in text:
        return RETURNED
    if "#EXC" in text:
        return EXCEPTION
    return None


@dataclass
class Call:
    """One HTTP request to a carrier face."""

    sandbox: CarrierSandbox
    method: str
    path: str
    query: dict[str, str]
    headers: Message
    body: bytes
    match: re.Match
    client_id: str = ""  # the OAuth client of the bearer token, once checked

    def form_credentials(self) -> tuple[bool, str, dict[str, str]]:
        """An OAuth client-credentials form (USPS, FedEx): (whether they are the sandbox's, the pair quoted
        back when the sandbox echoes refused credentials, the form)."""
        form = {k: v[0] for k, v in parse_qs(self.body.decode()).items()}
        pair = (form.get("client_id"), form.get("client_secret"))
        ok = pair == (self.sandbox.client_id, self.sandbox.client_secret)
        quoted = f" ({pair[0]}:{pair[1]})" if self.sandbox.echo and not ok else ""
        return ok, quoted, form

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            return None


@dataclass
class Reply:
    status: int
    payload: Any  # dict/list → JSON; bytes/str → as is
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    tracking_number: str | None = None  # what a ship/void call sold/voided (the truth marks a lost answer)

    def body(self) -> bytes:
        if isinstance(self.payload, bytes):
            return self.payload
        if isinstance(self.payload, str):
            return self.payload.encode()
        return json.dumps(self.payload).encode()


def business_days_after(start: date, days: int) -> date:
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def dig(data: Any, *path: Any, default: Any = None) -> Any:
    """data[p0][p1]…, None-safe; a one-element list stands for its element where a dict is expected."""
    for key in path:
        if isinstance(data, list) and isinstance(key, str):
            data = data[0] if data else None
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int):
            data = data[key] if -len(data) <= key < len(data) else None
        else:
            return default
        if data is None:
            return default
    return data


def as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
