import socket

import pytest

from stores.connector import urlguard
from stores.connector.errors import StoreUnreachable, StoreURLRefused
from stores.connector.transport import StoreTransport
from stores.connector.urlguard import check_redirect, validate_store_url

PUBLIC_IP = "93.184.216.34"


def strict(url: str) -> str:
    return validate_store_url(url, allow_private=False, allow_http=False)


def fake_dns(monkeypatch, table):
    """Resolve names from `table` (name -> IP or list of IPs answered call after call)."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in table:
            return real(host, port, *args, **kwargs)
        answer = table[host]
        ip = answer.pop(0) if isinstance(answer, list) else answer
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (ip, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://127.0.0.1/ss", "127.0.0.1 is a loopback address"),
        ("https://localhost/ss", "localhost"),
        ("https://[::1]/ss", "::1 is a loopback address"),
        ("https://[::ffff:127.0.0.1]/ss", "loopback"),
        ("https://10.0.0.5/ss", "10.0.0.5 is a private network address; Outbound only connects to public stores"),
        ("https://10.255.1.1/ss", "private network"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://0.0.0.0/", "unspecified"),
        ("https://224.0.0.1/", "multicast"),
    ],
)
def test_non_public_addresses_are_refused(url, words):
    with pytest.raises(StoreURLRefused, match=words):
        strict(url)


def test_name_resolving_to_private_address_is_refused(monkeypatch):
    fake_dns(monkeypatch, {"shop.internal.example": "10.1.2.3"})
    with pytest.raises(StoreURLRefused, match="shop.internal.example resolves to 10.1.2.3, a private network"):
        strict("https://shop.internal.example/ss")


def test_public_name_is_accepted(monkeypatch):
    fake_dns(monkeypatch, {"shop.example.com": PUBLIC_IP})
    assert strict("https://shop.example.com/shipstation.aspx#x") == "https://shop.example.com/shipstation.aspx"


def test_unknown_name_is_unreachable_not_refused(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(StoreUnreachable, match="could not be found"):
        strict("https://no-such-shop.example/ss")


def test_ftp_scheme_is_refused():
    with pytest.raises(StoreURLRefused, match=r"must start with https://.*ftp://"):
        strict("ftp://shop.example.com/orders.xml")


def test_credentials_in_url_are_refused_without_echoing_them():
    with pytest.raises(StoreURLRefused, match="username or password") as caught:
        strict("https://admin:hunter22@shop.example.com/ss")
    assert "hunter22" not in str(caught.value)


def test_http_is_refused_unless_allowed(monkeypatch):
    fake_dns(monkeypatch, {"shop.example.com": PUBLIC_IP})
    with pytest.raises(StoreURLRefused, match="must use https://"):
        strict("http://shop.example.com/ss")
    assert validate_store_url("http://shop.example.com/ss", allow_private=False, allow_http=True)


def test_private_addresses_allowed_when_configured():
    assert validate_store_url("http://127.0.0.1:8000/ss", allow_private=True, allow_http=True)


def test_redirect_to_loopback_is_refused(monkeypatch):
    fake_dns(monkeypatch, {"shop.example.com": PUBLIC_IP})
    with pytest.raises(StoreURLRefused, match="loopback"):
        check_redirect("https://shop.example.com/ss", "https://127.0.0.1/admin", allow_private=False, allow_http=False)
    assert (
        check_redirect("https://shop.example.com/ss", "/ss2?x=1", allow_private=False, allow_http=False)
        == "https://shop.example.com/ss2?x=1"
    )


def test_redirect_to_another_site_or_to_http_is_refused(monkeypatch):
    fake_dns(monkeypatch, {"shop.example.com": PUBLIC_IP, "evil.example.net": PUBLIC_IP})
    with pytest.raises(StoreURLRefused, match="another site"):
        check_redirect(
            "https://shop.example.com/ss", "https://evil.example.net/", allow_private=False, allow_http=False
        )
    with pytest.raises(StoreURLRefused, match="plain http"):
        check_redirect("https://shop.example.com/ss", "http://shop.example.com/", allow_private=False, allow_http=True)


def test_public_store_redirecting_to_loopback_is_refused_over_http(monkeypatch, store_server):
    # "shop.example.com" passes the checks for its first hop (as if public), then redirects home.
    port = store_server.url.split(":")[2].split("/")[0]
    fake_dns(monkeypatch, {"shop.example.com": "127.0.0.1"})
    real_check_host, real_check_peer = urlguard.check_host, urlguard._check_peer
    monkeypatch.setattr(urlguard, "check_host", lambda h, p: None if h == "shop.example.com" else real_check_host(h, p))
    monkeypatch.setattr(
        urlguard, "_check_peer", lambda s, h: None if h == "shop.example.com" else real_check_peer(s, h)
    )
    store_server.answer(302, b"", {"Location": f"http://127.0.0.1:{port}/admin"})
    transport = StoreTransport("u", "p", allow_private=False, allow_http=True, sleep=lambda s: None)
    with pytest.raises(StoreURLRefused, match="127.0.0.1 is a loopback address"):
        transport.get(f"http://shop.example.com:{port}/ss", {"action": "export"})
    assert len(store_server.requests) == 1


def test_dns_rebinding_is_caught_at_connect_time(monkeypatch, store_server):
    # The name is public when validated, then resolves to loopback when the connection is made.
    port = store_server.url.split(":")[2].split("/")[0]
    fake_dns(monkeypatch, {"rebind.example.com": [PUBLIC_IP, "127.0.0.1", "127.0.0.1"]})
    transport = StoreTransport("u", "p", allow_private=False, allow_http=True, sleep=lambda s: None)
    with pytest.raises(StoreURLRefused, match="rebind.example.com led to 127.0.0.1, a loopback address"):
        transport.get(f"http://rebind.example.com:{port}/ss")
    assert store_server.requests == []
