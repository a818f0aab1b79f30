"""A small hostile store for the suite (issue 14): an HTTP server on 127.0.0.1 whose answers a test
scripts with a function, and which can drip its answer one byte at a time.

    store = HostileStore(answer=lambda request: (200, b"<Orders .../>", {}), drip=1.0)
    store.start(); ...; store.stop()

`answer(request)` gets the Recorded request (method, path, query dict, body) and returns
(status, body, headers). Every request is recorded in `store.requests`.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ENDPOINT = "/store/shipstation.aspx"
USERNAME = "clerk"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: bytes


def export_xml(orders: list[str], pages: int = 1) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><Orders pages="{pages}">' + "".join(orders) + "</Orders>").encode()


def order_xml(
    oid: str,
    *,
    number: str | None = None,
    phone: str = "555",
    quantity: str = "1",
    price: str = "5",
    modified: str = "01/02/2024 10:00",
    weight: str = "1",
) -> str:
    return (
        f"<Order><OrderID>{oid}</OrderID><OrderNumber>{number or oid}</OrderNumber>"
        f"<OrderDate>{modified}</OrderDate><OrderStatus>Processing</OrderStatus>"
        f"<LastModified>{modified}</LastModified><OrderTotal>5</OrderTotal>"
        f"<Customer><CustomerCode>c</CustomerCode><BillTo><Name>n</Name><Phone>{phone}</Phone></BillTo>"
        "<ShipTo><Name>n</Name><Address1>a</Address1><City>c</City><Country>US</Country></ShipTo></Customer>"
        f"<Items><Item><LineItemID>{oid}-1</LineItemID><SKU>S</SKU><Name>N</Name><Weight>{weight}</Weight>"
        f"<WeightUnits>Pounds</WeightUnits><Quantity>{quantity}</Quantity><UnitPrice>{price}</UnitPrice>"
        "</Item></Items></Order>"
    )


def first_import_only(body: Callable[[], bytes]) -> Callable[[Recorded], tuple[int, bytes, dict[str, str]]]:
    """Serve `body()` to exports of a window starting more than a day ago (the first import), an empty
    export to the recent windows the import reads after it (the tail check)."""

    def answer(request: Recorded) -> tuple[int, bytes, dict[str, str]]:
        start = request.query.get("start_date", "")
        try:
            old = dt.datetime.strptime(start, "%m/%d/%Y %H:%M").replace(tzinfo=dt.UTC) < (
                dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
            )
        except ValueError:
            old = True
        return 200, body() if old else export_xml([], pages=0), {}

    return answer


@dataclass
class HostileStore:
    answer: Callable[[Recorded], tuple[int, bytes, dict[str, str]]]
    drip: float | None = None  # seconds between bytes of the body
    password: str = "hostile-pass-1"
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""

    def start(self) -> HostileStore:
        state = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                request = Recorded(
                    self.command,
                    parts.path,
                    {k: v[0] for k, v in parse_qs(parts.query).items()},
                    self.rfile.read(length) if length else b"",
                )
                state.requests.append(request)
                status, body, headers = state.answer(request)
                self.send_response(status)
                for name, value in {"Content-Type": "text/xml; charset=utf-8", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    if state.drip is None:
                        self.wfile.write(body)
                        return
                    for byte in body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(state.drip)
                except OSError:
                    self.close_connection = True  # the client hung up, as it should

            do_GET = do_POST = _serve

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:
                pass

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def connect(self, tenant, name: str = "Hostile store"):
        from stores.services import store_create

        return store_create(
            tenant=tenant, name=name, url=self.url, endpoint_path=ENDPOINT, username=USERNAME, password=self.password
        )
