"""The outbox: work that must leave the database (store updates, buyer e-mails, webhooks), written in the
transaction that caused it. Generic: a message knows its kind, its tenant and a reference (`ref`, such as
"shipment:123") to whatever it is about; the app that enqueues a kind registers its handler
(outbox.services.register_handler, from its AppConfig.ready)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from stores.models import Tenant, TenantQuerySet


class OutboxState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class OutboxMessageQuerySet(TenantQuerySet):
    def due(self, now=None):
        """Rows a relay may claim: pending and due, or stuck in sending after their lease ran out."""
        now = now or timezone.now()
        return self.filter(
            models.Q(state=OutboxState.PENDING, next_attempt_at__lte=now)
            | models.Q(state=OutboxState.SENDING, lease_until__lt=now)
        )


class OutboxMessage(models.Model):
    """One piece of work to deliver outside the database, written in the transaction that caused it.

    See outbox.services for the delivery rules.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="outbox_messages")
    # A constant owned by the app that registers the kind's handler (shipments: store_update, email;
    # webhooks: webhook).
    kind = models.CharField(max_length=30, db_index=True)
    # What the message is about, as "<type>:<id>" ("shipment:123"); indexed, so "the store update of
    # shipment X" is one index lookup. Blank for messages about nothing in particular (a webhook).
    ref = models.CharField(max_length=100, blank=True, default="", db_index=True)
    # Who waits behind whom: the relay takes due rows round-robin across (tenant, lane), so one store's 500
    # waiting updates never hold another's (outbox.claim). A store's updates: "store:<id>"; blank: the kind.
    lane = models.CharField(max_length=50, blank=True, default="")
    payload = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    state = models.CharField(max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # Times the row was put off at the other side's request (a store's 429 and Retry-After) with its attempt
    # given back (outbox.services.DeferredDelivery); bounded by MAX_DEFERRALS.
    deferrals = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=10)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    leased_by = models.CharField(max_length=100, blank=True, default="")
    last_error = models.TextField(blank=True, default="")
    response_status = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        db_table = "shipments_outboxmessage"  # the table predates the app (kept, never renamed)
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="shipments_o_state_79b7b7_idx"),
            models.Index(fields=["tenant", "state", "kind"], name="shipments_o_tenant__e5f0aa_idx"),
            models.Index(fields=["tenant", "lane", "state", "next_attempt_at"], name="outbox_lane_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind.replace('_', ' ').capitalize()} {self.pk} ({self.state})"


class RelayKick(models.Model):
    """One row: when a relay task was last queued and not yet started (null: none waiting). Writing
    outbox rows queues a relay only when none is waiting (outbox.services.outbox_kick)."""

    kicked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "outbox relay kick"

    def __str__(self) -> str:
        return f"Relay kicked at {self.kicked_at}" if self.kicked_at else "No relay waiting"
