"""Validating every exchange of the sandbox's REST face against acapi.yaml (see acapi.py for the fix-ups).

`Collector` is registered in `sandbox.rest.OBSERVERS` for the whole test session (tests/conftest.py). The
sandbox hands it each exchange as it answers; exchanges are validated after each test (not on the server's
thread, so that the validation never slows the store down mid-test), and a violation fails the test that
caused it. Validated:
- every answer the sandbox served (status, content type, body against the operation's schema);
- every request the connector made (identified by its User-Agent): path and method known to the file,
  the X-AC-Auth-Token security scheme, the body against the operation's request schema.
Requests a test crafts by hand (a hostile client, a missing token on purpose) are not the connector's and
are only checked for the answer.

A list answer's rows that this session has already validated (the same row, byte for byte, of the same
resource: an unchanged order served again by an overlap, a tail check or a re-walk) are left out of the
body handed to the validator; every distinct row is validated once. (openapi-core with jsonschema takes
about 5 ms per order with its nested resources; a 5,000-order import serves each order several times.)
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound, ServerNotFound
from werkzeug.datastructures import Headers, ImmutableMultiDict

from .acapi import openapi

API_PREFIX = "/api/v1"
CONNECTOR_AGENT = "Outbound"


class _Request:
    def __init__(self, exchange: dict[str, Any]) -> None:
        url = urlsplit(exchange["url"])
        # The file's server is https://www.yoursite.com/api/v1: validate paths relative to it.
        self.host_url = "https://www.yoursite.com"
        self.path = url.path
        self.method = exchange["method"].lower()
        headers = Headers(list(exchange["headers"].items()))
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(url.query, keep_blank_values=True)), header=headers, cookie={}
        )
        self.content_type = (headers.get("Content-Type") or "").lower()
        self.body = exchange["body"] or None

    @property
    def full_url_pattern(self) -> str:
        return self.host_url + self.path


class _Response:
    def __init__(self, exchange: dict[str, Any]) -> None:
        self.status_code = exchange["status"]
        self.headers = Headers(list(exchange["response_headers"].items()))
        self.content_type = (self.headers.get("Content-Type") or "").lower()
        self.data = exchange["response_body"]


@dataclass
class Violation:
    kind: str  # "request" or "response"
    where: str
    error: str

    def __str__(self) -> str:
        return f"{self.kind} {self.where}: {self.error}"


class Collector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[dict[str, Any]] = []
        self.validated = {"request": 0, "response": 0}
        self.violations: list[Violation] = []
        self._rows_seen: set[str] = set()

    def _new_rows_only(self, exchange: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The exchange with a list answer's already-validated rows left out, and the new rows' digests."""
        if exchange["method"] != "GET" or exchange["status"] != 200:
            return exchange, []
        resource = urlsplit(exchange["url"]).path.rstrip("/").rsplit("/", 1)[-1]
        try:
            payload = json.loads(exchange["response_body"])
        except ValueError:
            return exchange, []
        if not isinstance(payload, dict) or not isinstance(payload.get(resource), list):
            return exchange, []
        keep, digests = [], []
        for row in payload[resource]:
            digest = resource + ":" + hashlib.sha1(json.dumps(row, sort_keys=True).encode()).hexdigest()
            if digest not in self._rows_seen and digest not in digests:
                keep.append(row)
                digests.append(digest)
        payload[resource] = keep
        return {**exchange, "response_body": json.dumps(payload).encode()}, digests

    def __call__(self, exchange: dict[str, Any]) -> None:
        with self._lock:
            self._pending.append(exchange)

    def drain(self) -> list[Violation]:
        """Validate what arrived since the last call; returns the new violations."""
        with self._lock:
            pending, self._pending = self._pending, []
        found: list[Violation] = []
        spec = openapi()
        for exchange in pending:
            checked, digests = self._new_rows_only(exchange)
            request, response = _Request(exchange), _Response(checked)
            where = f"{exchange['method']} {urlsplit(exchange['url']).path} -> {exchange['status']}"
            connector = exchange["headers"].get("User-Agent", "").startswith(CONNECTOR_AGENT)
            try:
                spec.validate_response(request, response)
                self.validated["response"] += 1
                self._rows_seen.update(digests)
            except (PathNotFound, OperationNotFound, ServerNotFound) as exc:
                if connector or exchange["status"] != 404:
                    found.append(Violation("response", where, f"{type(exc).__name__}: {exc}"))
            except Exception as exc:  # noqa: BLE001 - every validation error is a finding to report
                found.append(Violation("response", where, _describe(exc)))
            if connector:
                try:
                    spec.validate_request(request)
                    self.validated["request"] += 1
                except Exception as exc:  # noqa: BLE001
                    found.append(Violation("request", where, _describe(exc)))
        with self._lock:
            self.violations.extend(found)
        return found


def _describe(exc: Exception) -> str:
    details = [str(exc)]
    cause = exc.__cause__
    for error in getattr(cause, "schema_errors", None) or getattr(exc, "schema_errors", None) or []:
        details.append(f"  {list(error.absolute_path)}: {error.message}")
    return "\n".join(details)[:2000]
