"""The vendor's OpenAPI file (`acapi.yaml`, byte for byte as published by AmeriCommerce / Cart.com) loaded for
validating the REST road: every answer the sandbox's REST face serves and every request the connector makes.

The file is not valid OpenAPI as published (docs/americommerce-rest.md#openapi-file) and its schemas were
generated from single examples. It is never edited; these fix-ups are applied in code, to the loaded copy,
each for the reason given, and none of them loosens what the file says a field *is*:

1. `type: guid` (not a JSON Schema type) reads as `type: string, format: uuid` (NOTES.md).
2. `minItems: -4` (negative, invalid) is dropped.
3. Any property may be null: the vendor's own samples carry `null` for many fields (`number_of_packages`,
   `from_subscription_id`, `height`, `expires_at`, `personalizations`, ...), which the generated schemas never
   allow (OpenAPI 3.1: `type: [T, "null"]`).
4. Amount and weight fields the generator typed `integer` from a whole-number example (`subtotal: 2295`,
   `price: 100`, `weight: 25`) are `number`: the same samples carry `tax_total: 191.4`, `grand_total: 2511.4`,
   `discount_amount: 0.0000`, and an amount is not whole. (AMOUNT_FIELDS lists them.)
5. `order_addresses.postal_code` is a string: the sample's 77702 made it `integer`, but postal codes have
   letters and leading zeros (`SW1A 1AA`, `04101`), and `stores.postal_code` in the same file is a string.
6. The nested resources the docs document under `expand=` get their schemas, so expanded answers are
   validated too instead of passing as unknown properties: orders.items (order_items), .payments
   (order_payments), .shipments (order_shipments), .custom_fields ({name, value}); products.custom_fields,
   .pictures (product_pictures).
7. Paths and answers the docs document but the file lacks: `PUT /orders/{id}/status` with
   `{"order_status_id": n}` (orders.md, "Status Change Events": the way that sends the status e-mails), and
   on every operation the error answers the docs describe (401 without a valid token, 403 for a missing
   scope, 404 for a page past the end, 429 over the call limit) in the file's own error shape
   (`components/responses/404`: status_code, message, details).
8. Webhook subscriptions, which docs/webhooks.md documents ("`/api/v1/webhooks`, which works exactly the same
   as any other API endpoint") but the file lacks: `/webhooks` (GET list with total_count and `webhooks`,
   POST) and `/webhooks/{id}` (GET, PUT, DELETE), with a `webhooks` schema from the docs' field list
   (event_type, url, failure_type, store_id, cache_length, fallback_url, and the id every resource has).
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml
from openapi_core import Config, OpenAPI

SPEC_PATH = Path(__file__).with_name("acapi.yaml")
# sha256 of the file as published (tests/contract/test_contract.py checks the copy is untouched).
SPEC_SHA256 = "e8f823a8f5ac33b09902e550268f30b05339a8a16be30a84b122d94412c9eba8"

AMOUNT_FIELDS = frozenset(
    {
        "subtotal",
        "shipping_total",
        "discount_total",
        "cost_total",
        "handling_total",
        "additional_fees",
        "discounted_shipping_total",
        "price",
        "cost",
        "weight",
        "tax_total",
        "grand_total",
    }
)


def _nullable(schema: Any) -> None:
    if isinstance(schema, dict):
        kind = schema.get("type")
        if isinstance(kind, str) and kind != "null" and "properties" not in schema and kind != "object":
            schema["type"] = [kind, "null"]
        for key, value in schema.items():
            if key in ("properties", "items", "schema", "additionalProperties") or isinstance(value, dict | list):
                _nullable(value)
    elif isinstance(schema, list):
        for value in schema:
            _nullable(value)


def _fix_types(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "guid":
            node["type"], node["format"] = "string", "uuid"
        if isinstance(node.get("minItems"), int) and node["minItems"] < 0:
            del node["minItems"]
        properties = node.get("properties")
        if isinstance(properties, dict):
            for name, prop in properties.items():
                if isinstance(prop, dict) and prop.get("type") == "integer" and name in AMOUNT_FIELDS:
                    prop["type"] = "number"
        for value in node.values():
            _fix_types(value)
    elif isinstance(node, list):
        for value in node:
            _fix_types(value)


ERROR_RESPONSE = {
    "description": "An error, in the shape of the file's own components/responses/404",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/error"}}},
}


def fixed_spec(raw: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(raw)
    schemas = spec["components"]["schemas"]
    _fix_types(spec)
    schemas["order_addresses"]["properties"]["postal_code"] = {"type": "string"}
    ref = "#/components/schemas/"
    schemas["custom_field_value"] = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "value": {"type": "string"}},
    }
    for parent, nested in (
        (
            "orders",
            {
                "items": "order_items",
                "payments": "order_payments",
                "shipments": "order_shipments",
                "custom_fields": "custom_field_value",
            },
        ),
        ("products", {"custom_fields": "custom_field_value", "pictures": "product_pictures"}),
    ):
        for name, target in nested.items():
            schemas[parent]["properties"][name] = {"type": "array", "items": {"$ref": ref + target}}
    schemas["error"] = copy.deepcopy(spec["components"]["responses"]["404"]["content"]["application/json"]["schema"])
    spec["paths"]["/orders/{id}/status"] = {
        "parameters": [{"schema": {"type": "string"}, "name": "id", "in": "path", "required": True}],
        "put": {
            "summary": "Update an order's status (orders.md, Status Change Events)",
            "operationId": "put-orders-id-status",
            "requestBody": {
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {"order_status_id": {"type": "integer"}},
                            "required": ["order_status_id"],
                        }
                    }
                }
            },
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": ref + "orders"}}}}
            },
        },
    }
    _add_webhooks(spec)
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method in ("get", "put", "post", "delete", "patch") and isinstance(operation, dict):
                responses = operation.setdefault("responses", {})
                for code in ("400", "401", "403", "404", "429", "500", "503"):
                    responses.setdefault(code, ERROR_RESPONSE)
    _nullable(spec["components"]["schemas"])
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                for response in operation.get("responses", {}).values():
                    if isinstance(response, dict) and "content" in response:
                        for media in response["content"].values():
                            _nullable(media.get("schema"))
                if "requestBody" in operation:
                    for media in operation["requestBody"].get("content", {}).values():
                        _nullable(media.get("schema"))
    return spec


def _add_webhooks(spec: dict[str, Any]) -> None:
    """Fix-up 8: the webhook subscriptions of docs/webhooks.md."""
    ref = {"$ref": "#/components/schemas/webhooks"}
    spec["components"]["schemas"]["webhooks"] = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "event_type": {"type": "string"},
            "url": {"type": "string"},
            "failure_type": {"type": "string", "enum": ["Ignore", "Error", "Fallback"]},
            "store_id": {"type": "integer"},
            "cache_length": {"type": "string", "enum": ["Short", "Long", "NoCache"]},
            "fallback_url": {"type": "string"},
        },
    }
    answer = {"description": "OK", "content": {"application/json": {"schema": ref}}}
    body = {"content": {"application/json": {"schema": ref}}}
    listing = {
        "type": "object",
        "properties": {"total_count": {"type": "integer"}, "webhooks": {"type": "array", "items": ref}},
    }
    spec["paths"]["/webhooks"] = {
        "get": {
            "summary": "Get Webhooks",
            "operationId": "get-webhooks",
            "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": listing}}}},
        },
        "post": {
            "summary": "Create a Webhook",
            "operationId": "post-webhooks",
            "requestBody": body,
            "responses": {"200": answer},
        },
    }
    spec["paths"]["/webhooks/{id}"] = {
        "parameters": [{"schema": {"type": "string"}, "name": "id", "in": "path", "required": True}],
        "get": {"summary": "Get a Webhook", "operationId": "get-webhooks-id", "responses": {"200": answer}},
        "put": {
            "summary": "Update a Webhook",
            "operationId": "put-webhooks-id",
            "requestBody": body,
            "responses": {"200": answer},
        },
        "delete": {
            "summary": "Delete a Webhook",
            "operationId": "delete-webhooks-id",
            "responses": {"200": {"description": "OK"}},
        },
    }


@functools.cache
def openapi() -> OpenAPI:
    raw = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    # The spec check is skipped (the file is not valid OpenAPI, NOTES.md); the fix-ups above make its
    # schemas usable, and validation of requests and answers runs against them.
    return OpenAPI.from_dict(fixed_spec(raw), config=Config(spec_validator_cls=None))
