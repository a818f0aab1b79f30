"""Writes for the API: keys and idempotency records (webhook subscriptions and deliveries are the
webhooks app's; store, mapping and product edits are the domain's: stores.services, orders.services)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import string

from django.conf import settings
from django.utils import timezone

import audit
from audit.models import Action
from stores.models import Tenant

from .models import LIVE_PREFIX, READ_PREFIX, ApiKey

logger = logging.getLogger(__name__)

_ALPHABET = string.ascii_letters + string.digits
KEY_RANDOM_LENGTH = 40
VISIBLE_CHARS = 8


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
    audit.record(
        Action.API_KEY_CREATED,
        tenant=tenant,
        actor=key.created_by,
        target=("api.apikey", key.pk, api_key_label(key)),
        after={"name": key.name, "read_only": key.read_only},
    )
    return key, plaintext


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit.record(
            Action.API_KEY_REVOKED, tenant=api_key.tenant, target=("api.apikey", api_key.pk, api_key_label(api_key))
        )
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
