"""The audit trail's one table. No foreign keys: an entry outlives the tenant, the user and the object it names
(a deleted store's entries stay), and nothing ever cascades into it. Append-only: the model refuses to save an
existing row or to delete one, its querysets refuse update() and delete(), and on PostgreSQL a trigger refuses
UPDATE and DELETE (migration 0002)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    STORE_CONNECTED = "store.connected", _("Store connected")
    STORE_DISCONNECTED = "store.disconnected", _("Store disconnected")
    STORE_RECONNECTED = "store.reconnected", _("Store reconnected")
    STORE_DELETED = "store.deleted", _("Store deleted")
    STORE_CHANGED = "store.changed", _("Store settings changed")
    STORE_CREDENTIALS = "store.credentials_changed", _("Store credentials changed")
    STORE_BRANDING = "store.settings_changed", _("Store branding and notices changed")
    MAPPING_CHANGED = "store.mapping_changed", _("Status mapping edited")
    SHIPMENT_CREATED = "shipment.created", _("Shipment created")
    SHIPMENT_VOIDED = "shipment.voided", _("Shipment voided")
    LABEL_BOUGHT = "label.bought", _("Label bought")
    LABEL_VOIDED = "label.voided", _("Label voided")
    MEMBER_ADDED = "member.added", _("Member added")
    MEMBER_ROLE = "member.role_changed", _("Member's role changed")
    MEMBER_REMOVED = "member.removed", _("Member removed")
    API_KEY_CREATED = "api_key.created", _("API key made")
    API_KEY_REVOKED = "api_key.revoked", _("API key revoked")
    TWO_FACTOR_ENABLED = "two_factor.enabled", _("Two-factor sign-in set up")
    TWO_FACTOR_RECOVERY = "two_factor.recovery_code_used", _("Recovery code used")
    TWO_FACTOR_REQUIRED = "two_factor.required_changed", _("Two-factor requirement changed")


class Via(models.TextChoices):
    PORTAL = "portal", _("Portal")
    ADMIN = "admin", _("Admin")
    API = "api", _("API")
    SYSTEM = "system", _("System")


class AppendOnly(Exception):
    """An audit entry cannot be changed or deleted."""


class AuditEntryQuerySet(models.QuerySet):
    def for_tenant(self, tenant):
        tenant_id = getattr(tenant, "pk", tenant)
        if tenant_id is None:
            return self.none()
        return self.filter(tenant_id=tenant_id)

    def update(self, **kwargs):
        raise AppendOnly("Audit entries cannot be changed.")

    def delete(self):
        raise AppendOnly("Audit entries cannot be deleted.")

    delete.queryset_only = True


class AuditEntry(models.Model):
    created_at = models.DateTimeField(_("when"), default=timezone.now, editable=False)
    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    tenant_id = models.BigIntegerField(_("tenant id"), null=True, blank=True)
    tenant_name = models.CharField(_("tenant"), max_length=200, blank=True)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_name = models.CharField(_("who"), max_length=200, blank=True)
    by_operator = models.BooleanField(
        _("operator"), default=False, help_text=_("An operator acting inside the tenant (through the admin).")
    )
    via = models.CharField(_("via"), max_length=10, choices=Via.choices, default=Via.SYSTEM)
    ip = models.GenericIPAddressField(_("from"), null=True, blank=True)
    target_type = models.CharField(_("object type"), max_length=60, blank=True)
    target_id = models.CharField(_("object id"), max_length=40, blank=True)
    target_label = models.CharField(_("object"), max_length=300, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant_id", "-created_at", "-id"], name="audit_tenant_created"),
            models.Index(fields=["-created_at", "-id"], name="audit_created"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name or 'system'} {self.action} {self.target_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AppendOnly("Audit entries cannot be changed.")
        kwargs["force_insert"] = True
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Audit entries cannot be deleted.")
