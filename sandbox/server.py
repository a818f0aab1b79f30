"""The sandbox's HTTP side: the add-on's XML endpoint, the storefront home page, and the control prefix.

    /                          storefront home page (HTML), so a wrong endpoint path yields HTML
    /store/shipstation.aspx    ShipStation Custom Store v1 (Basic auth or SS-UserName/SS-Password)
    /api/v1/...                AmeriCommerce's REST API over the same store (sandbox.rest; X-AC-Auth-Token)
    /_sandbox/truth            GET, JSON, no auth (`?orders=0` leaves the orders out)
    /_sandbox/control          POST, JSON, no auth: mutate / advance / faults / page_size / behaviour /
                               reset_faults / webhooks (the webhook faults)
    /_sandbox/fleet            GET, JSON: the fleet's size and its stores' request counts, summed

A fleet (`run_sandbox(fleet=N)`, `python -m sandbox --fleet N`): besides its own store, the server hosts
N more small stores, store k (1..N) under the prefix `/fleet/k/` (its endpoint
`/fleet/k/store/shipstation.aspx`, its truth and control likewise), each with its own seed and its own
credentials (`fleet_credentials(k)`), created on its first request. Paths without the prefix are the
server's own store, exactly as without a fleet.

Paths are matched case-insensitively, as IIS does. Faults (see `sandbox.faults`) apply only to the XML
endpoint and are decided before authentication, as a proxy or rate limiter in front of the site would.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import socket
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import rest_oauth
from .catalog import IMAGE_BASE, product_png
from .faults import ACTIONS, REJECTING, billion_laughs, malformed
from .rest import api as rest_api
from .store import SandboxStore, ShipNotifyError

ENDPOINT_PATH = "/store/shipstation.aspx"
CONTROL_PREFIX = "/_sandbox/"
TRUTH_PATH = CONTROL_PREFIX + "truth"
# The product pictures (catalog.IMAGE_BASE in the documents becomes the running sandbox's own address).
IMAGE_PATH = "/images/products/"
CONTROL_PATH = CONTROL_PREFIX + "control"
FLEET_PATH = CONTROL_PREFIX + "fleet"
FLEET_PREFIX = "/fleet/"
FLEET_USERNAME = "shipstation-admin"


def fleet_credentials(number: int, seed: int = 1) -> tuple[str, str]:
    """The username and password of fleet store `number` of a sandbox started with `seed`."""
    return FLEET_USERNAME, f"fleet-{seed}-{number}-pw"


def fleet_path(number: int) -> str:
    """The endpoint path of fleet store `number`."""
    return f"{FLEET_PREFIX}{number}{ENDPOINT_PATH}"


DATE_FORMAT = "%m/%d/%Y %H:%M"

_REJECT_PAGES = {
    "429": (429, "Too Many Requests", "Rate limit exceeded. Please retry later."),
    "500": (
        500,
        "Internal Server Error",
        "Server Error in '/' Application. Object reference not set to an instance of an object.",
    ),
    "503": (503, "Service Unavailable", "The server is temporarily unable to service your request."),
    "down": (503, "Service Unavailable", "This store is offline for maintenance. Please check back soon."),
}


def parse_window_date(value: str | None) -> int | None:
    """`MM/dd/yyyy HH:mm`, 24-hour, UTC -> epoch seconds, or None when missing or malformed."""
    if not value:
        return None
    try:
        return int(datetime.strptime(value.strip(), DATE_FORMAT).replace(tzinfo=UTC).timestamp())
    except ValueError:
        return None


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    sandbox: SandboxServer

    def __init__(self, address: tuple[str, int]) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conn_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        # Keep-alive connections outlive serve_forever(); cut them so a stopped store is really gone.
        with self._conn_lock:
            conns = list(self._connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-IIS/10.0"  # AmeriCommerce sites run on IIS / ASP.NET
    sys_version = ""
    timeout = 60
    server: _HTTPServer

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        if self.server.sandbox.no_delay:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature from the stdlib
        if self.server.sandbox.verbose:
            super().log_message(format, *args)

    _fleet_store: SandboxStore | None = None

    @property
    def store(self) -> SandboxStore:
        return self._fleet_store or self.server.sandbox.store

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    # --- plumbing -------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        raw = self.headers.get("Content-Length") or "0"
        length = int(raw) if raw.strip().isdigit() else 0
        return self.rfile.read(length) if length > 0 else b""

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        corrupt: str | None = None,
    ) -> None:
        self.store.count(f"status:{status}")
        if corrupt == "drop":
            self.close_connection = True
            return
        # The catalogue's picture URLs point at this sandbox, wherever it listens (a printed packing slip
        # fetches them; an unresolvable host cost the demo 10 s per 20 slips).
        body = body.replace(IMAGE_BASE.encode(), (self.server.sandbox.base_url + IMAGE_PATH).encode())
        if corrupt == "malformed":
            status, body, content_type = 200, malformed(body), "text/xml; charset=utf-8"
        elif corrupt == "bomb":
            status, body, content_type = 200, billion_laughs(), "text/xml; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "private")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if corrupt == "truncate":
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
            self.close_connection = True
            return
        # The head and the body in one write, as IIS sends an answer it holds whole: written apart, a
        # body smaller than one TCP segment waited for the client's delayed ACK of the head (Nagle's
        # algorithm, about 40 ms on loopback), which made every small answer (the REST face's addresses,
        # customers, products) cost 40 ms whatever either side did. Large pages never waited much.
        if self.request_version == "HTTP/0.9":  # no head at all
            self.wfile.write(body)
            return
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD":
            self._headers_buffer.append(body)
        self.flush_headers()

    def _text(
        self, status: int, message: str, headers: dict[str, str] | None = None, corrupt: str | None = None
    ) -> None:
        self._send(status, message.encode(), "text/plain; charset=utf-8", headers, corrupt)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json")

    def _html(self, status: int, title: str, message: str, headers: dict[str, str] | None = None) -> None:
        page = (
            f"<!DOCTYPE html><html><head><title>{html.escape(title)}</title></head>"
            f"<body><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p></body></html>"
        )
        self._send(status, page.encode(), "text/html; charset=utf-8", headers)

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        path = url.path.lower()
        body = self._read_body()
        self._fleet_store = None
        if path.startswith(FLEET_PREFIX) and self.server.sandbox.fleet:
            number, _, rest = path[len(FLEET_PREFIX) :].partition("/")
            store = self.server.sandbox.fleet_store(int(number)) if number.isdigit() else None
            if store is not None:
                self._fleet_store, path = store, "/" + rest
        elif path == FLEET_PATH and method == "GET":
            self._json(200, self.server.sandbox.fleet_counts())
            return
        self.store.count("total")
        if path == rest_api.API_PREFIX or path.startswith(rest_api.API_PREFIX + "/"):
            rest_api.handle(self, method, body)
        elif path == ENDPOINT_PATH:
            # ASP.NET query-string keys are case-insensitive.
            query = {k.lower(): v for k, v in parse_qsl(url.query, keep_blank_values=True)}
            self._endpoint(method, query, body)
        elif rest_oauth.handles(path):  # the OAuth app flow (sandbox/rest_oauth.py)
            rest_oauth.handle(self, method, path, url.query, body)
        elif path in ("/", "/default.aspx", "/index.html") and method == "GET":
            self.store.count("home")
            self._home()
        elif path.startswith(IMAGE_PATH) and path.endswith(".png") and method in ("GET", "HEAD"):
            self.store.count("image")
            self._send(200, product_png(path[len(IMAGE_PATH) :]), "image/png")
        elif path == TRUTH_PATH and method == "GET":
            self.store.count("truth")
            query = dict(parse_qsl(url.query))
            self._json(200, self.store.truth(include_orders=query.get("orders", "1") not in ("0", "false")))
        elif path == CONTROL_PATH and method == "POST":
            self.store.count("control")
            self._control(body)
        else:
            self.store.count("not_found")
            self._html(
                404,
                "404 - File or directory not found.",
                "The resource you are looking for might have been removed or is temporarily unavailable.",
            )

    def _home(self) -> None:
        fronts = "".join(
            f'<li><a href="https://{html.escape(s.domain)}/">{html.escape(s.name)}</a></li>'
            for s in self.store.storefronts.values()
        )
        page = (
            "<!DOCTYPE html><html><head><title>Harbor &amp; Pine — Coastal Goods</title></head><body>"
            '<header><h1>Harbor &amp; Pine</h1><nav><a href="/cart.aspx">Cart</a></nav></header>'
            f"<main><p>Coastal goods, made to last.</p><ul>{fronts}</ul></main>"
            "<footer>Powered by AmeriCommerce</footer></body></html>"
        )
        self._send(200, page.encode(), "text/html; charset=utf-8")

    def _control(self, body: bytes) -> None:
        try:
            payload = json.loads(body or b"{}")
            if not isinstance(payload, dict):
                raise ValueError("expected a JSON object")
            result = self.store.control(payload)
        except (ValueError, TypeError) as exc:
            self._json(400, {"error": str(exc)})
            return
        self._json(200, result)

    # --- the add-on's endpoint ------------------------------------------------------------------

    def _endpoint(self, method: str, query: dict[str, str], body: bytes) -> None:
        action = query.get("action", "").strip().lower()
        self.store.count("endpoint", action if action in ACTIONS else "other_action")
        fault, retry_after = self.store.pick_fault(action) if action in ACTIONS else (None, 1)
        if fault is not None:
            self.store.count("faults", f"fault:{fault}")
        if fault in REJECTING:
            status, title, message = _REJECT_PAGES[fault]
            extra = {"Retry-After": str(retry_after)} if fault == "429" else {}
            self._html(status, title, message, extra)
            return
        if fault is not None and fault.startswith("slow:"):
            time.sleep(float(fault[5:]))
            fault = None
        denied = self._authorise(query)
        if denied is not None:
            status, message, headers = denied
            self._text(status, message, headers, corrupt=fault)
            return
        if action == "export":
            self._export(method, query, fault)
        elif action == "shipnotify":
            self._shipnotify(method, query, body, fault)
        else:
            self._text(400, f"Unknown action: {query.get('action', '')!r}. Expected export or shipnotify.")

    def _credentials(self, query: dict[str, str]) -> list[tuple[str, str]]:
        found = []
        header = self.headers.get("Authorization", "")
        if header[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            if ":" in decoded:
                user, _, password = decoded.partition(":")
                found.append((user, password))
        if "ss-username" in query:
            found.append((query["ss-username"], query.get("ss-password", "")))
        if self.headers.get("SS-UserName"):
            found.append((self.headers["SS-UserName"], self.headers.get("SS-Password", "")))
        return found

    def _authorise(self, query: dict[str, str]) -> tuple[int, str, dict[str, str]] | None:
        challenge = {"WWW-Authenticate": 'Basic realm="AmeriCommerce"'}
        credentials = self._credentials(query)
        if not credentials:
            self.store.count("auth_missing")
            return 401, "Authentication required.", challenge
        users = [u for u in (self.store.authenticate(n, p) for n, p in credentials) if u is not None]
        if not users:
            self.store.count("auth_failed")
            return 401, "Invalid username or password.", challenge
        if not any(u.is_admin for u in users):
            self.store.count("auth_forbidden")
            return 403, f"User {users[0].username!r} (role {users[0].role}) is not an Administrator.", {}
        return None

    def _export(self, method: str, query: dict[str, str], fault: str | None) -> None:
        if method != "GET":
            self._text(405, "export requires GET.", {"Allow": "GET"}, corrupt=fault)
            return
        start = parse_window_date(query.get("start_date"))
        end = parse_window_date(query.get("end_date"))
        if start is None or end is None:
            self._text(400, "Missing or invalid start_date/end_date: expected MM/dd/yyyy HH:mm (UTC).", corrupt=fault)
            return
        raw_page = query.get("page", "").strip() or "1"
        if not raw_page.isdigit() or int(raw_page) < 1:
            self._text(400, f"Invalid page: {raw_page!r}.", corrupt=fault)
            return
        document, _, _ = self.store.export_page(start, end, int(raw_page))
        self._send(200, document, "text/xml; charset=utf-8", corrupt=fault)

    def _shipnotify(self, method: str, query: dict[str, str], body: bytes, fault: str | None) -> None:
        if method != "POST":
            self._text(405, "shipnotify requires POST.", {"Allow": "POST"}, corrupt=fault)
            return
        try:
            self.store.shipnotify(query, body)
        except ShipNotifyError as exc:
            self._text(400, str(exc), corrupt=fault)
            return
        self._text(200, "OK", corrupt=fault)


class SandboxServer:
    """A running sandbox store. Use `run_sandbox()` to make one; `stop()` (or `with`) to end it."""

    def __init__(
        self,
        store: SandboxStore,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        verbose: bool = False,
        no_delay: bool = False,
        fleet: int = 0,
        fleet_options: dict[str, Any] | None = None,
    ) -> None:
        self.store = store
        self.fleet = fleet
        self.fleet_options = {"orders": 3, "page_size": 100, **(fleet_options or {})}
        self._fleet: dict[int, SandboxStore] = {}
        self._fleet_lock = threading.Lock()
        self.verbose = verbose
        # TCP_NODELAY on its connections. Off by default: `_send` writes an answer in one piece, so no
        # answer waits out the client's delayed ACK (about 40 ms) either way.
        self.no_delay = no_delay
        self._httpd = _HTTPServer((host, port))
        self._httpd.sandbox = self
        self.host = host
        self.port: int = self._httpd.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def endpoint_url(self) -> str:
        return self.base_url + ENDPOINT_PATH

    @property
    def rest_base_url(self) -> str:
        """The REST face's API root (the store URL + /api/v1)."""
        return self.base_url + rest_api.API_PREFIX

    @property
    def rest_token(self) -> str:
        """An access token with every scope Outbound needs."""
        return self.store.rest.token

    @property
    def rest_limited_token(self) -> str:
        """An access token with read_orders only."""
        return self.store.rest.limited_token

    def set_call_limit(self, call_limit: int) -> dict[str, Any]:
        return self.store.rest.set(call_limit=call_limit)

    @property
    def username(self) -> str:
        return self.store.admin.username

    @property
    def password(self) -> str:
        return self.store.admin.password

    @property
    def nonadmin_username(self) -> str:
        return self.store.nonadmin.username

    @property
    def nonadmin_password(self) -> str:
        return self.store.nonadmin.password

    @property
    def requests_served(self) -> dict[str, int]:
        return self.store.request_counts()

    # --- the fleet ----------------------------------------------------------------------------------

    def fleet_url(self, number: int) -> str:
        return self.base_url + fleet_path(number)

    def fleet_store(self, number: int) -> SandboxStore | None:
        """Fleet store `number` (1..fleet), made on first use; None outside the fleet."""
        if not 1 <= number <= self.fleet:
            return None
        with self._fleet_lock:
            store = self._fleet.get(number)
            if store is None:
                seed = self.store.seed * 1_000_003 + number
                username, password = fleet_credentials(number, self.store.seed)
                store = SandboxStore(seed=seed, username=username, password=password, **self.fleet_options)
                self._fleet[number] = store
            return store

    def fleet_counts(self) -> dict[str, Any]:
        """The fleet's size, how many of its stores were asked anything, and their request counts summed."""
        with self._fleet_lock:
            stores = list(self._fleet.values())
        total: dict[str, int] = {}
        for store in stores:
            for key, count in store.request_counts().items():
                total[key] = total.get(key, 0) + count
        return {"stores": self.fleet, "started": len(stores), "requests": total}

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sandbox-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.close_connections()
        self._httpd.server_close()

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # The store's controls, on the server object too.
    def mutate(self, change: int = 0, add: int = 0, order_ids: list[int | str] | None = None) -> dict[str, Any]:
        return self.store.mutate(change=change, add=add, order_ids=order_ids)

    def advance(self, seconds: float) -> str:
        return self.store.advance(seconds)

    def set_faults(self, **kwargs: Any) -> dict[str, object]:
        return self.store.set_faults(**kwargs)

    def reset_faults(self) -> None:
        self.store.reset_faults()

    def set_webhook_faults(self, **kwargs: Any) -> dict[str, Any]:
        return self.store.set_webhook_faults(**kwargs)

    def hide_orders(self, order_ids: list[int | str], requests: int = 1) -> dict[str, int]:
        return self.store.hide_orders(order_ids, requests)

    def set_page_size(self, page_size: int) -> None:
        self.store.set_page_size(page_size)

    def set_behaviour(self, **kwargs: str) -> dict[str, str]:
        return self.store.set_behaviour(**kwargs)

    def truth(self, include_orders: bool = True) -> dict[str, Any]:
        """What the store holds, as its documents say it (picture URLs at this sandbox's own address, as
        every answer and /_sandbox/truth give them)."""
        return _at_this_address(self.store.truth(include_orders=include_orders), self.base_url + IMAGE_PATH)


def _at_this_address(value: Any, images: str) -> Any:
    if isinstance(value, str):
        return value.replace(IMAGE_BASE, images) if IMAGE_BASE in value else value
    if isinstance(value, dict):
        return {k: _at_this_address(v, images) for k, v in value.items()}
    if isinstance(value, list):
        return [_at_this_address(v, images) for v in value]
    return value


def run_sandbox(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    store: SandboxStore | None = None,
    faults: dict[str, Any] | None = None,
    verbose: bool = False,
    no_delay: bool = False,
    fleet: int = 0,
    fleet_options: dict[str, Any] | None = None,
    **store_kwargs: Any,
) -> SandboxServer:
    """Start a sandbox store in a background thread. `store_kwargs` go to `SandboxStore`; `fleet` more
    stores (`fleet_options`: their SandboxStore options, 3 orders each by default) under /fleet/k/."""
    store = store if store is not None else SandboxStore(**store_kwargs)
    if faults:
        store.set_faults(**faults)
    return SandboxServer(
        store, host, port, verbose=verbose, no_delay=no_delay, fleet=fleet, fleet_options=fleet_options
    ).start()
