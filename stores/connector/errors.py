"""Everything the store connector raises.

Each error carries a message written for the merchant (it ends up on the store's settings page or in
an import run's log), whether retrying later can help (`permanent`), and the HTTP status when there
was one. Messages never contain credentials: every StoreError masks, in its own constructor, the
secrets of every store this process has talked to (`register_secrets`, called by the transport for
its password and Basic token), so no path that builds a message from what a store echoed can forget.

    StoreError
    ├── StoreUnreachable          DNS, TLS, connection, timeouts
    │   └── StoreTemporaryError   retries exhausted (429, 5xx, dropped connections)
    │       └── StoreRateLimited  the last answer was a 429: try again after `retry_after` seconds
    ├── StoreAuthError            401: wrong username or password
    ├── StorePermissionError      403: the user is not an administrator
    ├── NotAnEndpoint             404, a redirect, or an answer that is not an export
    │   └── NotAShipStationExport (also a StoreDocumentError) 200 with HTML, nothing, or another root
    ├── StoreRejected             400 and other 4xx: the store refused this request
    ├── StoreDocumentError        the XML is hostile, too big, malformed, or misses a required field
    │   └── StoreMalformedXML     a 200 whose body is not well-formed XML (retried like a cut-off answer)
    └── StoreURLRefused           the store address is not one Outbound may fetch
"""

from __future__ import annotations

import base64
import html
import threading
from urllib.parse import quote, quote_plus

MASK = "***"
# Shorter passwords are not masked in free text: "abc" would mask half the words of every message.
MIN_SECRET_LENGTH = 4
# A secret cut by an excerpt's end still leaks its beginning; this many characters or more are masked.
MIN_PREFIX_MASKED = 3

_secrets: set[str] = set()
_secrets_sorted: tuple[str, ...] = ()
_secrets_lock = threading.Lock()


def register_secrets(username: str, password: str) -> None:
    """Remember a store's password (and the forms a store may echo it in) and its Basic token, so that
    every StoreError raised in this process masks them."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    found = {token}
    if len(password) >= MIN_SECRET_LENGTH:
        found |= {
            password,
            html.escape(password),
            quote(password, safe=""),
            quote_plus(password),
            f"{username}:{password}",
        }
    global _secrets_sorted
    with _secrets_lock:
        if found <= _secrets:
            return
        _secrets.update(found)
        _secrets_sorted = tuple(sorted(_secrets, key=len, reverse=True))


def scrub_secrets(text: str) -> str:
    """`text` with every registered secret masked, including one cut short at the end of an excerpt."""
    secrets = _secrets_sorted
    if not secrets or not text:
        return text
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    if "…" not in text:
        return text
    # An excerpt cut inside a secret ends with its first characters just before the ellipsis.
    parts = text.split("…")
    for index, part in enumerate(parts[:-1]):
        for secret in secrets:
            cut = next((n for n in range(len(secret) - 1, MIN_PREFIX_MASKED - 1, -1) if part.endswith(secret[:n])), 0)
            if cut:
                parts[index] = part[:-cut] + MASK
                break
    return "…".join(parts)


def gettext(message: str) -> str:
    """A merchant-facing message in the active language (as written when Django is not set up)."""
    from django.conf import settings

    if not settings.configured:
        return message
    from django.utils.translation import gettext as translate

    return translate(message)


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    from django.conf import settings

    if not settings.configured:
        return singular if n == 1 else plural
    from django.utils.translation import ngettext as translate

    return translate(singular, plural, n)


def gettext_noop(message: str) -> str:
    """Marks a phrase for the catalogue; `_` translates it where it is used."""
    return message


class StoreError(Exception):
    default_permanent: bool = True

    def __init__(self, message: str, permanent: bool | None = None, status: int | None = None) -> None:
        message = scrub_secrets(message)
        super().__init__(message)
        self.message = message
        self.permanent = self.default_permanent if permanent is None else permanent
        self.status = status

    def __str__(self) -> str:
        return self.message


class StoreUnreachable(StoreError):
    # A network failure may heal by itself; the import schedule tries again later.
    default_permanent = False


class StoreTemporaryError(StoreUnreachable):
    default_permanent = False


class StoreRateLimited(StoreTemporaryError):
    """The store refused the call for its call limit (429): nothing was done, and the store said when to
    come back (`retry_after`, seconds; its Retry-After, or one window when it gave none). The outbox defers
    its row by that much instead of failing it into its back-off."""

    def __init__(self, message: str, *, retry_after: float, status: int | None = 429) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class StoreAuthError(StoreError):
    pass


class StorePermissionError(StoreError):
    pass


class NotAnEndpoint(StoreError):
    pass


class StoreRejected(StoreError):
    pass


class StoreDocumentError(StoreError):
    pass


class StoreMalformedXML(StoreDocumentError):
    """A 200 whose body does not parse: usually an answer cut short or garbled on the way (retried)."""


class NotAShipStationExport(StoreDocumentError, NotAnEndpoint):
    """The answer parsed (or failed to) as something other than an `<Orders>` export."""


class StoreURLRefused(StoreError):
    pass
