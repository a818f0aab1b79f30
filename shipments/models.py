"""Shipments, their lines and sent e-mails (their outbox messages live in the outbox app)."""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.db import models
from django.db.models import F
from django.db.models.functions import Upper
from django.utils import timezone

from orders.models import Order, OrderLine
from outbox.models import OutboxState
from stores.models import Tenant, TenantQuerySet


class Carrier(models.TextChoices):
    # Codes are the protocol's `carrier` values (docs/custom-store-v1.md#shipnotify); the store matches them as sent.
    USPS = "USPS", "USPS"
    UPS = "UPS", "UPS"
    FEDEX = "FedEx", "FedEx"
    DHL = "DHL", "DHL Express"
    DHL_GLOBAL_MAIL = "DHLGlobalMail", "DHL eCommerce (Global Mail)"
    UPS_MI = "UPSMI", "UPS Mail Innovations"
    CANADA_POST = "CanadaPost", "Canada Post"
    FEDEX_CANADA = "FedExCanada", "FedEx Canada"
    ONTRAC = "OnTrac", "OnTrac"
    NEWGISTICS = "Newgistics", "Newgistics"
    FIRST_MILE = "FirstMile", "FirstMile"
    GLOBEGISTICS = "Globegistics", "Globegistics"
    LONE_STAR = "LoneStar", "Lone Star Overnight"
    ASENDIA = "Asendia", "Asendia"
    ROYAL_MAIL = "RoyalMail", "Royal Mail"
    APC = "APC", "APC Postal Logistics"
    ACCESS_WORLDWIDE = "AccessWorldwide", "Access Worldwide"
    AUSTRALIA_POST = "AustraliaPost", "Australia Post"
    DHL_CANADA = "DHLCanada", "DHL Canada"
    BROKERS_WORLDWIDE = "BrokersWorldWide", "Brokers Worldwide"
    OTHER = "Other", "Other"


# Where a buyer follows a parcel; "{tracking}" is replaced by the URL-quoted tracking number. Carriers
# without a public tracking page get no link.
TRACKING_URL_TEMPLATES: dict[str, str] = {
    Carrier.USPS: "https://tools.usps.com/go/TrackConfirmAction?tLabels={tracking}",
    Carrier.UPS: "https://www.ups.com/track?tracknum={tracking}",
    Carrier.UPS_MI: "https://www.ups.com/track?tracknum={tracking}",
    Carrier.FEDEX: "https://www.fedex.com/fedextrack/?trknbr={tracking}",
    Carrier.FEDEX_CANADA: "https://www.fedex.com/fedextrack/?trknbr={tracking}",
    Carrier.DHL: "https://www.dhl.com/en/express/tracking.html?AWB={tracking}",
    Carrier.DHL_CANADA: "https://www.dhl.com/en/express/tracking.html?AWB={tracking}",
    Carrier.DHL_GLOBAL_MAIL: "https://webtrack.dhlecs.com/?trackingnumber={tracking}",
    Carrier.CANADA_POST: "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={tracking}",
    Carrier.ONTRAC: "https://www.ontrac.com/tracking/?number={tracking}",
    Carrier.FIRST_MILE: "https://track.firstmile.com/detail.php?n={tracking}",
    Carrier.LONE_STAR: "https://www.lso.com/tracking?airbillnumber={tracking}",
    Carrier.ASENDIA: "https://tracking.asendia.com/tracking/{tracking}",
    Carrier.ROYAL_MAIL: "https://www.royalmail.com/track-your-item#/tracking-results/{tracking}",
    Carrier.APC: "https://us.mytracking.net/APC/track/TrackDetails.aspx?t={tracking}",
    Carrier.AUSTRALIA_POST: "https://auspost.com.au/mypost/track/#/details/{tracking}",
}


def tracking_url_for(carrier: str, tracking_number: str) -> str:
    from urllib.parse import quote

    template = TRACKING_URL_TEMPLATES.get(carrier)
    if not template or not tracking_number.strip():
        return ""
    return template.format(tracking=quote(tracking_number.strip(), safe=""))


def carrier_code(value: str) -> str | None:
    """The protocol code for a carrier given by its code or its label, in any case ("fedex" → "FedEx",
    "DHL Express" → "DHL"), or None."""
    wanted = " ".join((value or "").split()).lower()
    for code, label in Carrier.choices:
        if wanted in (code.lower(), label.lower()):
            return code
    return None


def carrier_named_in(text: str) -> str | None:
    """The carrier a requested shipping method names ("UPS Ground" → "UPS", "FedEx 2Day" → "FedEx"), by its
    code or label as a whole word, the longest name first ("UPS Mail Innovations" before "UPS"); or None."""
    text = " ".join((text or "").split()).lower()
    names = sorted(
        ((name.lower(), code) for code, label in Carrier.choices if code != Carrier.OTHER for name in (code, label)),
        key=lambda pair: -len(pair[0]),
    )
    for name, code in names:
        if re.search(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", text):
            return code
    return None


def new_tracking_token() -> str:
    """The unguessable part of a shipment's public tracking page, /t/<token>/ (docs/tracking-page.md)."""
    return secrets.token_urlsafe(24)


class ShipmentState(models.TextChoices):
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    VOIDED = "voided", "Voided"


class ShipmentQuerySet(TenantQuerySet):
    pass


class Shipment(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="shipments")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    carrier = models.CharField(max_length=50, choices=Carrier.choices)
    service = models.CharField(max_length=50, blank=True, default="")
    tracking_number = models.CharField(max_length=50, blank=True, default="")
    tracking_url = models.URLField(max_length=500, blank=True, default="")
    ship_date = models.DateField(default=timezone.localdate)
    carrier_fee = models.DecimalField(
        max_digits=9, decimal_places=2, null=True, blank=True, help_text="What the label cost the merchant."
    )
    notes_to_buyer = models.TextField(blank=True, default="")
    internal_notes = models.TextField(blank=True, default="")
    notify_buyer = models.BooleanField(default=True)
    state = models.CharField(max_length=10, choices=ShipmentState.choices, default=ShipmentState.SHIPPED)
    delivered_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    created_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # An API key is named, not linked ("API key ob_live_ab12…"), so keys can be revoked and deleted.
    created_by_label = models.CharField(max_length=200, blank=True, default="")
    # Mirrors the state of this shipment's store_update outbox row, for lists and filters.
    store_update_state = models.CharField(max_length=10, choices=OutboxState.choices, blank=True, default="")
    # The order's last change at the store once it took this shipment (its updated_at in the answer to our
    # write, REST road): the store's webhooks for changes up to then only echo our own write (hooks).
    store_order_updated_at = models.DateTimeField(null=True, blank=True)
    # The buyer's tracking page, /t/<tracking_token>/ (docs/tracking-page.md): 32 random URL-safe characters,
    # unique (so indexed). Shipments from before it get theirs when a notice first links to the page.
    tracking_token = models.CharField(
        max_length=64, unique=True, null=True, blank=True, default=new_tracking_token, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ShipmentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # The list's indexes (issue 26): the default order and each filter's, tenant first.
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="shipment_tenant_created"),
            models.Index(fields=["tenant", "state", "-created_at", "-id"], name="shipment_tenant_state"),
            models.Index(fields=["tenant", "store_update_state", "-created_at", "-id"], name="shipment_tenant_update"),
            models.Index(fields=["tenant", "tracking_number"]),
            models.Index(F("tenant"), Upper("tracking_number"), name="shipment_tenant_tracking_ci"),
        ]

    def __str__(self) -> str:
        return f"Shipment {self.pk} of order {self.order.number}" if self.order_id else f"Shipment {self.pk}"

    @property
    def created_by(self) -> str:
        if self.created_by_user_id:
            return self.created_by_user.get_username()
        return self.created_by_label

    @property
    def is_active(self) -> bool:
        return self.state != ShipmentState.VOIDED


class ShipmentLineQuerySet(TenantQuerySet):
    tenant_field = "shipment__tenant"


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="shipment_lines")
    quantity = models.PositiveIntegerField()

    objects = ShipmentLineQuerySet.as_manager()

    class Meta:
        ordering = ["shipment", "order_line__position"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "order_line"], name="shipmentline_unique_line"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="shipmentline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.order_line.sku or self.order_line.name}"


class OutboxKind(models.TextChoices):
    """The outbox kinds this app enqueues and handles (registered in ShipmentsConfig.ready)."""

    STORE_UPDATE = "store_update", "Store update"
    EMAIL = "email", "E-mail"


def shipment_ref(shipment_id: int) -> str:
    """The outbox reference of a shipment's messages (OutboxMessage.ref)."""
    return f"shipment:{shipment_id}"


class EmailKind(models.TextChoices):
    SHIPMENT_CONFIRMATION = "shipment_confirmation", "Shipment confirmation"
    DELIVERY_NOTICE = "delivery_notice", "Delivery notice"
    OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery notice"
    ESTIMATED_DELIVERY = "estimated_delivery", "Estimated delivery changed"


class EmailSendState(models.TextChoices):
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class EmailSendQuerySet(TenantQuerySet):
    pass


class EmailSend(models.Model):
    """One buyer e-mail for one event. The unique key makes a second send of the same event impossible."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="email_sends")
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, null=True, blank=True, related_name="email_sends")
    kind = models.CharField(max_length=30, choices=EmailKind.choices)
    dedupe_key = models.CharField(max_length=200, unique=True)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=300, blank=True, default="")
    state = models.CharField(max_length=10, choices=EmailSendState.choices, default=EmailSendState.SENDING)
    error = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = EmailSendQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to} ({self.state})"


# --- batches: one submission of a batch form (ship, mark delivered, re-send) or of a CSV import -------------


class BatchKind(models.TextChoices):
    SHIP = "ship", "Ship"
    DELIVER = "deliver", "Mark delivered"
    RESEND = "resend", "Re-send store update"
    CSV_IMPORT = "csv_import", "Tracking numbers from a CSV file"


class BatchQuerySet(TenantQuerySet):
    pass


class Batch(models.Model):
    """One batch submission. Its `key` comes from the form (or, for a CSV import, from the import), so
    submitting the same form twice finds the same batch and skips what it already did."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="batches")
    key = models.CharField(max_length=80)
    kind = models.CharField(max_length=20, choices=BatchKind.choices)
    created_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    submissions = models.PositiveIntegerField(default=0)
    # What a worker applies (shipments.tasks.batch_run): the rows or order ids and the options; `total` of
    # them; `finished_at` set when the last submission's run is over (None: queued or running).
    plan = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Durable work (shipments.batch, "Leases"): when the batch was last handed to the broker, the lease of
    # the worker applying it (renewed as it goes; None: no worker holds it), how many workers took it, and
    # why the last one stopped (a crash, or "gave up" once BATCH_MAX_ATTEMPTS ran out).
    queued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    leased_by = models.CharField(max_length=100, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    # Chunks (shipments.batch, "Chunks"): the position the next chunk starts at; the rows before it were
    # applied by earlier chunks of this submission.
    cursor = models.PositiveIntegerField(default=0)

    objects = BatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="batch_unique_tenant_key")]
        # The minute sweep reads only unfinished batches.
        indexes = [
            models.Index(
                fields=["lease_until"], condition=models.Q(finished_at__isnull=True), name="batch_unfinished_idx"
            )
        ]

    def __str__(self) -> str:
        return f"Batch {self.pk} ({self.kind})"

    @property
    def is_running(self) -> bool:
        """Queued or being applied by a worker."""
        return self.finished_at is None and bool(self.plan)

    def is_stalled(self, now=None) -> bool:
        """Running, but its worker's lease ran out (or no worker took it a lease after it was queued): the
        minute sweep hands it to a worker again."""
        import datetime as dt

        if not self.is_running:
            return False
        now = now or timezone.now()
        if self.lease_until is not None:
            return self.lease_until < now
        since = self.queued_at or self.created_at
        return since < now - dt.timedelta(seconds=settings.BATCH_LEASE_SECONDS)


class Outcome(models.TextChoices):
    """What a batch did with one order (or one CSV row)."""

    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Marked delivered"
    RESENT = "resent", "Store update sent again"
    ALREADY_SHIPPED = "already_shipped", "Already shipped"
    ALREADY_IMPORTED = "already_imported", "Already imported"
    ALREADY_DELIVERED = "already_delivered", "Already delivered"
    NOT_SHIPPED = "not_shipped", "Not shipped yet"
    NOTHING_TO_RESEND = "nothing_to_resend", "Nothing to send again"
    BLOCKED = "blocked", "Blocked by its status"
    INVALID_TRACKING = "invalid_tracking", "Invalid tracking number"
    INVALID = "invalid", "Refused"


DONE_OUTCOMES = {Outcome.SHIPPED, Outcome.DELIVERED, Outcome.RESENT}


class BatchItemQuerySet(TenantQuerySet):
    tenant_field = "batch__tenant"


class BatchItem(models.Model):
    """One order's (or CSV row's) outcome in a batch; written in the same transaction as what it did, so a
    second submission skips the refs it finds."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="items")
    ref = models.CharField(max_length=40)  # "order:<id>" or "row:<n>"
    position = models.PositiveIntegerField(default=0)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    order_number = models.CharField(max_length=50, blank=True, default="")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    detail = models.TextField(blank=True, default="")
    shipment = models.ForeignKey(Shipment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = BatchItemQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["batch", "ref"], name="batchitem_unique_batch_ref")]

    def __str__(self) -> str:
        return f"{self.ref}: {self.outcome}"


class CsvImportQuerySet(TenantQuerySet):
    pass


class CsvImport(models.Model):
    """An uploaded tracking-number file, kept between the preview and the confirmation."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="csv_imports")
    filename = models.CharField(max_length=200, blank=True, default="")
    content = models.TextField()
    sha256 = models.CharField(max_length=64)
    mapping = models.JSONField(default=dict, blank=True)
    batch = models.ForeignKey(Batch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = CsvImportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"CSV import {self.pk} ({self.filename})"


class ShippingMethodMappingQuerySet(TenantQuerySet):
    pass


class MappingSource(models.TextChoices):
    LEARNED = "learned", "Learned from a shipment"
    EDITED = "edited", "Set by hand"


class ShippingMethodMapping(models.Model):
    """A store's requested shipping method ("USPS Priority Mail") → the carrier and service the ship form
    starts with. Learned from the merchant's shipments (the last choice for a method wins) and editable."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="shipping_method_mappings")
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="shipping_method_mappings")
    requested_method = models.CharField("requested shipping method", max_length=1000)
    carrier = models.CharField(max_length=50, choices=Carrier.choices)
    service = models.CharField(max_length=50, blank=True, default="")
    source = models.CharField(max_length=10, choices=MappingSource.choices, default=MappingSource.LEARNED)
    times_used = models.PositiveIntegerField(default=0, help_text="Shipments recorded with this choice.")
    updated_by = models.CharField(max_length=200, blank=True, default="")
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ShippingMethodMappingQuerySet.as_manager()

    class Meta:
        ordering = ["store", "requested_method"]
        constraints = [
            models.UniqueConstraint(fields=["store", "requested_method"], name="shippingmethodmapping_unique_method")
        ]

    def __str__(self) -> str:
        return f"{self.requested_method} → {self.carrier} {self.service}".strip()


# --- print jobs: packing slips or a pick list rendered by a worker (shipments.print_jobs) -------------------


class PrintKind(models.TextChoices):
    PACKING_SLIPS = "packing_slips", "Packing slips"
    PICK_LIST = "pick_list", "Pick list"


class PrintState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Rendering"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


PRINT_UNFINISHED = (PrintState.QUEUED, PrintState.RUNNING)


class PrintJobQuerySet(TenantQuerySet):
    pass


class PrintJob(models.Model):
    """One document to print (a selection of orders too big to render within the request). A worker
    takes it with a lease (as a batch), renders it in chunks (`done` of `total` orders) and keeps the PDF
    here; the minute sweep hands a job whose worker died to another, fails it after BATCH_MAX_ATTEMPTS,
    and deletes finished jobs after PRINT_JOBS_KEEP_HOURS."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="print_jobs")
    kind = models.CharField(max_length=20, choices=PrintKind.choices)
    order_ids = models.JSONField(default=list)  # the documents' order
    language = models.CharField(max_length=10, blank=True, default="")
    filename = models.CharField(max_length=200, blank=True, default="")
    state = models.CharField(max_length=10, choices=PrintState.choices, default=PrintState.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    pdf_bytes = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    created_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The lease, as Batch's: when it was handed to the broker, the worker rendering it and until when.
    queued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    leased_by = models.CharField(max_length=100, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)

    objects = PrintJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The minute sweep reads unfinished jobs and finished ones past their retention.
            models.Index(fields=["state", "lease_until"], name="printjob_sweep_idx"),
            models.Index(fields=["finished_at"], name="printjob_finished_idx"),
        ]

    def __str__(self) -> str:
        return f"Print job {self.pk} ({self.kind}, {self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state not in PRINT_UNFINISHED

    @property
    def percent(self) -> int:
        if self.state == PrintState.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0


class OperatorAlert(models.Model):
    """One alert sent to the operators (shipments.services.operator_alert): mailed to ADMINS, logged on
    `outbound.alerts`, counted in /metrics and listed in the admin's fleet view. Across tenants: an alert may
    be about the server's configuration rather than one tenant; `tenant` says whose when it is one's."""

    subject = models.CharField(max_length=200)
    message = models.TextField(blank=True, default="")
    tenant = models.ForeignKey(Tenant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    recipients = models.PositiveIntegerField(default=0, help_text="ADMINS addresses the alert was mailed to.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject
