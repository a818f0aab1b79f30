"""The sandbox store's REST face: AmeriCommerce's documented REST API (`/api/v1`) over the same store.

Same truth, clock, faults and hidden orders as the XML face (`sandbox.server`); see `api.py` for what is
served and `render.py` for how an order looks on this road. Mounted by `sandbox.server` under `/api/v1`.

    token auth           X-AC-Auth-Token; `SandboxStore.rest.token` has every scope the connector needs,
                         `rest.limited_token` only read_orders (for "token lacks a scope")
    GET  /orders         query syntax (field=op:value, AND/OR), sort, page/count, expand=items,payments,
                         shipments,custom_fields, next_page; a page past the end is a 404
    GET  /order_statuses, /stores, /products (expand=custom_fields,pictures), /order_addresses,
         /customers, /order_shipments
    POST /order_shipments          create, or update the order's shipment of the same shipment_name / id
    PUT  /orders/{id}/status       {"order_status_id": n}
    GET/POST /webhooks, GET/PUT/DELETE /webhooks/{id}   subscriptions (scope system; webhooks.py), sent by
                         webhook_delivery.py when orders are created or changed
    X-AC-Call-Limit on every answer ("used/allowed" in the current 10-second window); over the limit a
    429 with Retry-After (seconds until the window resets). `rest.set(call_limit=n)` changes it.

`OBSERVERS`: callables given every exchange (method, url, request headers, body, status, response headers,
response body); the contract tests validate them against acapi.yaml.
"""

from .api import OBSERVERS, RestState, handle

__all__ = ["OBSERVERS", "RestState", "handle"]
