"""Writes for the API: keys, webhook subscriptions and deliveries (store, mapping and product edits are the
domain's: stores.services, orders.services).

Outgoing webhooks, end to end:

    webhook_emit(tenant, event, payload)          called by the import engine, shipments, the API
      └─ one WebhookDelivery row per matching active subscription (the delivery log)
         └─ outbox_enqueue(kind="webhook", payload={"delivery_id": …})   same transaction as the cause
              └─ the outbox relay calls webhook_deliver(message) with its retry and back-off rules
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

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from stores import crypto
from stores.models import Tenant

from .models import (
    LIVE_PREFIX,
    READ_PREFIX,
    ApiKey,
    DeliveryState,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

logger = logging.getLogger(__name__)

_ALPHABET = string.ascii_letters + string.digits
KEY_RANDOM_LENGTH = 40
VISIBLE_CHARS = 8
SIGNATURE_HEADER = "Outbound-Signature"
WEBHOOK_TIMEOUT_SECONDS = 10


# --- API keys -----------------------------------------------------------------------------------------


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def api_key_create(*, tenant: Tenant, name: str, read_only: bool, user=None) -> tuple[ApiKey, str]:
    """A new key and its plaintext. The plaintext is not stored: show it once and forget it."""
    kind = READ_PREFIX if read_only else LIVE_PREFIX
    plaintext = kind + "".join(secrets.choice(_ALPHABET) for _ in range(KEY_RANDOM_LENGTH))
    key = ApiKey.objects.create(
        tenant=tenant,
        name=name.strip() or "API key",
        prefix=plaintext[: len(kind) + VISIBLE_CHARS],
        key_hash=hash_key(plaintext),
        read_only=read_only,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    return key, plaintext


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def api_key_authenticate(plaintext: str) -> ApiKey | None:
    """The active key this plaintext is, or None. Constant-time comparison of the hashes."""
    if not plaintext.startswith((LIVE_PREFIX, READ_PREFIX)) or len(plaintext) > 200:
        return None
    prefix = plaintext[: len(LIVE_PREFIX) + VISIBLE_CHARS]
    wanted = hash_key(plaintext)
    found = None
    for key in ApiKey.objects.active().filter(prefix=prefix, tenant__is_active=True).select_related("tenant"):
        if hmac.compare_digest(key.key_hash, wanted):
            found = key
    if found is not None:
        now = timezone.now()
        # One write a minute at most: the key is read on every request.
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=found.pk).update(last_used_at=now)
            found.last_used_at = now
    return found


def api_key_label(api_key: ApiKey) -> str:
    return f"API key {api_key.name} ({api_key.prefix}…)"


def idempotency_records_prune(*, older_than_hours: int = 24) -> int:
    """Forget Idempotency-Key records after a day, as Stripe does; returns how many were deleted."""
    from datetime import timedelta

    from .models import IdempotencyRecord

    cutoff = timezone.now() - timedelta(hours=older_than_hours)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- store URLs ---------------------------------------------------------------------------------------


def store_url_validate(url: str) -> str:
    from stores.connector.urlguard import validate_store_url

    return validate_store_url(
        url, allow_private=settings.ALLOW_PRIVATE_STORE_HOSTS, allow_http=settings.ALLOW_HTTP_STORE_URLS
    )


# --- webhooks -----------------------------------------------------------------------------------------


def webhook_url_validate(url: str) -> str:
    """Webhook URLs are user input the server fetches: the same guard as store URLs."""
    from stores.connector.urlguard import validate_store_url

    return validate_store_url(
        url, allow_private=settings.ALLOW_PRIVATE_STORE_HOSTS, allow_http=settings.ALLOW_HTTP_STORE_URLS
    )


def webhook_subscription_create(*, tenant: Tenant, url: str, events: list[str], description: str = "",
                                is_active: bool = True, user=None) -> tuple[WebhookSubscription, str]:
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


def _jsonable(payload: dict) -> dict:
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


def webhook_emit(*, tenant: Tenant | int, event: str, payload: dict) -> list[WebhookDelivery]:
    """Queue `event` with `payload` (the whole object, JSON-able) for every active subscription to it.

    Call it inside the transaction that caused the event: the deliveries and their outbox rows commit
    or roll back with it.
    """
    if event not in WebhookEvent.values:
        raise ValueError(f"Unknown webhook event {event!r}.")
    subscriptions = [
        s for s in WebhookSubscription.objects.for_tenant(tenant).filter(is_active=True) if event in s.events
    ]
    if not subscriptions:
        return []
    data = _jsonable(payload)
    return [_delivery_enqueue(subscription=s, event=event, payload=data) for s in subscriptions]


def webhook_emit_order(*, order, event: str) -> list[WebhookDelivery]:
    """webhook_emit with the order as the API shows it (lines and shipments included)."""
    from .serializers import OrderDetailSerializer

    return webhook_emit(tenant=order.tenant_id, event=event, payload=OrderDetailSerializer(order).data)


def webhook_emit_shipment(*, shipment, event: str) -> list[WebhookDelivery]:
    from .serializers import ShipmentSerializer

    return webhook_emit(tenant=shipment.tenant_id, event=event, payload=ShipmentSerializer(shipment).data)


@transaction.atomic
def _delivery_enqueue(*, subscription: WebhookSubscription, event: str, payload: dict) -> WebhookDelivery:
    from shipments.outbox import outbox_enqueue

    delivery = WebhookDelivery.objects.create(subscription=subscription, event=event, payload=payload)
    outbox_enqueue(
        tenant=subscription.tenant,
        kind="webhook",
        payload={"delivery_id": delivery.pk},
        dedupe_key=f"webhook:{delivery.event_id}",
    )
    return delivery


def webhook_send_test(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """A `ping` event to one subscription, through the same outbox as real events."""
    payload = {"message": "A test event from Outbound.", "subscription_id": subscription.pk,
               "events": subscription.events}
    return _delivery_enqueue(subscription=subscription, event="ping", payload=payload)


def webhook_deliver(message) -> tuple[int, str]:
    """The outbox handler for kind "webhook": POST one delivery, signed. Raises the outbox's errors."""
    import requests

    from shipments.outbox import PermanentDeliveryError, TransientDeliveryError
    from stores.connector.errors import StoreError
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
    try:
        url = webhook_url_validate(subscription.url)
        with requests.Session() as session:
            # The connection-time guard catches a name that re-resolves to a private address.
            if not settings.ALLOW_PRIVATE_STORE_HOSTS:
                session.mount("https://", GuardedAdapter())
                session.mount("http://", GuardedAdapter())
            response = session.post(url, data=body, headers=headers, timeout=WEBHOOK_TIMEOUT_SECONDS,
                                    allow_redirects=False)
    except StoreError as exc:
        error = PermanentDeliveryError if exc.permanent else TransientDeliveryError
        raise error(exc.message)
    except requests.RequestException as exc:
        raise TransientDeliveryError(f"The receiver could not be reached ({type(exc).__name__}).")
    excerpt = response.text[:500]
    if 200 <= response.status_code < 300:
        return response.status_code, excerpt
    error = PermanentDeliveryError if response.status_code in (400, 401, 403, 404, 410) else TransientDeliveryError
    raise error(f"The receiver answered HTTP {response.status_code}.", status=response.status_code, body=excerpt)


_MIRROR = {"pending": DeliveryState.PENDING, "sending": DeliveryState.PENDING, "sent": DeliveryState.DELIVERED,
           "failed": DeliveryState.FAILED, "cancelled": DeliveryState.FAILED}


def webhook_delivery_mirror(message) -> None:
    """Outbox on_state hook: keep the delivery log in step with its outbox row."""
    delivery_id = (message.payload or {}).get("delivery_id")
    if not delivery_id:
        return
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        state=_MIRROR.get(message.state, DeliveryState.PENDING),
        attempts=message.attempts,
        response_status=message.response_status,
        response_excerpt=(message.response_body or "")[:500],
        error=message.last_error or "",
        last_attempt_at=message.updated_at if message.attempts else None,
        delivered_at=message.sent_at,
    )


def webhook_events_wanted(tenant_id: int) -> set[str]:
    """Every event some active subscription of the tenant listens to (one query)."""
    return {
        event
        for events in WebhookSubscription.objects.for_tenant(tenant_id).filter(is_active=True).values_list(
            "events", flat=True)
        for event in events
    }


def webhook_emit_orders_attention(*, tenant_id: int, order_ids: list[int]) -> int:
    """Queue order.attention for orders the store's status flagged (a cancellation after shipping)."""
    from orders.models import Order

    sent = 0
    orders = Order.objects.for_tenant(tenant_id).filter(pk__in=order_ids).select_related("store", "storefront")
    for order in orders.prefetch_related("lines"):
        sent += len(webhook_emit_order(order=order, event="order.attention"))
    return sent


def webhook_emit_orders(*, tenant_id: int, created: list[int], updated: list[int],
                        wanted: set[str] | None = None, recovered: list[int] = ()) -> int:
    """Queue order.imported / order.updated (and import.recovered) for one import page.

    One query when nobody subscribed (the common case; none when the caller passes `wanted`, as an
    import run does), so a page's query count stays constant; with subscribers each order is
    serialised whole, as the API shows it.
    """
    if wanted is None:
        wanted = webhook_events_wanted(tenant_id)
    sent = 0
    for event, ids in (("order.imported", created), ("order.updated", updated), ("import.recovered", recovered)):
        if event not in wanted or not ids:
            continue
        from orders.models import Order

        orders = Order.objects.for_tenant(tenant_id).filter(pk__in=ids).select_related("store", "storefront")
        for order in orders.prefetch_related("lines"):
            sent += len(webhook_emit_order(order=order, event=event))
    return sent
