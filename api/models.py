"""API keys and idempotency records (webhook subscriptions and their delivery log: the webhooks app)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from stores.models import Tenant, TenantQuerySet

LIVE_PREFIX = "ob_live_"
READ_PREFIX = "ob_read_"


class ApiKeyQuerySet(TenantQuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A tenant's key for the REST API. Only the SHA-256 of the full key is stored; the key is shown once."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    # The kind prefix plus the first 8 characters of the key: shown in lists, used to find the row.
    prefix = models.CharField(max_length=20, db_index=True)
    key_hash = models.CharField(max_length=64, editable=False)
    read_only = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def __repr__(self) -> str:
        return f"<ApiKey {self.pk} {self.prefix}… tenant={self.tenant_id}>"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The first response to a POST carrying an `Idempotency-Key`, replayed for repeats.

    The row is inserted before the work starts, inside the same transaction, so a concurrent duplicate
    blocks on the unique index and then finds the finished response.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="idempotency_unique_tenant_key")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"
