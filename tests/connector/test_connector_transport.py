import base64
import datetime as dt
import logging

import pytest

from stores.connector import transport as transport_module
from stores.connector.errors import (
    NotAnEndpoint,
    StoreAuthError,
    StoreDocumentError,
    StoreError,
    StorePermissionError,
    StoreRejected,
    StoreTemporaryError,
    StoreUnreachable,
)
from stores.connector.transport import StoreTransport, parse_retry_after, redact_url

PASSWORD = "s3cr3t-PASS"
TOKEN = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def transport(sleeps):
    t = StoreTransport(
        "admin",
        PASSWORD,
        allow_private=True,
        allow_http=True,
        sleep=sleeps.append,
        random=lambda: 0.5,
        max_attempts=3,
        base_delay=1.0,
        read_timeout=2.0,
    )
    yield t
    t.close()


def test_basic_auth_header_and_no_credentials_in_url(transport, store_server):
    transport.get(store_server.url, {"action": "export"})
    request = store_server.requests[0]
    assert request.headers["Authorization"] == f"Basic {TOKEN}"
    assert PASSWORD not in request.path and "admin" not in request.path


def test_429_with_retry_after_then_200(transport, store_server, sleeps):
    store_server.answer(429, b"slow down", {"Retry-After": "7"})
    store_server.answer(200)
    assert transport.get(store_server.url).status_code == 200
    assert sleeps == [7.0] and transport.requests_made == 2


def test_retry_after_is_capped(transport, store_server, sleeps):
    transport.max_retry_after = 30
    store_server.answer(429, b"", {"Retry-After": "86400"})
    transport.get(store_server.url)
    assert sleeps == [30]


def test_retry_after_http_date():
    now = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC)
    assert parse_retry_after("Mon, 01 Jan 2024 12:00:42 GMT", now=now) == 42
    assert parse_retry_after("garbage", now=now) is None


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_then_200_backs_off_exponentially(transport, store_server, sleeps, status):
    store_server.answer(status, b"oops")
    store_server.answer(status, b"oops")
    assert transport.get(store_server.url).status_code == 200
    assert sleeps == [0.75, 1.5]  # ceilings 1 s and 2 s, jitter 0.5 -> 3/4 of each


def test_dropped_connection_then_200(transport, store_server):
    store_server.drop()
    assert transport.get(store_server.url).status_code == 200
    assert transport.requests_made == 2


def test_truncated_body_is_retried(transport, store_server):
    store_server.truncate()
    assert transport.get(store_server.url).content.startswith(b"<?xml")
    assert len(store_server.requests) == 2


def test_read_timeout_is_retried(transport, store_server):
    transport.read_timeout = 0.2
    store_server.stall(1.0)
    assert transport.get(store_server.url).status_code == 200


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, StoreAuthError), (403, StorePermissionError), (404, NotAnEndpoint), (400, StoreRejected)],
)
def test_permanent_failures_are_tried_once(transport, store_server, sleeps, status, error):
    store_server.answer(status, b"no")
    with pytest.raises(error) as caught:
        transport.get(store_server.url)
    assert caught.value.permanent and caught.value.status == status
    assert len(store_server.requests) == 1 and sleeps == []


def test_messages_say_what_is_wrong_in_plain_words(transport, store_server):
    store_server.answer(403)
    with pytest.raises(StorePermissionError, match="must be an administrator of the store"):
        transport.get(store_server.url)


def test_retries_exhausted_is_a_temporary_error(transport, store_server):
    for _ in range(3):
        store_server.answer(503, b"down")
    with pytest.raises(StoreTemporaryError, match="after 3 attempts: it answered HTTP 503") as caught:
        transport.get(store_server.url)
    assert not caught.value.permanent and len(store_server.requests) == 3


def test_connection_refused_after_retries_is_unreachable(sleeps):
    t = StoreTransport("admin", PASSWORD, allow_private=True, allow_http=True, sleep=sleeps.append, max_attempts=2)
    with pytest.raises(StoreUnreachable, match="connection failed"):
        t.get("http://127.0.0.1:9/ss")  # discard port: nothing listens
    assert t.requests_made == 2


def test_credentials_never_in_errors_or_logs(transport, store_server, caplog):
    caplog.set_level(logging.DEBUG)
    store_server.answer(500, b"")
    store_server.answer(400, f"bad request from admin:{PASSWORD} / Basic {TOKEN}".encode())
    with pytest.raises(StoreError) as caught:
        transport.get(store_server.url, {"action": "export"})
    for text in (str(caught.value), repr(caught.value), caplog.text, repr(transport)):
        assert PASSWORD not in text and TOKEN not in text
    assert "retrying" in caplog.text


def test_secret_query_parameters_are_masked_in_logs():
    assert redact_url("https://u:p@shop.example/x?action=export&SS-Password=abc") == (
        "https://shop.example/x?action=export&SS-Password=%2A%2A%2A"
    )


def test_oversized_body_is_cut_off(transport, store_server, monkeypatch):
    transport.max_bytes = 1024 * 1024
    store_server.answer(200, b"<Orders>" + b" " * (30 * 1024 * 1024), {"Transfer-Encoding": "chunked"})
    read = []
    chunks = transport_module._chunks
    monkeypatch.setattr(
        transport_module, "_chunks", lambda response: (read.append(len(c)) or c for c in chunks(response))
    )
    with pytest.raises(StoreDocumentError, match="Outbound accepts at most 1.0 MB"):
        transport.get(store_server.url)
    # Reading stopped at the cap: one read past 1 MB, not the 30 MB the store offered.
    assert 1024 * 1024 < sum(read) <= 1024 * 1024 + max(read)


def test_declared_oversized_body_is_refused_before_reading(transport, store_server):
    transport.max_bytes = 1000
    store_server.answer(200, b"x" * 5000)
    with pytest.raises(StoreDocumentError, match="5,000 bytes"):
        transport.get(store_server.url)


def test_same_host_redirect_is_followed_for_get(transport, store_server):
    store_server.answer(302, b"", {"Location": "/moved?action=export"})
    assert transport.get(store_server.url, {"action": "export"}).status_code == 200
    assert store_server.requests[1].path == "/moved?action=export" and transport.requests_made == 2


def test_redirect_on_post_is_refused(transport, store_server):
    store_server.answer(301, b"", {"Location": "/elsewhere"})
    with pytest.raises(NotAnEndpoint, match="redirects"):
        transport.post(store_server.url, data=b"<x/>", content_type="application/xml")


class FakeClock:
    """A monotonic clock the test moves: each reading advances it by `step` seconds."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_a_dripping_answer_is_cut_off_at_the_deadline(store_server, sleeps):
    # One byte per 20 ms never trips the 2 s per-read timeout; the total deadline (0.3 s) stops it.
    t = StoreTransport(
        "admin",
        PASSWORD,
        allow_private=True,
        allow_http=True,
        sleep=sleeps.append,
        read_timeout=2.0,
        deadline=0.3,
        max_attempts=3,
    )
    store_server.drip(b"<Orders pages='1'>" + b" " * 400 + b"</Orders>", 0.02)
    with pytest.raises(StoreTemporaryError, match="did not deliver its answer within 0.3 s") as caught:
        t.get(store_server.url)
    assert not caught.value.permanent
    assert len(store_server.requests) == 1 and sleeps == []  # the deadline covers retries too: no second try
    t.close()


def test_deadline_is_checked_between_reads_with_the_injected_clock(store_server, sleeps):
    # Each clock reading is 15 s later: the answer is complete on the wire, but reading it "took" too long.
    t = StoreTransport(
        "admin", PASSWORD, allow_private=True, allow_http=True, sleep=sleeps.append, deadline=25, clock=FakeClock(15.0)
    )
    store_server.answer(200, b"<Orders/>")
    with pytest.raises(StoreTemporaryError, match="within 25 s"):
        t.get(store_server.url)
    t.close()


def test_no_retry_sleeps_past_the_deadline(store_server, sleeps):
    t = StoreTransport(
        "admin",
        PASSWORD,
        allow_private=True,
        allow_http=True,
        sleep=sleeps.append,
        deadline=5,
        max_attempts=5,
        random=lambda: 0.5,
    )
    store_server.answer(429, b"", {"Retry-After": "60"})
    with pytest.raises(StoreTemporaryError, match="within 5 s .last attempt: it answered HTTP 429"):
        t.get(store_server.url)
    assert sleeps == [] and len(store_server.requests) == 1
    t.close()


# --- a failed HTTPS handshake in plain words (issue 25 item 15) ---------------------------------------


def _https_server(tmp_path):
    """A loopback HTTPS server with a self-signed certificate (which no client trusts)."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    class Server(HTTPServer):
        def get_request(self):
            sock, address = super().get_request()
            return context.wrap_socket(sock, server_side=True), address

        def handle_error(self, request, client_address):
            pass  # the client refusing the certificate hangs up mid-handshake

    httpd = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return httpd


def test_an_http_site_typed_as_https_is_told_as_such_with_the_http_address_to_try(transport, store_server):
    host = store_server.url.split("/")[2]
    with pytest.raises(StoreUnreachable) as caught:
        transport.get("https://" + host + "/api/v1/orders")
    message = caught.value.message
    assert "does not answer HTTPS" in message and f"http://{host}" in message
    assert "certificate" not in message and caught.value.permanent


def test_no_http_address_is_suggested_where_plain_http_is_not_allowed(store_server):
    host = store_server.url.split("/")[2]
    with StoreTransport("admin", PASSWORD, allow_private=True, allow_http=False, max_attempts=1) as strict:
        with pytest.raises(StoreUnreachable) as caught:
            strict.get("https://" + host + "/api/v1/orders")
    assert "does not answer HTTPS" in caught.value.message and "http://" not in caught.value.message


def test_a_certificate_that_cannot_be_verified_is_still_told_as_one(transport, tmp_path):
    httpd = _https_server(tmp_path)
    try:
        with pytest.raises(StoreUnreachable) as caught:
            transport.get(f"https://127.0.0.1:{httpd.server_address[1]}/api/v1/orders")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert "certificate could not be verified" in caught.value.message
