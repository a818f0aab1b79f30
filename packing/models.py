"""The pack station (issue 32, docs/pack-station.md): products' barcodes, each packer's station settings,
the packing of an order (a session: what was ticked) and every scan, kept for the order's history.

    ProductBarcode  a product's codes added in Outbound (UPC, EAN, GTIN, a code of the merchant's), several
                    per product; the SKU and the UPC/GTIN the store sends on a line always scan, with no row
    PackProfile     one packer in one workspace: the label format their station prints (PDF or ZPL) and
                    the grant to skip verification (owners and admins hold it by their role)
    PackSession     one order on the bench: the units ticked per line, how it ended (labelled, skipped)
    ScanEvent       every scan or typed code: who, when, the code, what it did
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from labels.models import LabelFormat
from stores.models import Tenant, TenantQuerySet

CODE_MAX_LENGTH = 100


class ProductBarcodeQuerySet(TenantQuerySet):
    pass


class ProductBarcode(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+", db_index=False)
    product = models.ForeignKey("orders.Product", on_delete=models.CASCADE, related_name="barcodes")
    code = models.CharField(max_length=CODE_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ProductBarcodeQuerySet.as_manager()

    class Meta:
        ordering = ["product", "code"]
        # The scan's lookup: (store, code), one product per code in a store.
        constraints = [models.UniqueConstraint(fields=["store", "code"], name="packing_barcode_unique_store_code")]

    def __str__(self) -> str:
        return self.code


class PackProfileQuerySet(TenantQuerySet):
    pass


class PackProfile(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    label_format = models.CharField(max_length=3, choices=LabelFormat.choices, default=LabelFormat.PDF)
    may_skip = models.BooleanField("may skip verification", default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = PackProfileQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="packing_profile_unique_user")]

    def __str__(self) -> str:
        return f"{self.user} ({self.label_format})"


class SessionState(models.TextChoices):
    OPEN = "open", "Packing"
    LABELLED = "labelled", "Label bought"
    ABANDONED = "abandoned", "Left for another slip"


class PackSessionQuerySet(TenantQuerySet):
    pass


class PackSession(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    user_label = models.CharField(max_length=150, blank=True, default="")
    state = models.CharField(max_length=10, choices=SessionState.choices, default=SessionState.OPEN)
    # What is to pack (line id -> units, read when the slip was scanned) and what was ticked so far; the codes
    # that tick each line (upper case -> line id): its SKU, the store's UPC, its product's barcodes.
    to_pack = models.JSONField(default=dict)
    packed = models.JSONField(default=dict)
    codes = models.JSONField(default=dict)
    label_attempts = models.PositiveIntegerField(default=0)
    skipped = models.BooleanField(default=False, help_text="Verification skipped by a user allowed to.")
    purchase = models.ForeignKey(
        "labels.LabelPurchase", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = PackSessionQuerySet.as_manager()

    class Meta:
        indexes = [
            # The picture of the day: orders packed per user since midnight.
            models.Index(fields=["tenant", "finished_at"], name="packing_session_day"),
        ]

    def __str__(self) -> str:
        return f"Packing of order {self.order_id} ({self.state})"

    @property
    def complete(self) -> bool:
        return self.skipped or all(self.packed.get(key, 0) >= units for key, units in self.to_pack.items())


class ScanResult(models.TextChoices):
    SLIP = "slip", "Slip scanned: order opened"
    SLIP_REFUSED = "slip_refused", "Slip refused"
    OK = "ok", "Item ticked"
    WRONG_ITEM = "wrong_item", "Wrong item: not on this order"
    EXTRA_UNIT = "extra_unit", "Extra unit: this line is complete"
    UNKNOWN = "unknown", "Unknown code"
    SKIPPED = "skipped", "Verification skipped"
    SKIP_REFUSED = "skip_refused", "Skip refused: not allowed"
    LABEL = "label", "Label bought"
    LABEL_FAILED = "label_failed", "Label not bought"


class ScanEventQuerySet(TenantQuerySet):
    pass


class ScanEvent(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+", db_index=False)
    session = models.ForeignKey(PackSession, on_delete=models.CASCADE, null=True, blank=True, related_name="scans")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    user_label = models.CharField(max_length=150, blank=True, default="")
    code = models.CharField(max_length=CODE_MAX_LENGTH, blank=True, default="")
    result = models.CharField(max_length=20, choices=ScanResult.choices)
    line = models.ForeignKey("orders.OrderLine", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    detail = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScanEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at"], name="packing_scan_order")]

    def __str__(self) -> str:
        return f"{self.code or '—'}: {self.result}"
