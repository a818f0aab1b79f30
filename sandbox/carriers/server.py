"""The carrier sandbox's HTTP server, clock, parcel stories and faults (see the package docstring)."""

from __future__ import annotations

import base64
import json
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sandbox.clock import Clock

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

# UPS activity status (type, code) per stage: karrio-ups reads the type first; UPS reports its
# out-for-delivery scans as type I with code OT.
UPS_STATUS = {
    "label": ("M", "MP"),
    "in_transit": ("I", "DP"),
    "out_for_delivery": ("I", "OT"),
    "delivered": ("D", "KB"),
    "exception": ("X", "XA"),
    "returned": ("X", "RS"),
}
# USPS eventType / status words karrio-usps matches (lower-cased substrings).
USPS_STATUS = {
    "label": ("Shipping Label Created, USPS Awaiting Item", "Pre-Shipment", "MA"),
    "in_transit": ("In Transit to Next Facility", "In Transit", "10"),
    "out_for_delivery": ("Out for Delivery", "Out for Delivery", "OF"),
    "delivered": ("Delivered, Front Door/Porch", "Delivered", "01"),
    "exception": ("Delivery Failed - Addressee Unknown", "Alert", "21"),
    "returned": ("Delivery Failed - Return to Sender", "Alert", "09"),
}


def story_for(number: str) -> list[Step]:
    upper = number.upper()
    if "RTS" in upper:
        return RETURNED
    if "EXC" in upper:
        return EXCEPTION
    return NORMAL


@dataclass
class Faults:
    """error_rate: the share of requests answered `status` (500 by default; 429 with Retry-After);
    timeout_rate: the share answered only after `delay` seconds. `pattern="alternate"` fails every other
    request instead of drawing at random (deterministic tests)."""

    error_rate: float = 0.0
    status: int = 500
    timeout_rate: float = 0.0
    delay: float = 5.0
    pattern: str = "random"
    seed: int = 1
    _count: int = 0
    _rng: random.Random = field(default_factory=lambda: random.Random(1))  # noqa: S311 - not crypto
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def draw(self) -> str | None:
        with self._lock:
            self._count += 1
            if self.pattern == "alternate":
                if self.error_rate and self._count % 2 == 1:
                    return "error"
                return None
            roll = self._rng.random()
        if roll < self.error_rate:
            return "error"
        if roll < self.error_rate + self.timeout_rate:
            return "timeout"
        return None


class CarrierSandbox:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        speed: float = 0.0,
        start: datetime | None = None,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        echo: bool = False,
    ) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        # echo: refused credentials are quoted back in the error (a hostile or careless carrier).
        self.echo = echo
        # speed: sandbox seconds per real second (0 = the clock moves only when advanced).
        self.clock = Clock(start, frozen=True)
        self.speed = speed
        self._t0 = time.monotonic()
        self._wall0 = time.time()
        self.faults = Faults()
        self.first_seen: dict[str, float] = {}
        self.tokens: set[str] = set()
        self.requests: list[tuple[str, str]] = []  # (method, path)
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer((host, port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.sandbox = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    # --- life -----------------------------------------------------------------------------------------
    def start(self) -> CarrierSandbox:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="carrier-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    # --- clock and parcels -----------------------------------------------------------------------------
    def now(self) -> float:
        return self.clock.now() + (time.monotonic() - self._t0) * self.speed

    def advance(self, hours: float) -> None:
        self.clock.advance(hours * 3600)

    def register(self, number: str, at: float | None = None) -> None:
        with self.lock:
            self.first_seen.setdefault(number, self.now() if at is None else at)

    def real_time(self, at: float) -> float:
        """When, by the real clock, a fast sandbox clock showed `at`: the hours of a parcel's story pass in
        seconds, and its scans are dated when they happened for the person watching, never ahead of the
        real now (a carrier does not date a scan in the future). A clock moved only by `advance()` (speed 0,
        the tests) keeps its own dates."""
        if self.speed <= 0:
            return at
        return min(self._wall0 + (at - self.clock.now()) / self.speed, time.time())

    def steps_so_far(self, number: str) -> list[tuple[Step, float]]:
        self.register(number)
        start = self.first_seen[number]
        elapsed_h = (self.now() - start) / 3600
        return [
            (step, self.real_time(start + step.hours * 3600)) for step in story_for(number) if step.hours <= elapsed_h
        ]

    def tracking_requests(self) -> int:
        return sum(1 for _, path in self.requests if "/track" in path)

    # --- answers in each carrier's shape ----------------------------------------------------------------
    def ups_answer(self, number: str) -> dict:
        activity = []
        for step, at in reversed(self.steps_so_far(number)):  # newest first, as UPS sends them
            when = datetime.fromtimestamp(at, UTC)
            kind, code = UPS_STATUS[step.stage]
            activity.append(
                {
                    "location": {
                        "address": {
                            "city": step.city,
                            "stateProvince": step.state,
                            "postalCode": step.zip,
                            "country": "US",
                        }
                    },
                    "status": {"type": kind, "description": step.text, "code": code, "statusCode": code},
                    "date": when.strftime("%Y%m%d"),
                    "time": when.strftime("%H%M%S"),
                }
            )
        delivered = activity and activity[0]["status"]["type"] == "D"
        package = {
            "trackingNumber": number,
            "deliveryDate": [{"type": "DEL", "date": activity[0]["date"]}] if delivered else [],
            "activity": activity,
            "packageAddress": [
                {"type": "ORIGIN", "address": {"city": "Austin", "country": "US"}},
                {"type": "DESTINATION", "address": {"city": "Chicago", "country": "US"}},
            ],
            "service": {"code": "003", "description": "UPS Ground"},
            "weight": {"unitOfMeasurement": "LBS", "weight": "2.00"},
        }
        return {"trackResponse": {"shipment": [{"inquiryNumber": number, "package": [package]}]}}

    def usps_answer(self, number: str) -> dict:
        events = []
        steps = self.steps_so_far(number)
        for step, at in reversed(steps):
            event_type, _, code = USPS_STATUS[step.stage]
            events.append(
                {
                    "eventType": event_type,
                    "eventCode": code,
                    "eventTimestamp": datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "eventCity": step.city.upper(),
                    "eventState": step.state,
                    "eventZIP": step.zip,
                    "eventCountry": "US",
                }
            )
        latest = steps[-1][0].stage
        return {
            "trackingNumber": number,
            "mailClass": "PRIORITY_MAIL",
            "originZIP": "78701",
            "destinationZIP": "60614",
            "destinationCountryCode": "US",
            "status": USPS_STATUS[latest][1] if latest != "exception" else USPS_STATUS[latest][0],
            "statusCategory": USPS_STATUS[latest][1],
            "trackingEvents": events,
        }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    @property
    def sandbox(self) -> CarrierSandbox:
        return self.server.sandbox  # type: ignore[attr-defined]

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        body = self._body() if method == "POST" else b""
        sandbox = self.sandbox
        if path.startswith("/_sandbox/"):
            return self._control(path, body)
        with sandbox.lock:
            sandbox.requests.append((method, path))
        fault = sandbox.faults.draw()
        if fault == "timeout":
            time.sleep(sandbox.faults.delay)
        elif fault == "error":
            status = sandbox.faults.status
            headers = {"Retry-After": "1"} if status == 429 else {}
            if path.startswith(("/security/", "/api/")):
                return self._json(
                    status,
                    {
                        "response": {
                            "errors": [
                                {"code": str(status), "message": "The carrier's server is busy; try again later."}
                            ]
                        }
                    },
                    headers,
                )
            return self._json(
                status,
                {"error": {"code": str(status), "message": "The carrier's server is busy; try again later."}},
                headers,
            )
        if method == "POST" and path == "/security/v1/oauth/token":
            return self._ups_token()
        if method == "POST" and path == "/oauth2/v3/token":
            return self._usps_token(body)
        if method == "GET" and path.startswith("/api/track/v1/details/"):
            if not self._bearer_ok():
                return self._json(
                    401,
                    {"response": {"errors": [{"code": "250002", "message": "Invalid Authentication Information."}]}},
                )
            number = unquote(path.rsplit("/", 1)[1])
            if "GARBLED" in number.upper():
                return self._garbled()
            return self._json(200, sandbox.ups_answer(number))
        if method == "GET" and path.startswith("/tracking/v3/tracking/"):
            if not self._bearer_ok():
                return self._json(401, {"error": {"code": "401", "message": "Unauthorized"}})
            number = unquote(path.rsplit("/", 1)[1])
            if "GARBLED" in number.upper():
                return self._garbled()
            return self._json(200, sandbox.usps_answer(number))
        return self._json(404, {"error": {"code": "404", "message": f"No such sandbox path: {path}"}})

    def _garbled(self) -> None:
        """A number containing "GARBLED": an answer that is not JSON (a carrier's proxy error page), which
        fails karrio's reading of the whole request it belongs to."""
        body = b"<html><body>Bad gateway</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _bearer_ok(self) -> bool:
        header = self.headers.get("Authorization") or ""
        return header.startswith("Bearer ") and header[7:] in self.sandbox.tokens

    def _issue(self) -> str:
        token = secrets.token_urlsafe(24)
        with self.sandbox.lock:
            self.sandbox.tokens.add(token)
        return token

    def _ups_token(self) -> None:
        header = self.headers.get("Authorization") or ""
        try:
            pair = base64.b64decode(header.removeprefix("Basic ")).decode()
        except ValueError:
            pair = ""
        if pair != f"{self.sandbox.client_id}:{self.sandbox.client_secret}":
            quoted = f" ({pair}, {header})" if self.sandbox.echo else ""
            message = f"Invalid Authentication Information.{quoted}"
            return self._json(401, {"response": {"errors": [{"code": "250003", "message": message}]}})
        self._json(
            200,
            {
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
                "access_token": self._issue(),
                "expires_in": "14399",
                "status": "approved",
            },
        )

    def _usps_token(self, body: bytes) -> None:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if (form.get("client_id"), form.get("client_secret")) != (self.sandbox.client_id, self.sandbox.client_secret):
            quoted = f" ({form.get('client_id')}:{form.get('client_secret')})" if self.sandbox.echo else ""
            return self._json(
                401, {"error": "invalid_client", "error_description": f"The client credentials are invalid.{quoted}"}
            )
        self._json(
            200,
            {
                "access_token": self._issue(),
                "token_type": "Bearer",
                "expires_in": 28799,
                "scope": form.get("scope", ""),
            },
        )

    def _control(self, path: str, body: bytes) -> None:
        data = json.loads(body or b"{}")
        sandbox = self.sandbox
        if path == "/_sandbox/advance":
            sandbox.advance(float(data.get("hours", 0)))
        elif path == "/_sandbox/faults":
            for name in ("error_rate", "status", "timeout_rate", "delay", "pattern"):
                if name in data:
                    setattr(sandbox.faults, name, data[name])
        elif path == "/_sandbox/register":
            sandbox.register(str(data["tracking_number"]))
        else:
            return self._json(404, {"error": "unknown control"})
        self._json(200, {"now": datetime.fromtimestamp(sandbox.now(), UTC).isoformat()})


def run_carrier_sandbox(host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> CarrierSandbox:
    return CarrierSandbox(host, port, **kwargs).start()
