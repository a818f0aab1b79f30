"""The REST face's webhook subscriptions: `/api/v1/webhooks` (AmeriCommerce's webhooks.md, "Subscribing to a
Webhook": the resource "works exactly the same as any other API endpoint"; docs/americommerce-rest.md#webhooks).

    GET    /webhooks          list (query syntax, page/count, next_page; key "webhooks")
    GET    /webhooks/{id}     one subscription, 404 when there is none
    POST   /webhooks          create; answers the created subscription with its `id` (200, like order_shipments)
    PUT    /webhooks/{id}     change the fields given
    DELETE /webhooks/{id}     remove it (200, an empty object)

Fields (docs/webhooks.md): event_type (one of the documented types), url, failure_type (Ignore, the
default; Error; Fallback, which needs fallback_url), store_id (a storefront of `/stores`; only that
storefront's events are sent), cache_length (Short, Long or NoCache), fallback_url.

The subscriptions live in the store (`SandboxStore.webhooks`), under its lock, for as long as its orders do,
and show in `truth()["webhooks"]`. Sending the events is `sandbox.rest.webhook_delivery`.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..catalog import STOREFRONTS

if TYPE_CHECKING:
    from ..store import SandboxStore

# docs/webhooks.md, "Webhook Types".
EVENT_TYPES = frozenset(
    {
        "AuthorizingPayment",
        "CapturingPayment",
        "CustomerCreated",
        "CustomerEmailUpdated",
        "CustomerUpdated",
        "CustomerRegistered",
        "GetDiscount",
        "GetPrice",
        "GetProductStatus",
        "GetTax",
        "NewOrder",
        "NewQuote",
        "NewValidOrder",
        "OrderApproved",
        "OrderCanceled",
        "OrderDeclined",
        "OrderPlaced",
        "OrderShipped",
        "OrderStatusChanged",
        "OrderUpdated",
        "PaymentProcessed",
        "ProductCreated",
        "ProductStatusChanged",
        "ProductUpdated",
        "QuoteStatusChanged",
        "QuoteUpdated",
        "ValidateCart",
        "ValidateCheckout",
        "ValidateCustomer",
        "ValidateProduct",
    }
)
FAILURE_TYPES = ("Ignore", "Error", "Fallback")
CACHE_LENGTHS = ("NoCache", "Short", "Long")
FIELDS = ("event_type", "url", "failure_type", "store_id", "cache_length", "fallback_url")


class WebhookError(ValueError):
    """A subscription the store refuses (a 400 on the REST face, a ValueError in Python)."""


def _check_url(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise WebhookError(f"{name} is required.")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise WebhookError(f"{name} must be an http or https URL, not {value!r}.")
    return value.strip()


def clean(fields: dict[str, Any], current: dict[str, Any] | None = None) -> dict[str, Any]:
    """The subscription `fields` describe (over `current` for a PUT), checked; raises WebhookError."""
    unknown = set(fields) - set(FIELDS) - {"id"}
    if unknown:
        raise WebhookError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    merged = {
        "event_type": None,
        "url": None,
        "failure_type": "Ignore",
        "store_id": None,
        "cache_length": "NoCache",
        "fallback_url": None,
        **(current or {}),
        **{k: v for k, v in fields.items() if k != "id"},
    }
    if merged["event_type"] not in EVENT_TYPES:
        raise WebhookError(f"event_type must be one of the documented webhook types, not {merged['event_type']!r}.")
    merged["url"] = _check_url("url", merged["url"])
    if merged["failure_type"] not in FAILURE_TYPES:
        raise WebhookError(f"failure_type must be one of {', '.join(FAILURE_TYPES)}.")
    if merged["cache_length"] not in CACHE_LENGTHS:
        raise WebhookError(f"cache_length must be one of {', '.join(CACHE_LENGTHS)}.")
    store_ids = {s.id for s in STOREFRONTS}
    if isinstance(merged["store_id"], bool) or merged["store_id"] not in store_ids:
        raise WebhookError(f"store_id must be the id of one of the stores ({', '.join(map(str, sorted(store_ids)))}).")
    if merged["fallback_url"] not in (None, ""):
        merged["fallback_url"] = _check_url("fallback_url", merged["fallback_url"])
    elif merged["failure_type"] == "Fallback":
        raise WebhookError("failure_type Fallback needs a fallback_url.")
    return merged


class Subscriptions:
    """A store's webhook subscriptions by id. The caller holds the store's lock."""

    def __init__(self) -> None:
        self._by_id: dict[int, dict[str, Any]] = {}
        self._ids = itertools.count(1)

    def __len__(self) -> int:
        return len(self._by_id)

    def create(self, fields: dict[str, Any]) -> dict[str, Any]:
        row = {"id": next(self._ids), **clean(fields)}
        self._by_id[row["id"]] = row
        return dict(row)

    def get(self, webhook_id: int) -> dict[str, Any] | None:
        row = self._by_id.get(webhook_id)
        return dict(row) if row is not None else None

    def update(self, webhook_id: int, fields: dict[str, Any]) -> dict[str, Any] | None:
        row = self._by_id.get(webhook_id)
        if row is None:
            return None
        row.update(clean(fields, {k: v for k, v in row.items() if k != "id"}))
        return dict(row)

    def delete(self, webhook_id: int) -> bool:
        return self._by_id.pop(webhook_id, None) is not None

    def all(self) -> list[dict[str, Any]]:
        return [dict(row) for _, row in sorted(self._by_id.items())]

    def matching(self, event_type: str, store_id: int) -> list[dict[str, Any]]:
        """The subscriptions an event of this type on this storefront is sent to."""
        return [dict(r) for r in self._by_id.values() if r["event_type"] == event_type and r["store_id"] == store_id]


def route(
    store: SandboxStore, method: str, parts: list[str], pairs: list[tuple[str, str]], body: bytes, handler: Any
) -> tuple[int, Any]:
    """Answer one request under /api/v1/webhooks (scopes already checked by `api._route`)."""
    from .api import ApiError, _filters, _json_body, _list, _page_of, _paging, matches

    webhook_id: int | None = None
    if len(parts) == 2:
        if not parts[1].isdigit():
            raise ApiError(404, "Not Found", "No resource found")
        webhook_id = int(parts[1])
    elif len(parts) != 1:
        raise ApiError(404, "Not Found", "No resource found")
    try:
        with store._lock:
            subscriptions = store.webhooks
            if webhook_id is None and method == "GET":
                page, count = _paging(pairs)
                filters = _filters(pairs)
                rows = [r for r in subscriptions.all() if matches(r, filters)]
                return 200, _list("webhooks", _page_of(rows, page, count), len(rows), page, count, pairs, handler)
            if webhook_id is None and method == "POST":
                return 200, subscriptions.create(_json_body(body))
            if webhook_id is None:
                raise ApiError(405, "Method Not Allowed", f"{method} needs a webhook id.")
            if method == "GET":
                row = subscriptions.get(webhook_id)
            elif method == "PUT":
                row = subscriptions.update(webhook_id, _json_body(body))
            elif method == "DELETE":
                row = {} if subscriptions.delete(webhook_id) else None
            else:
                raise ApiError(405, "Method Not Allowed", f"{method} is not allowed here.")
    except WebhookError as exc:
        raise ApiError(400, "Bad Request", str(exc)) from None
    if row is None:
        raise ApiError(404, "Not Found", "No resource found")
    return 200, row
