"""HTTP for the REST road: the token header, and the vendor's error bodies turned into StoreErrors a
merchant can read (on top of stores/connector/transport.py)."""

from __future__ import annotations

import json

import requests

from stores.connector.errors import NotAnEndpoint, StoreAuthError, StorePermissionError, StoreRejected, _
from stores.connector.transport import StoreResponse, StoreTransport, raise_for_response


class RestNotFound(NotAnEndpoint):
    """A 404 with the API's JSON error body: the thing asked for is not there (a page past the end)."""


class _TokenAuth(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["X-AC-Auth-Token"] = self.token
        request.headers["Accept"] = "application/json"
        # Imports need current data, not the API's cached answers (docs/americommerce-rest.md#rate-limits).
        request.headers["Cache-Control"] = "no-cache"
        return request


def _is_api_error(response: StoreResponse) -> bool:
    try:
        payload = json.loads(response.content or b"{}")
    except ValueError:
        return False
    return isinstance(payload, dict) and "status_code" in payload


def _rest_raise_for_response(response: StoreResponse, scrub) -> None:
    status = response.status_code
    if status == 401:
        raise StoreAuthError(
            _(
                "The store refused the API token (HTTP 401): it is wrong, revoked or expired. "
                "Make a new token in the store's admin (Tools › Apps & Addons › API Apps & "
                "Integrations) and enter it again."
            ),
            status=status,
        )
    if status == 403:
        raise StorePermissionError(
            _("The store accepted the API token but refused this request (HTTP 403): the token lacks a scope."),
            status=status,
        )
    if status == 404 and _is_api_error(response):
        raise RestNotFound("The store's API has no such resource (HTTP 404).", status=status)
    if status in (404, 410):
        raise NotAnEndpoint(
            _(
                "Nothing answers at this address's /api/v1 (HTTP %(status)s), so it is not an AmeriCommerce "
                "store's REST API."
            )
            % {"status": status},
            status=status,
        )
    if status == 400:
        detail = scrub(response.excerpt())
        raise StoreRejected(
            f"The store's API rejected the request (HTTP 400){': ' + detail if detail else '.'}", status=status
        )
    raise_for_response(response, scrub=scrub)


class _RestTransport(StoreTransport):
    def raise_for_response(self, response: StoreResponse) -> None:
        _rest_raise_for_response(response, self.scrub)
