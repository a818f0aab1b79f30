"""Everything the store connector raises.

Each error carries a message written for the merchant (it ends up on the store's settings page or in
an import run's log), whether retrying later can help (`permanent`), and the HTTP status when there
was one. Messages never contain credentials: the transport scrubs them before raising.

    StoreError
    ├── StoreUnreachable          DNS, TLS, connection, timeouts
    │   └── StoreTemporaryError   retries exhausted (429, 5xx, dropped connections)
    ├── StoreAuthError            401: wrong username or password
    ├── StorePermissionError      403: the user is not an administrator
    ├── NotAnEndpoint             404, a redirect, or an answer that is not an export
    │   └── NotAShipStationExport (also a StoreDocumentError) 200 with HTML, nothing, or another root
    ├── StoreRejected             400 and other 4xx: the store refused this request
    ├── StoreDocumentError        the XML is hostile, too big, malformed, or misses a required field
    └── StoreURLRefused           the store address is not one Outbound may fetch
"""

from __future__ import annotations


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


class NotAShipStationExport(StoreDocumentError, NotAnEndpoint):
    """The answer parsed (or failed to) as something other than an `<Orders>` export."""


class StoreURLRefused(StoreError):
    pass
