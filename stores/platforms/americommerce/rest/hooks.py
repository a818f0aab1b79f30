"""A REST store's webhook subscriptions (`/api/v1/webhooks`, docs/americommerce-rest.md#webhooks).

    list_subscriptions(client)                  GET /webhooks (every page)
    subscribe(client, url, store_ids, existing) POST /webhooks for each order event and storefront not
                                                subscribed to `url` yet; the ones already there are reused
    unsubscribe(client, ids)                    DELETE /webhooks/{id} (one already gone counts as removed)
    event_order_id(body)                        the order an event's JSON body names (`order.id`), or None

Subscribing needs the token's "system" scope besides "orders"; without it the store answers 403
(StorePermissionError). The vendor does not sign its calls: the URL carries the secret (the hooks app).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, NamedTuple

from stores.connector.errors import StoreDocumentError

from . import mapping
from .http import RestNotFound

# The order events Outbound follows: any of them only tells which order to fetch again.
ORDER_EVENTS = ("NewOrder", "OrderUpdated", "OrderStatusChanged", "OrderCanceled", "OrderShipped")
# Never "Error" (a slow Outbound must not show the buyer an error at checkout) and never cached.
FAILURE_TYPE = "Ignore"
CACHE_LENGTH = "NoCache"


class Subscription(NamedTuple):
    id: int
    event_type: str
    url: str
    store_id: int | None


def _subscription(row: Any) -> Subscription | None:
    if not isinstance(row, dict) or not isinstance(row.get("id"), int):
        return None
    store_id = row.get("store_id")
    return Subscription(
        id=row["id"],
        event_type=str(row.get("event_type") or ""),
        url=str(row.get("url") or ""),
        store_id=store_id if isinstance(store_id, int) else None,
    )


def list_subscriptions(client) -> list[Subscription]:
    return [s for s in map(_subscription, client._all("webhooks")) if s is not None]


def storefront_ids(client) -> list[int]:
    """The ids of the store's storefronts (each needs its own subscriptions)."""
    return sorted({s["id"] for s in client.storefronts() if isinstance(s.get("id"), int)})


def subscribe(client, url: str, store_ids: list[int], existing: list[Subscription] | None = None) -> list[int]:
    """Subscribe `url` to every order event of every storefront; returns the subscription ids, reusing those
    already pointing at `url` (so a repeated call adds nothing)."""
    if existing is None:
        existing = list_subscriptions(client)
    have = {(s.event_type, s.store_id): s.id for s in existing if s.url == url}
    ids = []
    for store_id in store_ids:
        for event_type in ORDER_EVENTS:
            if (event_type, store_id) in have:
                ids.append(have[(event_type, store_id)])
                continue
            created = client._call(
                "POST",
                "webhooks",
                body={
                    "event_type": event_type,
                    "url": url,
                    "failure_type": FAILURE_TYPE,
                    "store_id": store_id,
                    "cache_length": CACHE_LENGTH,
                },
            )
            made = _subscription(created)
            if made is None:
                raise ValueError("The store's API answered a new webhook subscription without its id.")
            ids.append(made.id)
    return ids


def unsubscribe(client, ids: list[int]) -> int:
    """Remove these subscriptions; returns how many were there."""
    removed = 0
    for sub_id in ids:
        try:
            client._call("DELETE", f"webhooks/{int(sub_id)}")
        except RestNotFound:
            continue
        removed += 1
    return removed


def event_order_id(body: bytes) -> int | None:
    """The id of the order a webhook call names (`{"order": {"id": …}}`), or None when its body is not that:
    nothing else of the call is read (it is not signed)."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested ten thousand deep
        return None
    order = payload.get("order") if isinstance(payload, dict) else None
    value = order.get("id") if isinstance(order, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        return None
    return value


def event_order_updated_at(body: bytes) -> dt.datetime | None:
    """The `order.updated_at` a webhook call tells, or None when it tells none that reads as a date (then the
    event is never taken for an echo of our own write)."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    order = payload.get("order") if isinstance(payload, dict) else None
    value = order.get("updated_at") if isinstance(order, dict) else None
    if not isinstance(value, str) or not value:
        return None
    try:
        return mapping.parse_datetime(value, "the event")
    except StoreDocumentError:
        return None
