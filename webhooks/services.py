"""Outgoing webhooks: subscriptions, emission and delivery. Below the domain: orders and shipments call
webhook_emit… downward, inside their own transaction; the payload of an order or shipment is built by
the builder the API registered (webhooks.payloads), so it is the object as the API shows it.

Outgoing webhooks, end to end:

    webhook_emit(tenant, event, payload)          a payload at hand (the API's ping, tests)
    webhook_emit_object(obj, tenant, event)       called by shipments: the registered builder's payload
    webhook_emit_orders(tenant_id, created, updated)   called by the import engine, once per page
      └─ one WebhookDelivery row per (object, matching active subscription): the delivery log,
         all of a call's rows in one INSERT
         └─ outbox_enqueue_many(kind=WEBHOOK, payloads=[{"delivery_id": …}, …])   one INSERT, same
            transaction as the cause; on commit one django-q2 task per batch of rows
              └─ the outbox relay calls webhook_deliver(message) with its retry and back-off rules
                   (registered in WebhooksConfig.ready)
                   └─ POST JSON body, header Outbound-Signature: t=<unix>,v1=<hex hmac-sha256>

See api/WEBHOOKS.md for the receiver's side.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import string
import time
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import bulk
from outbox.services import PermanentDeliveryError, TransientDeliveryError, outbox_enqueue_many
from stores import crypto
from stores.models import Tenant

from .models import DeliveryState, WebhookDelivery, WebhookEvent, WebhookSubscription
from .payloads import payload_for, payloads_for, payloads_loaded

logger = logging.getLogger(__name__)

# The outbox kind of a delivery (this app registers its handler).
WEBHOOK = "webhook"

_ALPHABET = string.ascii_letters + string.digits
SIGNATURE_HEADER = "Outbound-Signature"
WEBHOOK_TIMEOUT_SECONDS = 10  # per socket operation
WEBHOOK_DEADLINE_SECONDS = 20  # for the whole delivery, the answer's excerpt included
WEBHOOK_READ_BYTES = 4096  # of the receiver's answer: the log keeps an excerpt, the rest is never read


def webhook_url_validate(url: str) -> str:
    """Webhook URLs are user input the server fetches: the same guard as store URLs."""
    from stores.connector.urlguard import validate_store_url

    return validate_store_url(
        url, allow_private=settings.ALLOW_PRIVATE_STORE_HOSTS, allow_http=settings.ALLOW_HTTP_STORE_URLS
    )


def webhook_subscription_create(
    *, tenant: Tenant, url: str, events: list[str], description: str = "", is_active: bool = True, user=None
) -> tuple[WebhookSubscription, str]:
    """A subscription and its signing secret, returned once."""
    unknown = set(events) - set(WebhookEvent.values)
    if unknown or not events:
        raise ValidationError({"events": [f"Choose events among {', '.join(WebhookEvent.values)}."]})
    secret = "whsec_" + "".join(secrets.choice(_ALPHABET) for _ in range(32))
    subscription = WebhookSubscription.objects.create(
        tenant=tenant,
        url=webhook_url_validate(url),
        events=sorted(set(events)),
        description=description,
        is_active=is_active,
        secret_encrypted=crypto.encrypt_secret(secret),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    return subscription, secret


def webhook_sign(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The Outbound-Signature header value for this body."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def webhook_body(delivery: WebhookDelivery) -> bytes:
    envelope = {
        "id": str(delivery.event_id),
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(envelope, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def _jsonable(payload):
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


def webhook_emit(*, tenant: Tenant | int, event: str, payload: dict) -> list[WebhookDelivery]:
    """Queue `event` with `payload` (the whole object, JSON-able) for every active subscription to it.

    Call it inside the transaction that caused the event: the deliveries and their outbox rows commit
    or roll back with it.
    """
    return _emit(tenant, event, lambda: payload)


def _emit(tenant: Tenant | int, event: str, build) -> list[WebhookDelivery]:
    if event not in WebhookEvent.values:
        raise ValueError(f"Unknown webhook event {event!r}.")
    subscriptions = _subscribers(tenant, {event})[event]
    if not subscriptions:
        return []
    data = _jsonable(build())
    return _deliveries_enqueue([(s, event, data) for s in subscriptions])


def _subscribers(tenant: Tenant | int, events: set[str]) -> dict[str, list[WebhookSubscription]]:
    """The tenant's active subscriptions to each of `events` (one query)."""
    found: dict[str, list[WebhookSubscription]] = {event: [] for event in events}
    for subscription in WebhookSubscription.objects.for_tenant(tenant).filter(is_active=True).order_by("pk"):
        for event in events.intersection(subscription.events):
            found[event].append(subscription)
    return found


def webhook_emit_object(*, obj, tenant: Tenant | int, event: str) -> list[WebhookDelivery]:
    """webhook_emit with `obj` as the API shows it (the builder registered for its model, see
    webhooks.payloads); nothing is serialised when nobody subscribed."""
    return _emit(tenant, event, lambda: payload_for(obj))


def _deliveries_enqueue(items: list[tuple[WebhookSubscription, str, dict]]) -> list[WebhookDelivery]:
    """_deliveries_write, with the deliveries as instances."""
    ids, rows = _deliveries_write(items)
    deliveries = []
    for (subscription, _event, _payload), row in zip(items, rows, strict=True):
        fields = {**row, "event_id": uuid.UUID(row["event_id"]), "subscription": subscription}
        del fields["subscription_id"]
        delivery = WebhookDelivery(pk=ids[row["event_id"]], **fields)
        delivery._state.adding = False
        deliveries.append(delivery)
    return deliveries


@transaction.atomic(savepoint=False)  # the caller's transaction, or one of its own
def _deliveries_write(items: list[tuple[WebhookSubscription, str, dict]]) -> tuple[dict[str, int], list[dict]]:
    """A delivery and its outbox row for each (subscription, event, JSON-able payload), all of one
    tenant: one INSERT for the deliveries and one for their outbox rows, whatever their number (on
    PostgreSQL each INSERT's rows travel as one JSON parameter, see core.bulk). Returns ({event id:
    delivery id}, the delivery rows): no model instance is built, an import page writes hundreds."""
    if not items:
        return {}, []
    now = timezone.now()
    rows = [
        {
            "subscription_id": s.pk,
            "event_id": str(uuid.uuid4()),
            "event": event,
            "payload": payload,
            "created_at": now,
        }
        for s, event, payload in items
    ]
    ids = {str(key): pk for key, pk in bulk.write(bulk.Rows(WebhookDelivery, rows, key="event_id")).items()}
    outbox_enqueue_many(
        tenant=items[0][0].tenant_id,
        kind=WEBHOOK,
        payloads=[{"delivery_id": ids[row["event_id"]]} for row in rows],
        dedupe_keys=[f"webhook:{row['event_id']}" for row in rows],
        mirrored=True,  # the deliveries above were written pending, as their new outbox rows are
        returning=False,
    )
    return ids, rows


def webhook_send_test(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """A `ping` event to one subscription, through the same outbox as real events."""
    payload = {
        "message": "A test event from Outbound.",
        "subscription_id": subscription.pk,
        "events": subscription.events,
    }
    return _deliveries_enqueue([(subscription, "ping", payload)])[0]


def webhook_deliver(message) -> tuple[int, str]:
    """The outbox handler for kind WEBHOOK: POST one delivery, signed. Raises the outbox's errors."""
    import requests

    from stores.connector.errors import StoreError
    from stores.connector.transport import read_at_most
    from stores.connector.urlguard import GuardedAdapter

    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=message.payload["delivery_id"])
    subscription = delivery.subscription
    if not subscription.is_active:
        raise PermanentDeliveryError("The subscription is turned off.")
    body = webhook_body(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Outbound-Webhooks/1",
        SIGNATURE_HEADER: webhook_sign(secret=subscription.get_secret(), body=body),
        "Outbound-Event": delivery.event,
        "Outbound-Delivery": str(delivery.event_id),
    }
    give_up_at = time.monotonic() + WEBHOOK_DEADLINE_SECONDS
    try:
        url = webhook_url_validate(subscription.url)
        with requests.Session() as session:
            session.trust_env = False
            # The connection-time guard catches a name that re-resolves to a private address.
            if not settings.ALLOW_PRIVATE_STORE_HOSTS:
                session.mount("https://", GuardedAdapter())
                session.mount("http://", GuardedAdapter())
            # Streamed: only the first few KB of the answer are ever read, within the delivery's deadline.
            with session.post(
                url, data=body, headers=headers, timeout=WEBHOOK_TIMEOUT_SECONDS, allow_redirects=False, stream=True
            ) as response:
                answer = read_at_most(response, WEBHOOK_READ_BYTES, give_up_at=give_up_at)
    except StoreError as exc:
        error = PermanentDeliveryError if exc.permanent else TransientDeliveryError
        raise error(exc.message)
    except requests.RequestException as exc:
        raise TransientDeliveryError(f"The receiver could not be reached ({type(exc).__name__}).")
    excerpt = answer.decode("utf-8", "replace")[:500]
    if 200 <= response.status_code < 300:
        return response.status_code, excerpt
    error = PermanentDeliveryError if response.status_code in (400, 401, 403, 404, 410) else TransientDeliveryError
    raise error(f"The receiver answered HTTP {response.status_code}.", status=response.status_code, body=excerpt)


_MIRROR = {
    "pending": DeliveryState.PENDING,
    "sending": DeliveryState.PENDING,
    "sent": DeliveryState.DELIVERED,
    "failed": DeliveryState.FAILED,
    "cancelled": DeliveryState.FAILED,
}


def _mirrored(message) -> dict:
    return {
        "state": _MIRROR.get(message.state, DeliveryState.PENDING),
        "attempts": message.attempts,
        "response_status": message.response_status,
        "response_excerpt": (message.response_body or "")[:500],
        "error": message.last_error or "",
        "last_attempt_at": message.updated_at if message.attempts else None,
        "delivered_at": message.sent_at,
    }


def webhook_delivery_mirror(message) -> None:
    """Outbox on_state hook: keep the delivery log in step with its outbox row."""
    webhook_deliveries_mirror([message])


def webhook_deliveries_mirror(messages) -> None:
    """Outbox on_state_many hook: the same for many rows, one UPDATE per distinct state (a bulk
    enqueue's rows are all alike: one UPDATE). Rows that hold those values already are not rewritten
    (a bulk enqueue's deliveries were written pending a moment ago)."""
    groups: dict[tuple, list[int]] = {}
    for message in messages:
        delivery_id = (message.payload or {}).get("delivery_id")
        if delivery_id:
            groups.setdefault(tuple(_mirrored(message).items()), []).append(delivery_id)
    for values, delivery_ids in groups.items():
        same = Q(
            **{
                name if value is not None else f"{name}__isnull": value if value is not None else True
                for name, value in values
            }
        )
        WebhookDelivery.objects.filter(pk__in=delivery_ids).exclude(same).update(**dict(values))


def webhook_events_wanted(tenant_id: int) -> set[str]:
    """Every event some active subscription of the tenant listens to (one query)."""
    return {
        event
        for events in WebhookSubscription.objects.for_tenant(tenant_id)
        .filter(is_active=True)
        .values_list("events", flat=True)
        for event in events
    }


def webhook_emit_orders_attention(*, tenant_id: int, order_ids: list[int]) -> int:
    """Queue order.attention for orders the store's status flagged (a cancellation after shipping)."""
    return _emit_orders(tenant_id, {"order.attention": order_ids})


def webhook_emit_orders(
    *,
    tenant_id: int,
    created: list[int],
    updated: list[int],
    wanted: set[str] | None = None,
    recovered: list[int] = (),
    loaded: dict | None = None,
) -> int:
    """Queue order.imported / order.updated (and import.recovered) for one import page; returns how many
    deliveries.

    One query when nobody subscribed (the common case; none when the caller passes `wanted`, as an
    import run does). With subscribers the page costs a constant number of queries whatever its size:
    the subscriptions, the orders with their lines and shipments (prefetched), serialised together
    as the API shows them, then one INSERT for the deliveries and one for their outbox rows.

    `loaded`: {pk: order} for orders the caller holds as the database holds them now, with their lines
    and shipments in the prefetch cache (an import page's new orders, built from the rows it has just
    written): their payloads are built without reading them back. The other ids are read.
    """
    if wanted is None:
        wanted = webhook_events_wanted(tenant_id)
    ids_by_event = {
        event: ids
        for event, ids in (("order.imported", created), ("order.updated", updated), ("import.recovered", recovered))
        if event in wanted and ids
    }
    return _emit_orders(tenant_id, ids_by_event, loaded or {}) if ids_by_event else 0


def _emit_orders(tenant_id: int, ids_by_event: dict[str, list[int]], loaded: dict | None = None) -> int:
    """Each event for its orders, to every active subscription of the tenant to it, in bulk; returns how
    many deliveries."""
    subscriptions = _subscribers(tenant_id, set(ids_by_event))
    ids = {pk for event, pks in ids_by_event.items() if subscriptions[event] for pk in pks}
    if not ids:
        return 0
    # The builder's output is JSON already (decimals and dates as strings): it goes to the INSERT as it is.
    # Another tenant's order is never serialised into this tenant's deliveries, loaded or read.
    held = [order for pk, order in (loaded or {}).items() if pk in ids and order.tenant_id == tenant_id]
    payloads = payloads_loaded("orders.order", held) if held else {}
    if len(payloads) < len(ids):
        payloads.update(payloads_for("orders.order", tenant_id=tenant_id, ids=ids - payloads.keys()))
    ids, _rows = _deliveries_write(
        [
            (subscription, event, payloads[pk])
            for event, pks in ids_by_event.items()
            for pk in pks
            if pk in payloads
            for subscription in subscriptions[event]
        ]
    )
    return len(ids)
