"""The carriers layer's rows: carrier accounts (per tenant), ship-from locations, each store's default
ship-from, and package presets.

`carriers` sits below `orders`, `shipments` and `tracking` (beside `outbox` and `webhooks`): it depends on
`core` and `stores` only, so its carrier codes are its own (the same strings as `shipments.models.Carrier`,
which a test keeps in step).
"""

from __future__ import annotations

import json
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stores import crypto
from stores.models import Store, Tenant, TenantQuerySet

from . import shipdates


class CarrierCode(models.TextChoices):
    """The carriers Outbound talks to through karrio (codes = the shipments' `carrier` values)."""

    UPS = "UPS", "UPS"
    USPS = "USPS", "USPS"
    FEDEX = "FedEx", "FedEx"


class DimensionUnit(models.TextChoices):
    INCHES = "in", _("in")
    CENTIMETERS = "cm", _("cm")


class MassUnit(models.TextChoices):
    """A package's empty weight unit: the stores' three (stores.models.WeightUnit) and kilograms."""

    POUNDS = "Pounds", _("lb")
    OUNCES = "Ounces", _("oz")
    KILOGRAMS = "Kilograms", _("kg")
    GRAMS = "Grams", _("g")


# --- ship-from locations -----------------------------------------------------------------------------


class ShipFromQuerySet(TenantQuerySet):
    pass


class ShipFrom(models.Model):
    """A place the tenant ships from (a warehouse, the shop's back room): the sender of a label."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="ship_froms")
    name = models.CharField(_("name"), max_length=100, help_text=_("For you: which place this is."))
    company = models.CharField(_("company"), max_length=100, blank=True, default="")
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=30, blank=True, default="")
    email = models.EmailField(_("e-mail"), max_length=254, blank=True, default="")
    street1 = models.CharField(_("street"), max_length=100)
    street2 = models.CharField(_("street (line 2)"), max_length=100, blank=True, default="")
    city = models.CharField(_("city"), max_length=60)
    state = models.CharField(_("state or province"), max_length=30, blank=True, default="")
    postal_code = models.CharField(_("postal code"), max_length=20)
    country = models.CharField(_("country"), max_length=2, default="US", help_text=_("Two letters, e.g. US."))
    residential = models.BooleanField(_("residential address"), default=False)
    # Ship dates (carriers/shipdates.py): a label bought on a working day before the cutoff, local time,
    # ships that day; otherwise on the next working day.
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=shipdates.DEFAULT_TIME_ZONE,
        validators=[shipdates.validate_time_zone],
        help_text=_("Where the place is, e.g. America/Chicago: its cutoff is on that clock."),
    )
    cutoff_time = models.TimeField(
        _("daily cutoff"),
        default=shipdates.DEFAULT_CUTOFF,
        help_text=_("A label bought at or after this time ships on the next working day."),
    )
    working_days = models.CharField(
        _("working days"),
        max_length=7,
        default=shipdates.DEFAULT_WORKING_DAYS,
        validators=[shipdates.validate_working_days],
        help_text=_("The days parcels leave: 1 (Monday) to 7 (Sunday), e.g. 12345."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ShipFromQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("ship-from location")
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="shipfrom_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def working_days_names(self) -> str:
        """ "Mon, Tue, Wed" in the reader's language (Django's own abbreviations)."""
        from django.utils.dates import WEEKDAYS_ABBR

        return ", ".join(str(WEEKDAYS_ABBR[int(d) - 1]) for d in self.working_days if d.isdigit() and 1 <= int(d) <= 7)

    @property
    def one_line(self) -> str:
        parts = [self.street1, self.street2, self.city, f"{self.state} {self.postal_code}".strip(), self.country]
        return ", ".join(p for p in parts if p)


# What a person sets of a location (the portal's form, the API, the admin, carriers.services).
SHIP_FROM_FIELDS = (
    "name",
    "company",
    "contact_name",
    "phone",
    "email",
    "street1",
    "street2",
    "city",
    "state",
    "postal_code",
    "country",
    "residential",
    "time_zone",
    "cutoff_time",
    "working_days",
)


class StoreShippingQuerySet(TenantQuerySet):
    tenant_field = "store__tenant"


class StoreShipping(models.Model):
    """A store's shipping defaults, one-to-one with the store (primary key = the store's id).

    Kept here rather than on `stores.Store`: `stores` sits below `carriers` and must not name its models, so
    the store's default ship-from is a row of this app (made on first write, `carriers.services`); a store
    without one has no default ship-from. Deleting the location leaves the store without a default.
    """

    store = models.OneToOneField(Store, on_delete=models.CASCADE, primary_key=True, related_name="shipping")
    default_ship_from = models.ForeignKey(
        ShipFrom, on_delete=models.SET_NULL, null=True, blank=True, related_name="default_for"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects = StoreShippingQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Shipping defaults of store {self.store_id}"


# --- package presets ---------------------------------------------------------------------------------


PRESET_FIELDS = ("name", "length", "width", "height", "dimension_unit", "empty_weight", "weight_unit", "is_default")


class PackagePresetQuerySet(TenantQuerySet):
    pass


class PackagePreset(models.Model):
    """A box or envelope the tenant ships in: its outside dimensions and its empty weight. At most one per
    tenant is the default (a partial unique constraint; `carriers.services` moves the flag)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="package_presets")
    name = models.CharField(_("name"), max_length=100)
    length = models.DecimalField(_("length"), max_digits=8, decimal_places=2)
    width = models.DecimalField(_("width"), max_digits=8, decimal_places=2)
    height = models.DecimalField(_("height"), max_digits=8, decimal_places=2)
    dimension_unit = models.CharField(
        _("dimension unit"), max_length=2, choices=DimensionUnit.choices, default=DimensionUnit.INCHES
    )
    empty_weight = models.DecimalField(_("empty weight"), max_digits=10, decimal_places=3, default=0)
    weight_unit = models.CharField(_("weight unit"), max_length=10, choices=MassUnit.choices, default=MassUnit.OUNCES)
    is_default = models.BooleanField(_("default package"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = PackagePresetQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("package preset")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="packagepreset_unique_name"),
            models.UniqueConstraint(fields=["tenant"], condition=Q(is_default=True), name="packagepreset_one_default"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def size_text(self) -> str:
        def plain(value) -> str:
            return f"{Decimal(value).normalize():f}"

        return f"{plain(self.length)} × {plain(self.width)} × {plain(self.height)} {self.dimension_unit}"


# --- carrier accounts --------------------------------------------------------------------------------


class CarrierAccountQuerySet(TenantQuerySet):
    pass


class CarrierAccount(models.Model):
    """A tenant's account with one carrier (one per carrier). Moved from the tracking app in issue 29 with
    its table, `tracking_carrieraccount` (kept by `db_table`: no copy, no rename, foreign keys untouched)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="carrier_accounts")
    carrier = models.CharField(max_length=20, choices=CarrierCode.choices)
    name = models.CharField(max_length=100, blank=True, default="")
    # Fernet token of a JSON object {"client_id": …, "client_secret": …} (FedEx: its API key and secret key):
    # write through set_credentials(), read with credentials(). Never shown, logged or sent anywhere but
    # the carrier.
    credentials_encrypted = models.TextField(editable=False, default="")
    # The carrier's account (shipper) number, which rates and labels are billed to; not a secret.
    account_number = models.CharField(max_length=50, blank=True, default="")
    test_mode = models.BooleanField(default=False, help_text="Use the carrier's test servers.")
    # Where karrio sends this account's requests instead of the carrier's own servers (the carrier
    # sandbox). Set by operators (admin) and the demo only, never by a tenant.
    server_url = models.URLField(max_length=300, blank=True, default="")
    is_active = models.BooleanField(default=True)
    use_for_labels = models.BooleanField(default=False, help_text="Offer this account's rates and buy labels with it.")
    # The sender of this account's labels; none: the store's default ship-from.
    ship_from = models.ForeignKey(
        ShipFrom, on_delete=models.SET_NULL, null=True, blank=True, related_name="carrier_accounts"
    )
    last_test_ok = models.BooleanField(null=True, blank=True)
    # ok | refused | busy | unreachable | key (carriers.gateway.TEST_*); the carrier's own words beside it.
    last_test_outcome = models.CharField(max_length=20, blank=True, default="")
    last_test_message = models.CharField(max_length=500, blank=True, default="")
    last_tested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = CarrierAccountQuerySet.as_manager()

    class Meta:
        db_table = "tracking_carrieraccount"
        ordering = ["carrier", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "carrier"], name="carrieraccount_one_per_carrier")]

    def __str__(self) -> str:
        return f"{self.get_carrier_display()} account {self.name or self.pk}"

    def set_credentials(self, *, client_id: str, client_secret: str) -> None:
        self.credentials_encrypted = crypto.encrypt_secret(
            json.dumps({"client_id": client_id, "client_secret": client_secret})
        )

    def credentials(self) -> dict[str, str]:
        if not self.credentials_encrypted:
            raise crypto.CredentialError("This carrier account has no credentials set.")
        return json.loads(crypto.decrypt_secret(self.credentials_encrypted))

    @property
    def has_credentials(self) -> bool:
        return bool(self.credentials_encrypted)

    def save(self, *args, **kwargs):
        if self.credentials_encrypted:
            self.credentials_encrypted = crypto.reencrypt_secret(self.credentials_encrypted)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = set(kwargs["update_fields"]) | {"credentials_encrypted"}
        super().save(*args, **kwargs)


crypto.register_encrypted_field(CarrierAccount, "credentials_encrypted")
