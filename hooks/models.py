"""Real time's rows: a store's webhook counters, the orders waiting for a targeted fetch, the counters of
calls that reached no store (unknown or revoked tokens), and the webhooks waiting to be removed."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from stores.models import Store, TenantQuerySet


class HookStatsQuerySet(TenantQuerySet):
    tenant_field = "store__tenant"


class HookStats(models.Model):
    """What a store's webhooks brought: every count is all time."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, primary_key=True, related_name="hook_stats")
    events_received = models.PositiveBigIntegerField(default=0, help_text="Webhook calls with this store's token.")
    events_coalesced = models.PositiveBigIntegerField(
        default=0, help_text="Events for an order already waiting to be fetched: no second fetch."
    )
    events_malformed = models.PositiveBigIntegerField(
        default=0, help_text="Events naming no order id (or not an integer one): nothing fetched."
    )
    orders_fetched = models.PositiveBigIntegerField(default=0, help_text="Orders fetched from the store's API.")
    orders_imported = models.PositiveBigIntegerField(default=0, help_text="Fetched orders that were new or changed.")
    orders_unchanged = models.PositiveBigIntegerField(
        default=0, help_text="Fetched orders Outbound already held exactly so (a replayed or late event)."
    )
    orders_skipped = models.PositiveBigIntegerField(
        default=0, help_text="Fetched orders skipped as a run skips them (no ship-to, an unmapped status)."
    )
    orders_not_found = models.PositiveBigIntegerField(
        default=0, help_text="Events naming an order the store does not have (forged, or deleted since)."
    )
    orders_unreadable = models.PositiveBigIntegerField(
        default=0, help_text="Fetched orders whose answer could not be read: left to the schedule."
    )
    events_echoed = models.PositiveBigIntegerField(
        default=0,
        help_text="Events that only echoed Outbound's own write of a shipment (the order unchanged since the "
        "store's answer to it): nothing fetched.",
    )
    events_dropped = models.PositiveBigIntegerField(
        default=0,
        help_text="Orders not fetched but left to the schedule: over the cap of waiting orders, or unlikely "
        "ids after a run of not-found answers (a flood of forged ids).",
    )
    # Not-found answers in a row since the last fetch that imported something (hooks.services: flood).
    not_found_run = models.PositiveIntegerField(default=0)
    last_event_at = models.DateTimeField(null=True, blank=True)
    subscribed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the store's webhooks were first found subscribed."
    )
    last_fetch_at = models.DateTimeField(null=True, blank=True)

    objects = HookStatsQuerySet.as_manager()

    class Meta:
        verbose_name = "store real-time counters"
        verbose_name_plural = "stores' real-time counters"

    def __str__(self) -> str:
        return f"Real time of {self.store}"


class StoreRealtime(models.Model):
    """A store's real-time link (docs/realtime.md): the SHA-256 of the token in its webhook URL (the token
    itself is never kept: a URL is found by its hash), its webhook subscription ids, and why real time is off
    when it is (a missing scope, say), in plain words. One row per store, made with the store (HooksConfig
    listens to stores.changes) or on first use (store_realtime_row); absent reads as never subscribed."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, primary_key=True, related_name="realtime")
    token_hash = models.CharField(max_length=64, blank=True, default="", editable=False, db_index=True)
    subscription_ids = models.JSONField(default=list, blank=True, editable=False)
    message = models.TextField(blank=True, default="", editable=False)

    class Meta:
        verbose_name = "store real-time link"

    def __str__(self) -> str:
        return f"Real-time link of {self.store_id}"


def realtime_of(store: Store) -> StoreRealtime:
    """The store's real-time row as loaded with it (select_related("realtime") saves the query), or an
    unsaved empty one when it has none yet."""
    try:
        return store.realtime
    except StoreRealtime.DoesNotExist:
        return StoreRealtime(store_id=store.pk)


class PendingFetch(models.Model):
    """An order a webhook named, waiting for its targeted fetch: one row per (store, order), so a burst of
    events for one order queues one fetch."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="pending_fetches")
    order_id = models.BigIntegerField()
    received_at = models.DateTimeField(default=timezone.now)
    # The order's updated_at in its newest event (null: an event without one): tells an echo of our own
    # write from a change (hooks.services, "Echoes").
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "order_id"], name="pending_fetch_unique_order")]

    def __str__(self) -> str:
        return f"order {self.order_id} of {self.store_id}"


class HookCounter(models.Model):
    """A global counter of webhook calls that reached no store (an unknown or revoked token)."""

    UNKNOWN_TOKEN = "unknown_token"

    name = models.CharField(max_length=40, primary_key=True)
    count = models.PositiveBigIntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.count}"


class PendingUnsubscribe(models.Model):
    """Webhooks to remove from a store's site (a revoked token's): what the unsubscribe task needs, kept here
    for the few seconds until it runs, so the site's encrypted credentials never sit in a task's arguments or
    in django-q's task tables (outside key rotation, in every backup). The task is given this row's id; it
    reads the row and deletes it. No foreign key: the store may be deleted already."""

    store_id = models.BigIntegerField()
    token_hash = models.CharField(max_length=64)
    # hooks.realtime.realtime_site(): the site's URL and its encrypted credentials (None: the store's own).
    site = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"webhooks of store {self.store_id} to remove"

    def __repr__(self) -> str:
        return f"<PendingUnsubscribe {self.pk} store={self.store_id}>"  # deliberately no credentials
