"""OpenAPI details: the bearer scheme and the shared error responses on every operation."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiParameter

from .base import IDEMPOTENCY_HEADER, ErrorSerializer

ERROR_CODES = {
    "400": "The request is invalid (see error.details).",
    "401": "No valid credentials.",
    "403": "Not allowed for this key or role.",
    "404": "No such object for this tenant.",
    "429": "Too many requests for this key.",
}


class AutoSchema(BaseAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = dict(ERROR_CODES)
        if self.method == "POST":
            codes["409"] = "A request with this Idempotency-Key is still running, or the action conflicts."
            codes["422"] = "This Idempotency-Key was used with a different request."
        for code, description in codes.items():
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = description
                responses[code] = response
        return responses

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(
                OpenApiParameter(
                    IDEMPOTENCY_HEADER,
                    str,
                    OpenApiParameter.HEADER,
                    required=False,
                    description="Any unique string (a UUID). Repeating the request with the same key and body "
                    "returns the first response instead of acting twice.",
                )
            )
        return parameters


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A tenant API key: `Authorization: Bearer ob_live_…` (read-only keys start `ob_read_`).",
        }


class TenantSessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.TenantSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
