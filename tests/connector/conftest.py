"""A tiny scripted HTTP server on 127.0.0.1 standing in for a store (the full sandbox is elsewhere).

Each test queues the answers it wants, in order; every request is recorded. Special bodies:
DROP closes the connection without answering, TRUNCATE promises more bytes than it sends,
("sleep", seconds) waits before answering 200, ("drip", body, seconds) answers 200 one byte every
`seconds`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "xml"
EMPTY_EXPORT = b'<?xml version="1.0" encoding="utf-8"?><Orders pages="0"/>'
DROP = "drop"
TRUNCATE = "truncate"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class StoreServer:
    url: str
    script: list = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def record(self, request: Recorded) -> None:
        with self.arrived:
            self.requests.append(request)
            self.arrived.notify_all()

    def wait_for_requests(self, count: int, timeout: float = 10) -> bool:
        """Block until `count` requests have arrived (a condition, not a guess at how long a thread takes)."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.requests) >= count, timeout=timeout)

    def answer(self, status: int = 200, body: bytes = EMPTY_EXPORT, headers: dict[str, str] | None = None) -> None:
        self.script.append((status, body, headers or {}))

    def drop(self) -> None:
        self.script.append(DROP)

    def truncate(self) -> None:
        self.script.append(TRUNCATE)

    def stall(self, seconds: float) -> None:
        self.script.append(("sleep", seconds))

    def drip(self, body: bytes, seconds: float) -> None:
        self.script.append(("drip", body, seconds))


def _handler(server_state: StoreServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            server_state.record(Recorded(self.command, self.path, dict(self.headers), body))
            step = server_state.script.pop(0) if server_state.script else (200, EMPTY_EXPORT, {})
            if step == DROP:
                self.close_connection = True
                self.connection.close()
                return
            if step == TRUNCATE:
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.write(b"<Orders pages")
                self.wfile.flush()
                self.close_connection = True
                self.connection.close()
                return
            if step[0] == "drip":
                _, payload, interval = step
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    for byte in payload:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(interval)
                except OSError:
                    pass  # the client gave up, as it should
                return
            if step[0] == "sleep":
                time.sleep(step[1])
                step = (200, EMPTY_EXPORT, {})
            status, payload, headers = step
            self.send_response(status)
            headers = {"Content-Type": "text/xml; charset=utf-8", **headers}
            for name, value in headers.items():
                self.send_header(name, value)
            if "Transfer-Encoding" not in headers:
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if headers.get("Transfer-Encoding") == "chunked":
                for start in range(0, len(payload), 65536):
                    chunk = payload[start : start + 65536]
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.wfile.write(payload)

        do_GET = do_POST = _serve

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # clients hanging up on purpose (refused peers, size caps) are part of the tests


@pytest.fixture
def store_server():
    state = StoreServer(url="")
    httpd = _QuietServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/shipstation.aspx"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()
