"""HTTP to a store, and nothing else: no XML, no Django models.

    request(method, url)
      -> validate the URL (urlguard)          refused URLs never cost a request
      -> requests.Session, allow_redirects=False, connections checked by GuardedAdapter
      -> redirect hops re-validated one by one (GET only, at most `max_redirects`)
      -> body streamed into memory up to `max_bytes`, then cut off
      -> the whole request (every attempt, every sleep, every byte read) within `deadline` seconds of a
         monotonic `clock`, checked while reading: a store that drips its answer is cut off and the
         request fails as a temporary error (`timeout` only bounds each socket read, not the answer)
      -> 429 / 408 / 5xx / timeouts / dropped or truncated connections: sleep and try again
      -> everything else goes through `raise_for_response`, which says whether it is permanent

Credentials travel only in the Authorization header. They are never put in a URL, a log line or an
exception message; `scrub()` masks them in anything echoed back from the store, and every StoreError
masks them itself (errors.register_secrets).
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import logging
import random as _random
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import DecodeError, NameResolutionError, ProtocolError, ReadTimeoutError

from stores.connector.settings import store_number_setting, store_setting

from . import urlguard
from .errors import (
    NotAnEndpoint,
    StoreAuthError,
    StoreError,
    StorePermissionError,
    StoreRateLimited,
    StoreRejected,
    StoreTemporaryError,
    StoreUnreachable,
    _,
    ngettext,
    register_secrets,
    scrub_secrets,
)
from .xmlparse import DEFAULT_MAX_BYTES, check_document_size

logger = logging.getLogger("stores.connector")

USER_AGENT = "Outbound/1.0 (+ShipStation Custom Store v1 client)"
RETRYABLE_STATUSES = frozenset({408, 429})
RATE_LIMITED_RETRY = 10.0  # seconds to come back after a 429 that says no Retry-After (the vendor's window)
_SENSITIVE_PARAMS = frozenset({"ss-password", "password", "auth_key", "api_key", "token"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
DEFAULT_DEADLINE = 120.0  # seconds for one store request, all attempts included (STORE_REQUEST_DEADLINE)
READ_CHUNK = 64 * 1024


class _DeadlinePassed(Exception):
    pass


@dataclass(frozen=True, slots=True)
class StoreResponse:
    status_code: int
    reason: str
    headers: Mapping[str, str]
    content: bytes
    url: str  # redacted, safe to show

    def excerpt(self, limit: int = 200) -> str:
        text = " ".join(self.content[: limit * 4].decode("utf-8", "replace").split())
        return text if len(text) <= limit else text[: limit - 1] + "…"


def redact_url(url: str) -> str:
    """The URL without user info and with secret-looking query parameters masked, for logs."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = urlencode(
        [(k, "***" if k.lower() in _SENSITIVE_PARAMS else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), None if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def raise_for_response(response: StoreResponse, *, scrub: Callable[[str], str] = lambda s: s) -> None:
    """Turn a non-2xx answer into the StoreError that says what went wrong and if it may heal."""
    status = response.status_code
    if 200 <= status < 300:
        return
    detail = scrub(response.excerpt())
    if status == 401:
        raise StoreAuthError(
            _(
                "The store refused the username or password (HTTP 401). Check them, and that this user "
                "can sign in to the store's admin."
            ),
            status=status,
        )
    if status == 403:
        raise StorePermissionError(
            _(
                "The store accepted the user but refused access (HTTP 403): the user must be an "
                "administrator of the store."
            ),
            status=status,
        )
    if status in (404, 410):
        raise NotAnEndpoint(
            _(
                "Nothing answers at the store's ShipStation address (HTTP %(status)s). Check the store URL "
                "and the endpoint path, and that the ShipStation add-on is switched on in the store."
            )
            % {"status": status},
            status=status,
        )
    if status in _REDIRECTS or 300 <= status < 400:
        raise NotAnEndpoint(
            _("The store address redirects elsewhere (HTTP %(status)s). Enter the final address instead.")
            % {"status": status},
            status=status,
        )
    if status in RETRYABLE_STATUSES or status >= 500:
        message = (
            _("The store is busy (HTTP %(status)s). Outbound will try again later.")
            if status == 429
            else _("The store had a problem (HTTP %(status)s). Outbound will try again later.")
        )
        raise StoreTemporaryError(message % {"status": status}, status=status)
    raise StoreRejected(
        f"The store rejected the request (HTTP {status})" + (f": {detail}" if detail else "."), status=status
    )


def _is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUSES or status >= 500


def _chain(exc: BaseException) -> Iterator[object]:
    """Walk an exception, its args, causes and urllib3 `.reason`s (requests nests them deeply)."""
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        item = stack.pop()
        if id(item) in seen or item is None:
            continue
        seen.add(id(item))
        yield item
        if isinstance(item, BaseException):
            stack.extend([item.__cause__, item.__context__, getattr(item, "reason", None), *item.args])


class StoreTransport:
    def __init__(
        self,
        username: str,
        password: str,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_attempts: int = 5,
        base_delay: float = 1.0,
        max_delay: float = 30.0,
        max_retry_after: float = 120.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = 3,
        deadline: float | None = None,
        allow_private: bool | None = None,
        allow_http: bool | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
        clock: Callable[[], float] = time.monotonic,
        session: requests.Session | None = None,
        auth: requests.auth.AuthBase | None = None,
        pacer: Any = None,
        user_agent: str = USER_AGENT,
    ) -> None:
        self._username = username
        self._password = password
        register_secrets(username, password)
        # The REST road authenticates with a header instead of Basic auth (`auth`), paces its requests to
        # the store's call limit (`pacer`: acquire() before each request sent, observe(status, headers) after).
        self.auth = auth
        self.pacer = pacer
        self.user_agent = user_agent
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_attempts = max(1, max_attempts)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_retry_after = max_retry_after
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        if deadline is None:
            deadline = store_number_setting("STORE_REQUEST_DEADLINE", DEFAULT_DEADLINE)
        self.deadline = deadline
        self.clock = clock
        self.allow_private = (
            store_setting("ALLOW_PRIVATE_STORE_HOSTS", False) if allow_private is None else allow_private
        )
        self.allow_http = store_setting("ALLOW_HTTP_STORE_URLS", False) if allow_http is None else allow_http
        self.sleep = sleep
        self.random = random
        # Every HTTP request sent, redirect hops and retries included (import statistics).
        self.requests_made = 0
        self.session = session or self._new_session()

    def __repr__(self) -> str:
        return f"<StoreTransport user={self._username!r}>"

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        # No proxies from the environment (they would defeat the peer check) and no ~/.netrc credentials.
        session.trust_env = False
        adapter: HTTPAdapter = HTTPAdapter() if self.allow_private else urlguard.GuardedAdapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = self.user_agent
        return session

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> StoreTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- secrets ---------------------------------------------------------------------------------

    def scrub(self, text: str) -> str:
        """Mask the password (and its Basic token) in text that came from the store or a library."""
        secrets = [base64.b64encode(f"{self._username}:{self._password}".encode()).decode()]
        if len(self._password) >= 4:
            secrets.append(self._password)
        for secret in secrets:
            text = text.replace(secret, "***")
        return scrub_secrets(text)

    def raise_for_response(self, response: StoreResponse) -> None:
        raise_for_response(response, scrub=self.scrub)

    # --- requests --------------------------------------------------------------------------------

    def get(self, url: str, params: Mapping[str, str] | None = None) -> StoreResponse:
        return self.request("GET", url, params=params)

    def post(
        self, url: str, params: Mapping[str, str] | None = None, *, data: bytes, content_type: str
    ) -> StoreResponse:
        return self.request("POST", url, params=params, data=data, headers={"Content-Type": content_type})

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> StoreResponse:
        """Send with retries; return a 2xx StoreResponse or raise a StoreError."""
        failure = ""
        status: int | None = None
        retry_after: float | None = None
        give_up_at = self.clock() + self.deadline
        for attempt in range(1, self.max_attempts + 1):
            retry_after = None
            try:
                response = self._send(method, url, params, data, headers, give_up_at)
            except _DeadlinePassed:
                raise self._deadline_error() from None
            except requests.exceptions.ConnectTimeout:
                failure = _("it did not accept a connection within %(n)s s") % {"n": f"{self.connect_timeout:g}"}
                status = None
            except requests.exceptions.ReadTimeout:
                failure, status = _("it took longer than %(n)s s to answer") % {"n": f"{self.read_timeout:g}"}, None
            except requests.exceptions.SSLError as exc:
                raise self._tls_error(url, exc) from None
            except requests.exceptions.ConnectionError as exc:
                if any(isinstance(item, NameResolutionError) for item in _chain(exc)):
                    # A typo in the host name will not fix itself in a few seconds.
                    raise StoreUnreachable(
                        _("The store address %(host)s could not be found. Check its spelling.")
                        % {"host": urlsplit(url).hostname}
                    ) from None
                failure, status = _("the connection failed or was dropped"), None
            except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
                failure, status = _("its answer was cut off"), None
            else:
                if not _is_retryable_status(response.status_code):
                    self.raise_for_response(response)
                    return response
                status = response.status_code
                failure = (_("it answered HTTP %(status)s") % {"status": status} + f" {response.reason or ''}").rstrip()
                if status in (429, 503):
                    retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if attempt == self.max_attempts:
                break
            delay = self._delay(attempt, retry_after)
            if self.clock() + delay >= give_up_at:
                if status == 429:  # the deadline's words, and when the store said to come back
                    raise self._rate_limited(retry_after, self._deadline_error(failure).message)
                raise self._deadline_error(failure)
            logger.warning(
                "store request %s %s failed (%s); attempt %d/%d, retrying in %.1f s",
                method,
                redact_url(url),
                self.scrub(failure),
                attempt,
                self.max_attempts,
                delay,
            )
            self.sleep(delay)
        if status == 429:
            raise self._rate_limited(retry_after)
        raise StoreTemporaryError(
            ngettext(
                "The store could not be reached after %(n)s attempt: %(failure)s. Outbound will try again later.",
                "The store could not be reached after %(n)s attempts: %(failure)s. Outbound will try again later.",
                self.max_attempts,
            )
            % {"n": self.max_attempts, "failure": self.scrub(failure)},
            status=status,
        )

    def _tls_error(self, url: str, exc: requests.exceptions.SSLError) -> StoreUnreachable:
        """A failed HTTPS handshake in plain words: a certificate that could not be verified, or a site that does
        not speak HTTPS at all (an address typed without http://, or an http site typed as https://), with the
        http:// address to try where this deployment allows plain http."""
        if any(isinstance(item, ssl.SSLCertVerificationError) for item in _chain(exc)):
            return StoreUnreachable(
                _(
                    "The store's HTTPS certificate could not be verified, so Outbound did not send the "
                    "password. Check the store address."
                ),
                permanent=True,
            )
        host = urlsplit(url).netloc
        if self.allow_http:
            message = _(
                "The site at %(host)s does not answer HTTPS. If it is a plain http site, enter its address as %(url)s."
            ) % {"host": host, "url": f"http://{host}"}
        else:
            message = _(
                "The site at %(host)s does not answer HTTPS, and Outbound connects to stores over HTTPS only. "
                "Check the store address."
            ) % {"host": host}
        return StoreUnreachable(message, permanent=True)

    def _rate_limited(self, retry_after: float | None, message: str = "") -> StoreRateLimited:
        seconds = RATE_LIMITED_RETRY if retry_after is None else retry_after
        message = message or _("The store is busy (HTTP %(status)s). Outbound will try again later.") % {"status": 429}
        return StoreRateLimited(message, retry_after=seconds)

    def _deadline_error(self, failure: str = "") -> StoreTemporaryError:
        cause = f" (last attempt: {self.scrub(failure)})" if failure else ""
        return StoreTemporaryError(
            f"The store did not deliver its answer within {self.deadline:g} s{cause}, so Outbound stopped "
            "waiting. Outbound will try again later."
        )

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            # The store told us how long; honour it, but never let one store stall a worker for an hour.
            return min(retry_after, self.max_retry_after)
        # Exponential back-off with jitter, so many workers retrying one store do not move in step.
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return ceiling / 2 + self.random() * ceiling / 2

    def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        data: bytes | None,
        headers: Mapping[str, str] | None,
        give_up_at: float | None = None,
    ) -> StoreResponse:
        give_up_at = self.clock() + self.deadline if give_up_at is None else give_up_at
        # Validated before every request, not once: the store's DNS may have changed since.
        current = urlguard.validate_store_url(url, allow_private=self.allow_private, allow_http=self.allow_http)
        auth = self.auth or requests.auth.HTTPBasicAuth(self._username.encode("utf-8"), self._password.encode("utf-8"))
        for hop in range(self.max_redirects + 1):
            if self.pacer is not None:
                self.pacer.acquire(give_up_at - self.clock())
            self.requests_made += 1
            remaining = give_up_at - self.clock()
            if remaining <= 0:
                raise _DeadlinePassed
            response = self.session.request(
                method,
                current,
                params=dict(params or {}) if hop == 0 else None,
                data=data,
                headers=dict(headers or {}),
                auth=auth,
                timeout=(min(self.connect_timeout, remaining), min(self.read_timeout, remaining)),
                allow_redirects=False,
                stream=True,
            )
            if self.pacer is not None:
                self.pacer.observe(response.status_code, response.headers)
            try:
                location = response.headers.get("Location")
                if response.status_code in _REDIRECTS and location:
                    if method != "GET":
                        # Following would turn a POST into a GET or resend the body; say so instead.
                        raise NotAnEndpoint(
                            f"The store address redirects (HTTP {response.status_code}). "
                            "Enter the final address instead.",
                            status=response.status_code,
                        )
                    current = urlguard.check_redirect(
                        response.url, location, allow_private=self.allow_private, allow_http=self.allow_http
                    )
                    continue
                content = self._read_capped(response, give_up_at)
                return StoreResponse(
                    status_code=response.status_code,
                    reason=response.reason or "",
                    headers=CaseInsensitiveDict(response.headers),
                    content=content,
                    url=redact_url(response.url),
                )
            finally:
                response.close()
        raise NotAnEndpoint(_("The store address redirected more than %(n)s times.") % {"n": self.max_redirects})

    def _read_capped(self, response: requests.Response, give_up_at: float | None = None) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit():
            check_document_size(int(declared), self.max_bytes)
        body = bytearray()
        for chunk in _chunks(response):
            body += chunk
            if len(body) > self.max_bytes:
                # Stop reading: a store (or something pretending to be one) could send forever.
                check_document_size(len(body), self.max_bytes)
            if give_up_at is not None and self.clock() >= give_up_at:
                # A store that drips its answer never trips the per-read timeout; the clock stops it.
                raise _DeadlinePassed
        return bytes(body)


def read_at_most(
    response: requests.Response, limit: int, *, give_up_at: float, clock: Callable[[], float] = time.monotonic
) -> bytes:
    """At most `limit` bytes of a streamed answer, read until `give_up_at` on `clock` at the latest; the
    rest is never read (callers that want an excerpt, not the answer: a 300 MB reply costs 4 KB)."""
    body = bytearray()
    try:
        for chunk in _chunks(response):
            body += chunk
            if len(body) >= limit or clock() >= give_up_at:
                break
    except requests.RequestException:
        pass  # the excerpt is what arrived; the status line already said how it went
    return bytes(body[:limit])


def _chunks(response: requests.Response) -> Iterator[bytes]:
    """The body as it arrives: each read returns what one socket read brought (read1), so the caller's
    deadline is checked between reads however slowly the bytes come. Errors are requests' own."""
    raw = getattr(response, "raw", None)
    if not hasattr(raw, "read1"):
        yield from response.iter_content(chunk_size=READ_CHUNK)
        return
    while True:
        try:
            chunk = raw.read1(READ_CHUNK, decode_content=True)
        except ReadTimeoutError as exc:
            raise requests.exceptions.ReadTimeout(exc) from exc
        except ProtocolError as exc:
            raise requests.exceptions.ChunkedEncodingError(exc) from exc
        except DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc) from exc
        if not chunk:
            return
        yield chunk


__all__ = ["StoreError", "StoreResponse", "StoreTransport", "parse_retry_after", "raise_for_response", "redact_url"]
