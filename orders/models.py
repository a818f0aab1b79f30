"""Orders, their lines, products, order history, import runs and unmapped statuses."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from carriers.models import DimensionUnit, PackagePreset
from stores.models import Store, Storefront, Tenant, TenantQuerySet, WeightUnit

from .status_machine import (  # noqa: F401  (re-exported: the models' choices and the machine)
    ATTENTION,
    STATUS_MOVES,
    UNMAPPED,
    OrderStatus,
    Shipping,
    Situation,
    StatusDecision,
    shipment_situation,
    status_event_data,
    status_event_params,
    status_history_line,
    status_transition,
)
from .tallies import TallyQuerySet


class ProductKind(models.TextChoices):
    PHYSICAL = "physical", "Physical"
    ELECTRONIC = "electronic", "Electronic"
    NO_SHIP = "no_ship", "Does not ship"


class OrderQuerySet(TenantQuerySet):
    pass


class Order(models.Model):
    # No separate indexes on tenant and store: the composite indexes below and the (store, external_id)
    # unique constraint lead with them, and every index costs each imported row an update.
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="orders", db_index=False)
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="orders", db_index=False)
    storefront = models.ForeignKey(Storefront, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders")
    external_id = models.CharField("store order ID", max_length=50)
    number = models.CharField("order number", max_length=50)
    store_status = models.CharField(max_length=100)
    status = models.CharField(max_length=20, choices=OrderStatus.choices)
    order_date = models.DateTimeField()
    modified_at = models.DateTimeField("last modified in the store")
    customer_code = models.CharField(max_length=100, blank=True, default="")
    email = models.CharField(max_length=254, blank=True, default="")
    phone = models.CharField(max_length=50, blank=True, default="")
    bill_to = models.JSONField(default=dict, blank=True)
    ship_to = models.JSONField(default=dict, blank=True)
    ship_to_name = models.CharField(max_length=100, blank=True, default="")
    shipping_method = models.CharField("requested shipping method", max_length=1000, blank=True, default="")
    payment_method = models.CharField(max_length=50, blank=True, default="")
    currency = models.CharField(max_length=3, blank=True, default="")
    order_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    tax_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    shipping_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    discount_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    is_gift = models.BooleanField(default=False)
    gift_message = models.TextField(blank=True, default="")
    customer_notes = models.TextField(blank=True, default="")
    internal_notes = models.TextField("internal notes from the store", blank=True, default="")
    custom_field_1 = models.CharField(max_length=100, blank=True, default="")
    custom_field_2 = models.CharField(max_length=100, blank=True, default="")
    custom_field_3 = models.CharField(max_length=100, blank=True, default="")
    requested_warehouse = models.CharField(max_length=100, blank=True, default="")
    source = models.CharField(max_length=50, blank=True, default="")
    total_weight = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    weight_unit = models.CharField(max_length=10, choices=WeightUnit.choices, blank=True, default="")
    total_weight_from_lines = models.BooleanField(default=False)
    # Outbound's own fields, never overwritten by an import.
    notes_to_buyer = models.TextField(blank=True, default="")
    outbound_notes = models.TextField("internal notes (Outbound)", blank=True, default="")
    hold_reason = models.CharField(max_length=200, blank=True, default="")
    shipped_in_outbound = models.BooleanField(default=False)
    # What Outbound's shipments add up to, kept by the shipment services; the status machine reads it.
    shipping = models.CharField(max_length=10, choices=Shipping.choices, default=Shipping.NONE)
    # Set when the store does something Outbound will not apply (a cancellation after shipping).
    needs_attention = models.BooleanField(default=False)
    attention_reason = models.CharField(max_length=200, blank=True, default="")
    # What the last import wrote, so an unchanged order is skipped without touching its row.
    content_hash = models.CharField(max_length=40, blank=True, default="")
    # A digest of what a user sees of the order (its fields and lines as written): a settings or mapping
    # change that rewrites the row without changing it leaves no history and sends no webhook.
    visible_hash = models.CharField(max_length=40, blank=True, default="")
    imported_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Shipping choices (issue 30), Outbound's own, never overwritten by an import: the preset it will ship
    # with, the package, the person it is marked for, a hold's end date, its tags. `choices` says who set
    # each one ({"preset": {"by": "rule", "rule": 3, "name": "Light Outlet"} | {"by": "person", "actor": …}
    # | {"by": "product", "sku": …}}); a choice by a person is kept by later rules unless they override.
    shipping_preset = models.ForeignKey(
        "ShippingPreset", on_delete=models.SET_NULL, null=True, blank=True, related_name="orders", db_index=False
    )
    # The preset and the person are the lists' filters: each has a partial index of the orders that have one
    # (Meta), which costs an imported row nothing when nothing chose one, and serves a preset's or a user's
    # deletion too. The package has none (no filter; deleting a package preset, rare, may read the orders).
    package = models.ForeignKey(
        PackagePreset, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_orders",
        db_index=False,
    )
    hold_until = models.DateField(null=True, blank=True)
    choices = models.JSONField(default=dict, blank=True)
    # Why the rules skipped this order on their last run (a condition over a field the order lacks).
    rules_error = models.CharField(max_length=300, blank=True, default="")
    tags = models.ManyToManyField("Tag", through="OrderTag", related_name="orders", blank=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-order_date", "-id"]
        constraints = [models.UniqueConstraint(fields=["store", "external_id"], name="order_unique_store_external_id")]
        # The lists' indexes (issue 26): each serves a list filter in the lists' order, tenant first, so the
        # first page of a million orders is read from the index's start, never sorted (tests/api/test_list_plans).
        indexes = [
            models.Index(fields=["tenant", "-order_date", "-id"], name="order_tenant_date"),
            models.Index(fields=["tenant", "status", "-order_date", "-id"], name="order_tenant_status_date"),
            models.Index(fields=["tenant", "store", "-order_date", "-id"], name="order_tenant_store_date"),
            models.Index(fields=["tenant", "storefront", "-order_date", "-id"], name="order_tenant_sfront_date"),
            # Rare states, small partial indexes: the Partially shipped and Needs attention lists.
            models.Index(
                fields=["tenant", "-order_date", "-id"],
                condition=models.Q(shipping="partial"),
                name="order_partial_date",
            ),
            models.Index(
                fields=["tenant", "-order_date", "-id"],
                condition=models.Q(needs_attention=True),
                name="order_attention_date",
            ),
            models.Index(fields=["tenant", "number"]),
            # The API's number and e-mail filters are case-insensitive (UPPER(column) = UPPER(value)).
            models.Index(F("tenant"), Upper("number"), name="order_tenant_number_ci"),
            models.Index(F("tenant"), Upper("email"), name="order_tenant_email_ci"),
            models.Index(fields=["tenant", "modified_at"]),
            # Issue 30's filters ("ships with", "marked for"), partial: only the orders with one are indexed.
            models.Index(
                fields=["tenant", "shipping_preset", "-order_date", "-id"],
                condition=models.Q(shipping_preset__isnull=False),
                name="order_preset_date",
            ),
            models.Index(
                fields=["tenant", "assignee", "-order_date", "-id"],
                condition=models.Q(assignee__isnull=False),
                name="order_assignee_date",
            ),
            # The orders held until a date: the release sweep reads those due (few, whatever the table's size).
            models.Index(fields=["hold_until"], condition=models.Q(hold_until__isnull=False), name="order_hold_until"),
        ]

    def __str__(self) -> str:
        return f"Order {self.number}"

    @property
    def partially_shipped(self) -> bool:
        return self.shipping == Shipping.PARTIAL

    @property
    def situation(self) -> str:
        return shipment_situation(self.shipping, self.status)


class OrderLineQuerySet(TenantQuerySet):
    tenant_field = "order__tenant"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", db_index=False)  # see unique
    line_key = models.CharField(max_length=120)
    position = models.PositiveIntegerField(default=0)
    line_item_id = models.CharField(max_length=50, blank=True, default="")
    sku = models.CharField("SKU", max_length=100, blank=True, default="")
    name = models.CharField(max_length=200, blank=True, default="")
    image_url = models.CharField(max_length=500, blank=True, default="")
    unit_weight = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    weight_unit = models.CharField(max_length=10, choices=WeightUnit.choices, blank=True, default="")
    quantity = models.IntegerField(default=1)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    upc = models.CharField("UPC", max_length=20, blank=True, default="")
    warehouse_location = models.CharField(max_length=100, blank=True, default="")
    options = models.JSONField(default=list, blank=True)  # [{"name":…, "value":…, "weight":…}]
    is_adjustment = models.BooleanField(default=False)
    is_shippable = models.BooleanField(default=True)
    product_kind = models.CharField(max_length=12, choices=ProductKind.choices, default=ProductKind.PHYSICAL)

    objects = OrderLineQuerySet.as_manager()

    class Meta:
        ordering = ["order", "position"]
        constraints = [models.UniqueConstraint(fields=["order", "line_key"], name="orderline_unique_key")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku or self.name}"


class ProductQuerySet(TenantQuerySet):
    tenant_field = "store__tenant"


class Product(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="products", db_index=False)  # unique
    sku = models.CharField("SKU", max_length=100)
    name = models.CharField(max_length=200, blank=True, default="")
    weight = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    weight_unit = models.CharField(max_length=10, choices=WeightUnit.choices, blank=True, default="")
    image_url = models.CharField(max_length=500, blank=True, default="")
    warehouse_location = models.CharField(max_length=100, blank=True, default="")
    location_set_in_outbound = models.BooleanField(default=False)
    kind = models.CharField(max_length=12, choices=ProductKind.choices, default=ProductKind.PHYSICAL)
    # Set in Outbound (the portal, the admin, the API), never by an import: the product's own size, and the
    # package it ships in by default (carriers.PackagePreset; the order's parcel: orders/parcels.py).
    length = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    width = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    height = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    dimension_unit = models.CharField(max_length=2, choices=DimensionUnit.choices, blank=True, default="")
    default_package = models.ForeignKey(
        PackagePreset, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Issue 30: the preset its orders ship with unless a rule or a person chose one, and its customs fields
    # (kept for international labels).
    default_shipping_preset = models.ForeignKey(
        "ShippingPreset", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hs_code = models.CharField("HS code", max_length=20, blank=True, default="")
    country_of_origin = models.CharField(max_length=2, blank=True, default="")
    customs_description = models.CharField(max_length=200, blank=True, default="")
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["store", "sku"]
        constraints = [models.UniqueConstraint(fields=["store", "sku"], name="product_unique_store_sku")]

    def __str__(self) -> str:
        return self.sku


class OrderEventQuerySet(TenantQuerySet):
    tenant_field = "order__tenant"


class OrderEvent(models.Model):
    """One line of an order's history: what happened, when, and who or what did it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    # The event's parameters, worded in the reader's language by orders.events; `message` keeps the
    # English sentence (and is all that events written before parameters existed may have).
    params = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True, default="")
    actor = models.CharField(max_length=200, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrderEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


class ImportTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    MANUAL = "manual", "Manual"
    API = "api", "API"
    RECONCILE = "reconcile", "Reconciliation sweep"


class ImportState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"  # another import held the store: no failure, nothing to alert


RECOVERED_NUMBERS_SHOWN = 20


class ImportRunQuerySet(TenantQuerySet):
    tenant_field = "store__tenant"


class ImportRun(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="import_runs")
    trigger = models.CharField(max_length=10, choices=ImportTrigger.choices, default=ImportTrigger.SCHEDULE)
    state = models.CharField(max_length=10, choices=ImportState.choices, default=ImportState.QUEUED, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    since = models.DateTimeField(null=True, blank=True, help_text="First import: how far back to go.")
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    pages_done = models.PositiveIntegerField(default=0)
    pages_total = models.PositiveIntegerField(null=True, blank=True)
    orders_seen = models.PositiveIntegerField(default=0)
    orders_created = models.PositiveIntegerField(default=0)
    orders_updated = models.PositiveIntegerField(default=0)
    orders_unchanged = models.PositiveIntegerField(default=0)
    skipped = models.JSONField(default=dict, blank=True)  # {"no_ship_to": n, "unmapped_status": n}
    # Reconciliation sweeps: the numbers of the orders it imported that earlier runs had missed.
    recovered = models.JSONField(default=list, blank=True)
    http_requests = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=100, blank=True, default="")

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [models.Index(fields=["store", "state"])]

    def __str__(self) -> str:
        return f"Import {self.pk} of {self.store} ({self.state})"

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values()) if self.skipped else 0

    @property
    def recovered_message(self) -> str:
        if not self.recovered:
            return ""
        return (
            f"Recovered {len(self.recovered)} order(s) missed by earlier runs: "
            + ", ".join(self.recovered[:RECOVERED_NUMBERS_SHOWN])
            + (" …" if len(self.recovered) > RECOVERED_NUMBERS_SHOWN else "")
        )

    @property
    def progress_percent(self) -> int:
        if self.state == ImportState.SUCCEEDED:
            return 100
        if not self.pages_total:
            return 0
        return min(100, int(100 * self.pages_done / self.pages_total))

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class UnmappedStatusQuerySet(TenantQuerySet):
    tenant_field = "store__tenant"


class UnmappedStatus(models.Model):
    """A store status seen on orders that no mapping list names (those orders were not imported)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="unmapped_statuses")
    key = models.CharField(max_length=100)  # normalised
    status = models.CharField(max_length=100)  # as the store spells it
    order_count = models.PositiveIntegerField(default=0)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    earliest_modified = models.DateTimeField(null=True, blank=True)
    latest_modified = models.DateTimeField(null=True, blank=True)
    order_ids = models.JSONField(default=list, blank=True)  # store order ids, capped

    objects = UnmappedStatusQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "unmapped statuses"
        ordering = ["store", "-order_count"]
        constraints = [models.UniqueConstraint(fields=["store", "key"], name="unmapped_unique_store_key")]

    def __str__(self) -> str:
        return self.status


class SkipReason(models.TextChoices):
    NO_SHIP_TO = "no_ship_to", "no ship-to address"
    UNMAPPED_STATUS = "unmapped_status", "store status not mapped"
    INVALID_VALUE = "invalid_value", "a value Outbound cannot hold"


class SkippedOrderQuerySet(TenantQuerySet):
    tenant_field = "store__tenant"


class SkippedOrder(models.Model):
    """A store order the import leaves out on purpose (it has no ship-to address: an e-product or a
    local pickup; or its store status is in no mapping list, until it is mapped), remembered so that each
    later import recognises it unchanged from its bytes alone, a mapping change knows which orders to
    bring back, and the operator can see which orders were skipped and why. Its row goes when the order
    is imported."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="skipped_orders", db_index=False)
    external_id = models.CharField("store order ID", max_length=50)
    number = models.CharField("order number", max_length=50)
    reason = models.CharField(max_length=20, choices=SkipReason.choices)
    store_status = models.CharField(max_length=100, blank=True, default="")
    modified_at = models.DateTimeField("last modified in the store")
    content_hash = models.CharField(max_length=40)
    seen_at = models.DateTimeField(default=timezone.now)
    # Which field and why, for a skip the store must fix (an id or number beyond what a column holds).
    detail = models.CharField(max_length=300, blank=True, default="")

    objects = SkippedOrderQuerySet.as_manager()

    class Meta:
        ordering = ["store", "-modified_at"]
        constraints = [models.UniqueConstraint(fields=["store", "external_id"], name="skipped_unique_store_order")]

    def __str__(self) -> str:
        return self.number


# A scheduled check is due this much before its slot: django-q2 may fire the minute tick a moment early.
IMPORT_DUE_TOLERANCE = dt.timedelta(seconds=2)


class StoreImportState(models.Model):
    """The import engine's bookkeeping of one store (docs/importing.md): its watermark, the outcome of its
    last import and check, its claim and lease, its schedule and its reconciliation totals. One row per store,
    made with the store (OrdersConfig listens to stores.changes) or by the first claim or tick that needs it
    (orders.importing.state.import_state_ensure); absent reads as never imported (import_state_of).

    The engine writes it with conditional UPDATEs on this row alone (never joined to the store's row), so a
    claim stays one row's compare-and-set on every database; people's settings stay on the Store."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, primary_key=True, related_name="import_state")
    import_watermark = models.DateTimeField(null=True, blank=True)
    last_import_at = models.DateTimeField(null=True, blank=True)
    last_import_ok = models.BooleanField(null=True, blank=True)
    last_import_message = models.TextField(blank=True, default="")
    consecutive_failures = models.PositiveIntegerField(default=0)
    needs_attention = models.BooleanField(default=False)
    # The per-store import claim: which run holds it and its lease (renewed after every page).
    import_running_since = models.DateTimeField(null=True, blank=True)
    import_lock_run = models.BigIntegerField(null=True, blank=True, editable=False)
    # The start of an import window someone asked for (an import "since" a date further back than the
    # watermark) and no run has covered yet: kept until a run covers it, so a deep re-import cut off by
    # a dead worker or a failure is resumed by the next run instead of dropped.
    import_pending_since = models.DateTimeField(null=True, blank=True, editable=False)
    # The schedule (orders.importing.schedule): every store is checked at its own slots, a stable offset
    # into its interval plus whole intervals. `import_scheduled_at` is the slot of the latest scheduled
    # check, `next_import_at` the next one; `import_queued_until` the horizon up to which the tick has
    # handed its slots to a worker. Due-ness is measured from the slot, never from when the previous run
    # finished.
    import_scheduled_at = models.DateTimeField(null=True, blank=True, editable=False)
    next_import_at = models.DateTimeField(null=True, blank=True, editable=False)
    import_queued_until = models.DateTimeField(null=True, blank=True, editable=False)
    # When the store was last read successfully (a check that found nothing new, or an import), and how
    # many checks found nothing new: such a check writes no ImportRun row, only these two fields.
    last_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    idle_checks = models.PositiveBigIntegerField(default=0, editable=False)
    # The reconciliation sweep's outcome (its settings, how often and how far back, are the store's).
    last_reconcile_at = models.DateTimeField(null=True, blank=True)
    orders_recovered = models.PositiveIntegerField(
        "orders recovered", default=0, help_text="Orders the reconciliation sweep found missing, all time."
    )

    class Meta:
        verbose_name = "store import state"
        indexes = [
            models.Index(fields=["last_import_at"], name="import_state_last_import_idx"),
            models.Index(fields=["next_import_at"], name="import_state_next_import_idx"),
        ]

    def __str__(self) -> str:
        return f"Import state of {self.store_id}"

    def import_due(self, now=None) -> bool:
        """Is the next scheduled check's slot reached? Measured from the slot the previous check was
        scheduled for (next_import_at = that slot + the interval), not from when its run finished, with
        a little tolerance for a scheduler that fires a moment early."""
        now = now or timezone.now()
        return self.next_import_at is None or self.next_import_at <= now + IMPORT_DUE_TOLERANCE

    def reconcile_due(self, now=None) -> bool:
        """A sweep is due every `reconcile_every_hours` of the store once an import has finished (it checks
        what the imports covered, so before the first one there is nothing to check)."""
        store = self.store
        if not store.reconcile_every_hours or self.import_watermark is None:
            return False
        now = now or timezone.now()
        since = self.last_reconcile_at or store.created_at
        return (now - since).total_seconds() >= store.reconcile_every_hours * 3600


def import_state_of(store: Store) -> StoreImportState:
    """The store's import state as loaded with it (select_related("import_state") saves the query), or an
    unsaved empty one when it has none yet (never imported)."""
    try:
        return store.import_state
    except StoreImportState.DoesNotExist:
        state = StoreImportState(store_id=store.pk)
        state.store = store
        return state


# --- tags, shipping presets and automation rules (issue 30; docs/rules.md) ----------------------------


class TagColor(models.TextChoices):
    GREY = "grey", "Grey"
    RED = "red", "Red"
    ORANGE = "orange", "Orange"
    YELLOW = "yellow", "Yellow"
    GREEN = "green", "Green"
    BLUE = "blue", "Blue"
    PURPLE = "purple", "Purple"


class TagQuerySet(TenantQuerySet):
    pass


class Tag(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="tags", db_index=False)
    name = models.CharField(max_length=50)
    color = models.CharField(max_length=10, choices=TagColor.choices, default=TagColor.GREY)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="tag_unique_name")]

    def __str__(self) -> str:
        return self.name


class OrderTagQuerySet(TenantQuerySet):
    tenant_field = "order__tenant"


class OrderTag(models.Model):
    """An order's tag. The unique index (tag, order) serves the lists' tag filter: a join from the tag's
    entries to the orders, never a scan of the tenant's orders (docs/lists.md)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="order_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="order_tags", db_index=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrderTagQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tag", "order"], name="ordertag_unique_tag_order")]

    def __str__(self) -> str:
        return f"{self.tag_id} on {self.order_id}"


class Confirmation(models.TextChoices):
    NONE = "", "None"
    DELIVERY = "delivery", "Delivery confirmation"
    SIGNATURE = "signature", "Signature"
    ADULT_SIGNATURE = "adult_signature", "Adult signature"


class ShippingPresetQuerySet(TenantQuerySet):
    pass


class ShippingPreset(models.Model):
    """How an order ships: a carrier account, a service, a package (+ confirmation, insurance). Label
    batches ("ship with each order's preset") read `Order.shipping_preset` (the labels work's seam)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="shipping_presets", db_index=False)
    name = models.CharField(max_length=100)
    carrier_account = models.ForeignKey(
        "carriers.CarrierAccount", on_delete=models.CASCADE, related_name="shipping_presets"
    )
    service = models.CharField(max_length=100, help_text="The carrier's service code, e.g. usps_ground_advantage.")
    package = models.ForeignKey(PackagePreset, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    confirmation = models.CharField(max_length=20, choices=Confirmation.choices, blank=True, default="")
    insurance = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, help_text="Insured value; empty: none."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ShippingPresetQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="shippingpreset_unique_name")]

    def __str__(self) -> str:
        return self.name


class RuleMatch(models.TextChoices):
    ALL = "all", pgettext_lazy("rule match", "All conditions")
    ANY = "any", pgettext_lazy("rule match", "Any condition")


class RuleQuerySet(TenantQuerySet):
    pass


class Rule(models.Model):
    """An automation rule: when its conditions (all or any) hold for an order, its actions apply. Stored
    as data, validated by orders.rules.schema, compiled once per run into Python predicates."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="rules", db_index=False)
    store = models.ForeignKey(Store, on_delete=models.CASCADE, null=True, blank=True, related_name="rules")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    enabled = models.BooleanField(default=True)
    match = models.CharField(max_length=3, choices=RuleMatch.choices, default=RuleMatch.ALL)
    conditions = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=list, blank=True)
    override_manual = models.BooleanField(
        default=False, help_text="Replace a choice a person made (otherwise a person's choice wins)."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = RuleQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "position"], name="rule_tenant_position")]

    def __str__(self) -> str:
        return self.name


class DayTally(models.Model):
    """One store's day in the picture of the day (orders/tallies.py): kept by database triggers only."""

    tenant_id = models.BigIntegerField()
    store_id = models.BigIntegerField()
    day = models.DateField()  # a UTC day
    received = models.IntegerField(default=0)
    awaiting = models.IntegerField(default=0)
    shipped = models.IntegerField(default=0)

    objects = TallyQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant_id", "store_id", "day"], name="daytally_key")]

    def __str__(self) -> str:
        return f"Store {self.store_id} on {self.day}: {self.received} received, {self.shipped} shipped"


class ShipTimeTally(models.Model):
    """Orders by (day of their first shipment, ship time in tenths of an hour): kept by database triggers."""

    tenant_id = models.BigIntegerField()
    store_id = models.BigIntegerField()
    day = models.DateField()  # the UTC day the order's first active shipment was recorded
    tenths = models.IntegerField()
    orders = models.IntegerField(default=0)

    objects = TallyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant_id", "store_id", "day", "tenths"], name="shiptimetally_key")
        ]

    def __str__(self) -> str:
        return f"Store {self.store_id} on {self.day}: {self.orders} shipped in {self.tenths / 10} h"


class SpendTally(models.Model):
    """Label spend of a store's day per carrier and currency (orders/tallies.py): kept by database triggers."""

    tenant_id = models.BigIntegerField()
    store_id = models.BigIntegerField()
    day = models.DateField()  # the UTC day the labels were bought
    carrier = models.CharField(max_length=20)
    currency = models.CharField(max_length=3)
    labels = models.IntegerField(default=0)  # bought and not voided
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    voided_labels = models.IntegerField(default=0)
    voided_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    objects = TallyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "store_id", "day", "carrier", "currency"], name="spendtally_key"
            )
        ]

    def __str__(self) -> str:
        return (
            f"Store {self.store_id} on {self.day}: {self.labels} {self.carrier} labels, {self.amount} {self.currency}"
        )
