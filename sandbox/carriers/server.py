"""The carrier sandbox's HTTP server: clock, parcel stories, faults, latency and the truth of what was sold
(see the package docstring); each carrier's face is its own module (ups, usps, fedex)."""

from __future__ import annotations

import itertools
import json
import random
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox.clock import Clock

from . import fedex, labels, pricing, ups, usps
from .base import CLIENT_ID, CLIENT_SECRET, EXCEPTION, NORMAL, RETURNED, Call, Reply, Step, story_for, story_of_ship_to
from .truth import OPERATIONS, OperationFaults, SoldLabel, Truth

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "EXCEPTION", "NORMAL", "RETURNED", "CarrierSandbox", "Faults", "Step"]

CARRIERS = {"ups": ups, "usps": usps, "fedex": fedex}
ROUTES = [
    (method, re.compile(pattern + r"/?"), carrier, operation, answer)
    for carrier, module in CARRIERS.items()
    for method, pattern, operation, answer in module.ROUTES
]
# Latency by default: rating, shipping and voiding as slow as a real carrier's; tokens and tracking at once.
DEFAULT_LATENCY = 0.3
LATENT_OPERATIONS = ("rate", "ship", "void")
REFUSED_POSTAL_CODES = ("00000",)
REFUSE_MARKER = "UNDELIVERABLE"


@dataclass
class Faults:
    """Every request but the control ones (the tracking tests' faults): error_rate: the share answered
    `status` (500 by default; 429 with Retry-After); timeout_rate: the share answered only after `delay`
    seconds. `pattern="alternate"` fails every other request instead of drawing at random (deterministic
    tests). Faults of one operation, in the carrier's own shape, are `CarrierSandbox.set_faults`."""

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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # a batch of labels over many connections at once is not refused
    allow_reuse_address = True


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
        latency: float = DEFAULT_LATENCY,
        tracking_latency: float = 0.0,
        seed: int | None = None,
        refuse_marker: str = REFUSE_MARKER,
    ) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        # echo: refused credentials are quoted back in the error (a hostile or careless carrier).
        self.echo = echo
        # speed: sandbox seconds per real second (0 = the clock moves only when advanced).
        self.clock = Clock(start, frozen=True)
        self.speed = speed
        self._t0 = time.monotonic()
        self._wall0 = time.time()
        self.faults = Faults()  # every request (the tracking tests'); per operation: set_faults()
        self.operation_faults: dict[tuple[str, str], OperationFaults] = {}
        # latency: seconds before each answer, per operation ("token", "rate", "ship", "void", "track").
        self.latency: dict[str, float] = {op: (latency if op in LATENT_OPERATIONS else 0.0) for op in OPERATIONS}
        self.latency["track"] = tracking_latency
        self.refuse_marker = refuse_marker
        self.sleep = time.sleep  # how the latency and the timeout fault wait (a test may watch it)
        self.truth = Truth()
        self.first_seen: dict[str, float] = {}
        self.stories: dict[str, list[Step]] = {}  # sold numbers whose ship-to chose their story
        self.tokens: set[str] = set()
        self.token_clients: dict[str, str] = {}
        self.payment_accounts: dict[str, str] = {}  # USPS payment token → the payer's account number
        self.requests: list[tuple[str, str]] = []  # (method, path)
        self.lock = threading.Lock()
        # Tracking numbers: a serial from a random start (a seed makes it repeatable).
        rng = random.Random(seed) if seed is not None else random.SystemRandom()  # noqa: S311 - not crypto
        self._serial = itertools.count(rng.randrange(10**6, 10**7 - 10**5) * 10**5)
        self.httpd = _Server((host, port), _Handler)
        self.httpd.sandbox = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    # --- life -----------------------------------------------------------------------------------------
    def start(self) -> CarrierSandbox:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="carrier-sandbox", daemon=True
        )
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
        """The scans of `number` so far; a voided label never leaves its first step."""
        self.register(number)
        start = self.first_seen[number]
        elapsed_h = (self.now() - start) / 3600
        label = self.truth.labels.get(number)
        story = self.stories.get(number) or story_for(number)
        if label is not None and label.voided:
            story = story[:1]
        return [(step, self.real_time(start + step.hours * 3600)) for step in story if step.hours <= elapsed_h]

    def stage(self, number: str) -> str:
        return self.steps_so_far(number)[-1][0].stage

    def tracking_requests(self) -> int:
        return sum(1 for _, path in self.requests if "/track" in path)

    def ups_answer(self, number: str) -> dict:
        return ups.track_answer(self, number)

    def usps_answer(self, number: str) -> dict:
        return usps.track_answer(self, number)

    # --- selling ----------------------------------------------------------------------------------------
    def refuses_address(self, postal_code: str | None, lines: list[str]) -> bool:
        """A ship-to the sandbox deems invalid: postal code 00000, or the refuse marker in its lines."""
        if str(postal_code or "").strip()[:5] in REFUSED_POSTAL_CODES:
            return True
        marker = (self.refuse_marker or "").upper()
        return bool(marker) and any(marker in str(line).upper() for line in lines)

    def tracking_number(self, carrier: str, service: pricing.Service, prefix: str = "") -> str:
        serial = next(self._serial)
        if carrier == "ups":  # 1Z + shipper (6) + service (2) + package (7) + check = 18
            body = f"1ZSBX001{service.code[-2:]}{serial % 10**7:07d}"
        elif carrier == "usps":  # 22 digits, the mail class's prefix first
            body = f"{prefix or '9400'}1{serial:016d}"
        else:  # FedEx: 12 digits
            body = f"7{serial % 10**10:010d}"
        check = sum(int(c) if c.isdigit() else ord(c) for c in body) % 10
        return f"{body}{check}"

    def sell(
        self,
        call: Call,
        carrier: str,
        service: pricing.Service,
        *,
        zone: int,
        weight_lb: float,
        ship_to: list[str],
        ship_from: list[str],
        ship_to_postal_code: str = "",
        reference: str = "",
        lookup_references: list[str] | None = None,
        account_number: str = "",
        label_format: str = "PDF",
        number_prefix: str = "",
        ship_date: str = "",
    ) -> tuple[SoldLabel, bytes]:
        """Sell one label: record it in the truth, start its parcel's story, render its document."""
        number = self.tracking_number(carrier, service, number_prefix)
        label = SoldLabel(
            carrier=carrier,
            tracking_number=number,
            service=service.code,
            service_name=service.name,
            price=service.price(zone, weight_lb),
            client_id=call.client_id,
            account_number=account_number or "",
            reference=str(reference or ""),
            lookup_references=[str(r) for r in lookup_references or [] if r],
            idempotency_key=call.headers.get("Idempotency-Key") or "",
            label_format=label_format,
            ship_to_postal_code=str(ship_to_postal_code or ""),
            weight_lb=round(weight_lb, 3),
            ship_date=str(ship_date or ""),
        )
        story = story_of_ship_to(ship_to)
        with self.lock:
            if story is not None:
                self.stories[number] = story
        self.register(number)
        self.truth.sold(label)
        face = labels.LabelFace(
            carrier={"ups": "UPS", "usps": "USPS", "fedex": "FedEx"}[carrier],
            service=service.name,
            tracking_number=number,
            ship_to=ship_to,
            ship_from=ship_from,
            reference=label.reference,
            weight_lb=pricing.billable_pounds(weight_lb),
        )
        if label_format == "ZPL":
            document = labels.label_zpl(face)
        elif label_format in ("PNG", "GIF"):
            document = labels.label_png(face, label_format)
        else:
            document = labels.label_pdf(face)
        return label, document

    def void(self, carrier: str, number: str) -> tuple[str, SoldLabel | None]:
        known = number in self.truth.labels
        scanned = known and self.stage(number) != "label"
        return self.truth.void(carrier, number, scanned)

    # --- the truth ------------------------------------------------------------------------------------
    def labels_sold(self, carrier: str | None = None, *, live_only: bool = False) -> list[SoldLabel]:
        """Every label sold (voided ones included unless live_only), in the order sold."""
        return self.truth.labels_sold(carrier, live_only=live_only)

    def labels_voided(self, carrier: str | None = None) -> list[SoldLabel]:
        return [label for label in self.truth.labels_sold(carrier) if label.voided]

    def label_by_reference(self, reference: str) -> list[SoldLabel]:
        """The labels sold with this shipper's reference (test-only: no carrier offers this lookup)."""
        return self.truth.by_reference(reference)

    def voids(self) -> list:
        with self.truth.lock:
            return list(self.truth.void_log)

    def rate_requests(self, carrier: str | None = None) -> int:
        with self.truth.lock:
            return sum(self.truth.rates.values()) if carrier is None else self.truth.rates[carrier]

    def calls(self, carrier: str, operation: str) -> int:
        with self.truth.lock:
            return self.truth.calls[(carrier, operation)]

    def truth_dict(self, reference: str | None = None) -> dict:
        return self.truth.as_dict(reference)

    # --- faults and latency -------------------------------------------------------------------------------
    def set_faults(self, operation: str, carrier: str = "*", **settings: Any) -> OperationFaults:
        """Faults of one operation ("token", "rate", "ship", "void", "track") of one carrier ("ups", "usps",
        "fedex") or of all ("*"): error_rate, status, timeout_rate, delay, lose_rate, seed. No settings:
        the operation's faults are cleared."""
        if operation not in OPERATIONS or (carrier != "*" and carrier not in CARRIERS):
            raise ValueError(f"no such operation or carrier: {carrier}.{operation}")
        faults = OperationFaults(**settings)
        with self.lock:
            if settings:
                self.operation_faults[(carrier, operation)] = faults
            else:
                self.operation_faults.pop((carrier, operation), None)
        return faults

    def clear_faults(self) -> None:
        with self.lock:
            self.operation_faults.clear()
        self.faults = Faults()

    def faults_of(self, carrier: str, operation: str) -> OperationFaults | None:
        with self.lock:
            return self.operation_faults.get((carrier, operation)) or self.operation_faults.get(("*", operation))

    def set_latency(self, seconds: float | None = None, **operations: float) -> dict[str, float]:
        """`seconds` for rating, shipping and voiding; or per operation: set_latency(track=0.1)."""
        with self.lock:
            if seconds is not None:
                for op in LATENT_OPERATIONS:
                    self.latency[op] = float(seconds)
            for op, value in operations.items():
                if op not in OPERATIONS:
                    raise ValueError(f"no such operation: {op}")
                self.latency[op] = float(value)
            return dict(self.latency)

    # --- tokens -------------------------------------------------------------------------------------------
    def issue_token(self, client_id: str) -> str:
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens.add(token)
            self.token_clients[token] = client_id
        return token

    def bearer_client(self, header: str | None) -> str:
        """The client of a bearer token the sandbox issued and still knows ("" when none)."""
        header = header or ""
        if not header.startswith("Bearer "):
            return ""
        token = header[7:]
        with self.lock:
            if token not in self.tokens:
                return ""
            return self.token_clients.get(token, self.client_id)


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

    def _send(self, reply: Reply) -> None:
        body = reply.body()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(Reply(status, payload, headers=headers or {}))

    def _drop(self) -> None:
        """Close the connection without a word: the client reads "remote end closed without response"."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        body = self._body()
        sandbox = self.sandbox
        if path.startswith("/_sandbox/"):
            return self._control(method, path, parts.query, body)
        with sandbox.lock:
            sandbox.requests.append((method, path))
        fault = sandbox.faults.draw()
        if fault == "timeout":
            time.sleep(sandbox.faults.delay)
        elif fault == "error":
            return self._legacy_error(path)
        route = next(
            (
                (carrier, op, answer, m)
                for verb, rx, carrier, op, answer in ROUTES
                if verb == method and (m := rx.fullmatch(path))
            ),
            None,
        )
        if route is None:
            return self._json(404, {"error": {"code": "404", "message": f"No such sandbox path: {method} {path}"}})
        carrier, operation, answer, match = route
        face = CARRIERS[carrier]
        sandbox.truth.count(carrier, operation)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        call = Call(sandbox, method, path, query, self.headers, body, match)
        call.client_id = sandbox.bearer_client(self.headers.get("Authorization"))
        if operation != "token" and not call.client_id:
            return self._send(face.unauthorized())
        lose = False
        faults = sandbox.faults_of(carrier, operation)
        drawn = faults.draw() if faults else None
        if drawn == "error":
            status = faults.status
            reply = face.busy(status)
            if status == 429:
                reply.headers["Retry-After"] = "1"
            return self._send(reply)
        if drawn == "timeout":
            sandbox.sleep(faults.delay)
        lose = drawn == "lose"
        if sandbox.latency.get(operation):
            sandbox.sleep(sandbox.latency[operation])
        reply = answer(call)
        if lose:
            sandbox.truth.mark_lost(carrier, operation, reply.tracking_number)
            return self._drop()
        return self._send(reply)

    def _legacy_error(self, path: str) -> None:
        status = self.sandbox.faults.status
        headers = {"Retry-After": "1"} if status == 429 else {}
        message = "The carrier's server is busy; try again later."
        if path.startswith(("/security/", "/api/")):
            return self._json(status, {"response": {"errors": [{"code": str(status), "message": message}]}}, headers)
        return self._json(status, {"error": {"code": str(status), "message": message}}, headers)

    def _control(self, method: str, path: str, query: str, body: bytes) -> None:
        """POST /_sandbox/advance {"hours"}; POST /_sandbox/faults {...} (with "operation", and "carrier",
        one operation's faults; without, every request's); POST /_sandbox/latency {"seconds"} or
        {"<operation>": seconds}; POST /_sandbox/register {"tracking_number"}; GET /_sandbox/truth
        (?reference=…)."""
        sandbox = self.sandbox
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return self._json(400, {"error": "the body is not JSON"})
        if path == "/_sandbox/truth" and method == "GET":
            reference = parse_qs(query).get("reference", [None])[0]
            return self._json(200, sandbox.truth_dict(reference))
        if method != "POST":
            return self._json(405, {"error": "POST, or GET /_sandbox/truth"})
        if path == "/_sandbox/advance":
            sandbox.advance(float(data.get("hours", 0)))
        elif path == "/_sandbox/faults":
            if "operation" in data:
                settings = {k: v for k, v in data.items() if k not in ("operation", "carrier")}
                try:
                    faults = sandbox.set_faults(data["operation"], data.get("carrier", "*"), **settings)
                except (TypeError, ValueError) as exc:
                    return self._json(400, {"error": str(exc)})
                return self._json(200, {"faults": faults.public()})
            for name in ("error_rate", "status", "timeout_rate", "delay", "pattern"):
                if name in data:
                    setattr(sandbox.faults, name, data[name])
        elif path == "/_sandbox/latency":
            try:
                latency = sandbox.set_latency(data.pop("seconds", None), **data)
            except (TypeError, ValueError) as exc:
                return self._json(400, {"error": str(exc)})
            return self._json(200, {"latency": latency})
        elif path == "/_sandbox/register":
            sandbox.register(str(data["tracking_number"]))
        else:
            return self._json(404, {"error": "unknown control"})
        self._json(200, {"now": datetime.fromtimestamp(sandbox.now(), UTC).isoformat()})


def run_carrier_sandbox(host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> CarrierSandbox:
    return CarrierSandbox(host, port, **kwargs).start()
