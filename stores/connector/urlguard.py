"""Store URLs are user input that the server fetches: keep them pointed at the public internet.

Two checks, because one is not enough:

1. `validate_store_url` looks at the URL when it is entered and before each request: scheme, no
   credentials in it, https unless allowed, and every address the host name resolves to is public.
2. `GuardedAdapter` checks the address each new connection *actually* reached (`getpeername()`
   right after the TCP connect, before TLS or a single byte of HTTP). A name that resolved to a
   public address for check 1 and to 127.0.0.1 a moment later (DNS rebinding) is caught here.

Redirects are never followed blindly: the transport passes each `Location` to `check_redirect`.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .errors import StoreUnreachable, StoreURLRefused, _, gettext_noop

PUBLIC_ONLY = gettext_noop("Outbound only connects to public stores.")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _embedded_ipv4(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address stands for, if it is one of the tunnelling forms."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:127.0.0.1
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
    return ip


def ip_problem(address: str) -> str | None:
    """Why Outbound must not connect to `address`, in words, or None when it is a public address."""
    try:
        ip = _embedded_ipv4(ipaddress.ip_address(address.split("%", 1)[0]))
    except ValueError:
        return gettext_noop("not a valid network address")
    # Order matters: 127.0.0.1 and 169.254.x are "private" too, but the precise word helps more.
    if ip.is_unspecified:
        return gettext_noop("an unspecified address (0.0.0.0 or ::)")
    if ip.is_loopback:
        return gettext_noop("a loopback address (this server itself)")
    if ip.is_link_local:
        return gettext_noop("a link-local address (where cloud metadata services live)")
    if ip.is_multicast:
        return gettext_noop("a multicast address")
    if ip.is_private:
        return gettext_noop("a private network address")
    if ip.is_reserved:
        return gettext_noop("a reserved address")
    if not ip.is_global:
        return gettext_noop("not a public internet address")
    return None


def check_host(host: str, port: int) -> None:
    """Refuse a host that is, or resolves to, a non-public address."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        raise StoreURLRefused(
            _("The store address %(host)s is this server itself (localhost); %(public_only)s")
            % {"host": host, "public_only": _(PUBLIC_ONLY)}
        )
    try:
        ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        pass
    else:
        if problem := ip_problem(name):
            raise StoreURLRefused(
                _("The store address %(host)s is %(problem)s; %(public_only)s")
                % {"host": host, "problem": _(problem), "public_only": _(PUBLIC_ONLY)}
            )
        return
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise StoreUnreachable(
            _("The store address %(host)s could not be found. Check its spelling.") % {"host": host}
        ) from None
    # Every address must be public: the connection may use any of them.
    for info in infos:
        address = str(info[4][0])
        if problem := ip_problem(address):
            raise StoreURLRefused(
                _("The store address %(host)s resolves to %(address)s, %(problem)s; %(public_only)s")
                % {"host": host, "address": address, "problem": _(problem), "public_only": _(PUBLIC_ONLY)}
            )


def validate_store_url(url: str, *, allow_private: bool, allow_http: bool) -> str:
    """Return the cleaned URL or raise StoreURLRefused (StoreUnreachable when the name does not resolve)."""
    url = (url or "").strip()
    if not url:
        raise StoreURLRefused(_("Enter the store address, e.g. https://shop.example.com."))
    if any(ch.isspace() for ch in url):
        raise StoreURLRefused(_("The store address contains spaces or line breaks."))
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        if scheme and "://" in url:
            raise StoreURLRefused(
                _("The store address must start with https:// (it starts with %(scheme)s://).") % {"scheme": scheme}
            )
        raise StoreURLRefused(_("The store address must start with https://."))
    # Checked before anything that might echo the URL back: it would contain the password.
    if "@" in parts.netloc:
        raise StoreURLRefused(
            _("The store address contains a username or password. Enter them in their own fields instead.")
        )
    host = parts.hostname
    if not host:
        raise StoreURLRefused(_("The store address has no host name."))
    try:
        port = parts.port
    except ValueError:
        raise StoreURLRefused(_("The store address has an invalid port number.")) from None
    if scheme == "http" and not allow_http:
        raise StoreURLRefused(
            _("The store address must use https://; Outbound does not send store passwords over plain http.")
        )
    if not allow_private:
        check_host(host, port or (443 if scheme == "https" else 80))
    # The fragment never reaches the server; drop it so logs and comparisons stay simple.
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, ""))


def check_redirect(current_url: str, location: str, *, allow_private: bool, allow_http: bool) -> str:
    """Validate one redirect hop and return the absolute URL to follow.

    Only hops on the same host are followed: Basic credentials must never travel to another site,
    and https must never be downgraded to http.
    """
    target = validate_store_url(urljoin(current_url, location), allow_private=allow_private, allow_http=allow_http)
    here, there = urlsplit(current_url), urlsplit(target)
    if (there.hostname or "").lower() != (here.hostname or "").lower():
        raise StoreURLRefused(
            _(
                "The store address redirects to another site (%(host)s). If that is really the store, enter its "
                "address instead."
            )
            % {"host": there.hostname}
        )
    if here.scheme == "https" and there.scheme == "http":
        raise StoreURLRefused(_("The store address redirects from https to plain http; Outbound will not follow."))
    return target


# --- connection-time check -------------------------------------------------------------------------


def _check_peer(sock: socket.socket, host: str) -> None:
    try:
        peer = str(sock.getpeername()[0])
    except OSError:
        sock.close()
        raise
    if problem := ip_problem(peer):
        sock.close()
        raise StoreURLRefused(
            _("The store address %(host)s led to %(address)s, %(problem)s; %(public_only)s")
            % {"host": host, "address": peer, "problem": _(problem), "public_only": _(PUBLIC_ONLY)}
        )


class GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock, self.host)
        return sock


class GuardedHTTPSConnection(HTTPSConnection):
    # HTTPSConnection.connect() calls _new_conn() before the TLS handshake, so this runs first.
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock, self.host)
        return sock


class GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose connections refuse to talk to non-public peers."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": GuardedHTTPConnectionPool,
            "https": GuardedHTTPSConnectionPool,
        }
