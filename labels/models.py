"""Labels bought through karrio: the purchase (recorded and committed before the carrier is called) and
its documents (docs/labels.md).

A purchase is *live* while it is `calling`, `bought` or `uncertain`: at most one live purchase per order (a
partial unique constraint), so a double click, two operators or a resubmitted request make one label.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from stores.models import Tenant, TenantQuerySet


class PurchaseState(models.TextChoices):
    CALLING = "calling", "Calling the carrier"
    BOUGHT = "bought", "Bought"
    UNCERTAIN = "uncertain", "Purchase uncertain"
    FAILED = "failed", "Not bought"
    VOIDED = "voided", "Voided"
    RELEASED = "released", "Released (checked with the carrier)"


LIVE_STATES = (PurchaseState.CALLING, PurchaseState.BOUGHT, PurchaseState.UNCERTAIN)


class RefundState(models.TextChoices):
    NONE = "", "—"
    REQUESTED = "requested", "Refund requested"


class LabelPurchaseQuerySet(TenantQuerySet):
    def live(self):
        return self.filter(state__in=LIVE_STATES)


class LabelPurchase(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="label_purchases")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="label_purchases")
    account = models.ForeignKey(
        "carriers.CarrierAccount", on_delete=models.SET_NULL, null=True, related_name="label_purchases"
    )
    carrier = models.CharField(max_length=20)
    service = models.CharField(max_length=100, help_text="karrio's service code, e.g. ups_ground.")
    package = models.ForeignKey("carriers.PackagePreset", on_delete=models.SET_NULL, null=True, blank=True)
    price = models.DecimalField(
        max_digits=9, decimal_places=2, null=True, help_text="The rate quoted, then what the carrier charged."
    )
    currency = models.CharField(max_length=3, blank=True, default="")
    state = models.CharField(max_length=20, choices=PurchaseState.choices, default=PurchaseState.CALLING)
    idempotency_key = models.CharField(max_length=255, blank=True, default="")
    reference = models.CharField(max_length=35, blank=True, default="", help_text="Sent to the carrier.")
    tracking_number = models.CharField(max_length=100, blank=True, default="")
    shipment = models.OneToOneField(
        "shipments.Shipment", on_delete=models.SET_NULL, null=True, blank=True, related_name="label_purchase"
    )
    matched = models.BooleanField(default=False, help_text="Found at the carrier by reference after a lost answer.")
    # Where and when the parcel leaves (carriers.shipdates): the end of day's manifest groups by them.
    ship_from = models.ForeignKey(
        "carriers.ShipFrom", on_delete=models.SET_NULL, null=True, blank=True, related_name="label_purchases"
    )
    ship_date = models.DateField(null=True, blank=True)
    manifest = models.ForeignKey(
        "labels.Manifest", on_delete=models.SET_NULL, null=True, blank=True, related_name="purchases"
    )
    refund_state = models.CharField(max_length=20, choices=RefundState.choices, blank=True, default="")
    error = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_by_label = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = LabelPurchaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=Q(state__in=LIVE_STATES), name="labelpurchase_one_live_per_order"
            ),
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="labelpurchase_unique_key",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "created_at"], name="labelpurchase_state_idx"),
            # The end of day's pending labels: a tenant's bought labels not yet on a manifest.
            models.Index(
                fields=["tenant", "ship_from", "carrier", "ship_date"],
                condition=Q(state="bought", manifest__isnull=True),
                name="labelpurchase_eod_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.service} for order {self.order_id} ({self.state})"

    @property
    def live(self) -> bool:
        return self.state in LIVE_STATES


class LabelFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    ZPL = "zpl", "ZPL"


class LabelDocumentQuerySet(TenantQuerySet):
    tenant_field = "purchase__tenant"


class LabelDocument(models.Model):
    """A label's bytes, in the database (a few tens of kilobytes each)."""

    purchase = models.ForeignKey(LabelPurchase, on_delete=models.CASCADE, related_name="documents")
    format = models.CharField(max_length=5, choices=LabelFormat.choices)
    content = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = LabelDocumentQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["purchase", "format"], name="labeldocument_one_per_format")]

    def __str__(self) -> str:
        return f"{self.format} label of purchase {self.purchase_id}"


# --- end of day: manifests ----------------------------------------------------------------------------


class ManifestState(models.TextChoices):
    CALLING = "calling", "Calling the carrier"
    MADE = "made", "Made"
    FAILED = "failed", "Refused by the carrier"
    UNCERTAIN = "uncertain", "Outcome unknown"
    RELEASED = "released", "Released (checked with the carrier)"


class ManifestQuerySet(TenantQuerySet):
    pass


class Manifest(models.Model):
    """One end of day: the carrier's manifest (USPS: a SCAN form, PS Form 5630) of a ship-from's labels of
    one carrier. Recorded, its labels attached, and committed before the carrier is called; a label is on
    one manifest at most (`LabelPurchase.manifest`). Refused: its labels are let go for the next one."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="manifests")
    ship_from = models.ForeignKey(
        "carriers.ShipFrom", on_delete=models.SET_NULL, null=True, blank=True, related_name="manifests"
    )
    account = models.ForeignKey(
        "carriers.CarrierAccount", on_delete=models.SET_NULL, null=True, blank=True, related_name="manifests"
    )
    carrier = models.CharField(max_length=20)
    ship_date = models.DateField(help_text="The mailing date the manifest carries.")
    state = models.CharField(max_length=20, choices=ManifestState.choices, default=ManifestState.CALLING)
    label_count = models.PositiveIntegerField(default=0)
    tracking_numbers = models.JSONField(default=list, blank=True, help_text="What was sent to the carrier.")
    carrier_number = models.CharField(max_length=100, blank=True, default="", help_text="The carrier's number.")
    document = models.BinaryField(null=True, blank=True, editable=False)
    error = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_by_label = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ManifestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="manifest_tenant_recent_idx")]

    def __str__(self) -> str:
        return f"{self.carrier} manifest {self.carrier_number or self.pk} ({self.state})"

    @property
    def has_document(self) -> bool:
        return self.state == ManifestState.MADE


# --- batches (issue 29 part 5): many orders, one preview, one confirmation, bought by workers ----------------


class BatchMode(models.TextChoices):
    CHEAPEST = "cheapest", "Cheapest rate"
    PRESET = "preset", "One shipping preset for every order"
    ORDER_PRESET = "order_preset", "Each order's shipping preset"


class BatchState(models.TextChoices):
    PREVIEW = "preview", "Preview"
    BUYING = "buying", "Buying"
    DONE = "done", "Done"


class LabelBatchQuerySet(TenantQuerySet):
    pass


class LabelBatch(models.Model):
    """The orders of one label batch, previewed (each order's rate, or why it cannot be labelled) before
    anything is bought; confirmed once (a conditional UPDATE: the same confirmation posted twice is one
    batch); then bought item by item by workers that claim chunks of items with a lease (labels.batches)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="label_batches")
    key = models.CharField(max_length=120, help_text="The form's nonce or the API's Idempotency-Key.")
    mode = models.CharField(max_length=20, choices=BatchMode.choices)
    shipping_preset = models.ForeignKey("orders.ShippingPreset", on_delete=models.SET_NULL, null=True, blank=True)
    package = models.ForeignKey("carriers.PackagePreset", on_delete=models.SET_NULL, null=True, blank=True)
    label_format = models.CharField(max_length=5, choices=LabelFormat.choices, default=LabelFormat.PDF)
    state = models.CharField(max_length=10, choices=BatchState.choices, default=BatchState.PREVIEW)
    total_price = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_by_label = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # When a worker task was last queued for it (the sweep queues one again when no lease is live).
    queued_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = LabelBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "label batches"
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="labelbatch_unique_key")]
        indexes = [models.Index(fields=["state", "queued_at"], name="labelbatch_state_idx")]

    def __str__(self) -> str:
        return f"label batch {self.pk} ({self.state})"


class ItemState(models.TextChoices):
    PENDING = "pending", "Waiting"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Cannot be labelled"


class LabelBatchItemQuerySet(TenantQuerySet):
    tenant_field = "batch__tenant"


class LabelBatchItem(models.Model):
    """One order of a batch: the rate chosen at the preview (or why it cannot be labelled), then the purchase
    made for it (whose state says bought, failed or uncertain: the sweep may move it later)."""

    batch = models.ForeignKey(LabelBatch, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey("carriers.CarrierAccount", on_delete=models.SET_NULL, null=True, blank=True)
    carrier = models.CharField(max_length=20, blank=True, default="")
    service = models.CharField(max_length=100, blank=True, default="")
    package = models.ForeignKey("carriers.PackagePreset", on_delete=models.SET_NULL, null=True, blank=True)
    price = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    delivery_days = models.PositiveSmallIntegerField(null=True, blank=True)
    problem = models.TextField(blank=True, default="", help_text="Why it cannot be labelled (the preview).")
    state = models.CharField(max_length=10, choices=ItemState.choices, default=ItemState.PENDING)
    lease_until = models.DateTimeField(null=True, blank=True)
    leased_by = models.CharField(max_length=100, blank=True, default="")
    purchase = models.ForeignKey(LabelPurchase, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    error = models.TextField(blank=True, default="")

    objects = LabelBatchItemQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["batch", "order"], name="labelbatchitem_one_per_order")]
        indexes = [models.Index(fields=["batch", "state", "position"], name="labelbatchitem_work_idx")]

    def __str__(self) -> str:
        return f"order {self.order_id} in label batch {self.batch_id}"
