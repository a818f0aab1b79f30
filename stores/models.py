"""Tenants, memberships, stores, storefronts, status mappings and store settings."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from . import crypto, statuses
from .connector import registry as connector_registry
from .credentials import SecretKind, StoreCredentials


class Tenant(models.Model):
    """A merchant served by the agency. Everything a merchant owns hangs off a tenant."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Set by an operator (admin) only: the most this tenant may spend on labels in one UTC day. A label or a
    # batch that would take the day's spend over it is refused before anything is bought (docs/labels.md).
    daily_label_limit = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The most this tenant may spend on labels in one UTC day; empty: no limit.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TenantQuerySet(models.QuerySet):
    """Every tenant-owned model reads through `for_tenant`; portal and API code has no other path."""

    tenant_field = "tenant"

    def for_tenant(self, tenant: Tenant | int):
        tenant_id = tenant.pk if isinstance(tenant, Tenant) else tenant
        if tenant_id is None:
            return self.none()
        return self.filter(**{f"{self.tenant_field}_id": tenant_id})


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


# What each role may do. Owners and admins manage stores, settings, users and API keys; members work
# orders and shipments; viewers only read. Only owners disconnect and delete stores.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(
        {
            "view",
            "ship",
            "manage_stores",
            "manage_users",
            "manage_api_keys",
            "manage_owners",
            "remove_stores",
            "view_audit",
        }
    ),
    Role.ADMIN: frozenset({"view", "ship", "manage_stores", "manage_users", "manage_api_keys"}),
    Role.MEMBER: frozenset({"view", "ship"}),
    Role.VIEWER: frozenset({"view"}),
}


class MembershipQuerySet(TenantQuerySet):
    pass


class Membership(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant} ({self.role})"

    def can(self, permission: str) -> bool:
        return permission in ROLE_PERMISSIONS.get(self.role, frozenset())


class Platform(models.TextChoices):
    # A new platform is a new choice plus a connector registered in stores.connector.registry (see
    # stores/platforms/<platform>/connection.py); nothing else in the import or shipment code names a platform.
    AMERICOMMERCE = "americommerce", "AmeriCommerce"
    CUSTOM_STORE = "custom_store", "Custom Store (any cart)"


class Road(models.TextChoices):
    """How Outbound reaches a store of a platform: the ShipStation add-on's XML page (Custom Store v1) or the
    platform's documented REST API. The connection type is the platform plus the road
    (`stores.connector.registry.connection_key`)."""

    XML = "xml", "ShipStation add-on (XML)"
    REST = "rest", "REST API"


class RestAuth(models.TextChoices):
    """On the REST road: an access token made in the store's admin console, or the OAuth app flow."""

    TOKEN = "token", "API token"
    OAUTH = "oauth", "OAuth app"


# The path of the ShipStation add-on's XML page on an AmeriCommerce site (the default platform's XML type,
# stores/platforms/*/connection.py, takes it from here) is not published; this is our best guess and every
# store can override it (docs/stores.md#connecting).
DEFAULT_ENDPOINT_PATH = "/store/shipstation.aspx"


class StoreQuerySet(TenantQuerySet):
    def active(self):
        return self.filter(is_active=True)

    def with_secrets(self):
        """The stores with their secret documents read in the same query (a subquery per kind on the
        (store, kind) unique index), for the paths that load one store and connect at once (an import check):
        no second query for the credentials, unlike `prefetch_related("secrets")`."""
        from .credentials import SECRET_ANNOTATION, SecretKind

        secrets = self.model._meta.get_field("secrets").related_model  # StoreSecret, defined below
        return self.annotate(
            **{
                SECRET_ANNOTATION + kind: models.Subquery(
                    secrets.objects.filter(store=models.OuterRef("pk"), kind=kind).values("document_encrypted")[:1]
                )
                for kind in SecretKind.values
            }
        )


def validate_fetchable_url(value: str) -> None:
    """The one check of a URL Outbound will fetch (a store, a webhook receiver), on the model field so that
    every form, the admin and the API refuse what the fetch-time guard would refuse, with its words:
    private or metadata addresses, other schemes than http(s), plain http where it is off, user:pw@."""
    from .connector.errors import StoreError
    from .connector.urlguard import validate_store_url

    try:
        validate_store_url(
            value, allow_private=settings.ALLOW_PRIVATE_STORE_HOSTS, allow_http=settings.ALLOW_HTTP_STORE_URLS
        )
    except StoreError as exc:
        raise ValidationError(exc.message, code="url_refused") from None


def new_tracking_slug() -> str:
    """A store's public tracking address when none was chosen (docs/tracking-page.md): random, lowercase."""
    return secrets.token_hex(5)


class Store(StoreCredentials, models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="stores")
    name = models.CharField(max_length=200)
    # The store's public tracking lookup page, /track/<tracking_slug>/ (docs/tracking-page.md): unique across
    # every tenant, made from the store's name at connection (stores.services.store_create).
    tracking_slug = models.SlugField(max_length=60, unique=True, null=True, blank=True, default=new_tracking_slug)
    platform = models.CharField(max_length=30, choices=Platform.choices, default=Platform.AMERICOMMERCE)
    url = models.URLField(
        "store URL",
        max_length=500,
        help_text="The store's address, e.g. https://shop.example.com",
        validators=[validate_fetchable_url],
    )
    endpoint_path = models.CharField(
        "XML endpoint path",
        max_length=300,
        default=DEFAULT_ENDPOINT_PATH,
        blank=True,
        help_text="Path of the ShipStation add-on's XML page on an AmeriCommerce store (blank: the default). "
        "Not used for Custom Store (any cart): its URL is the page.",
    )
    # The XML road's credentials (the ShipStation add-on's username and password). The password, like every
    # secret of the store, is in an encrypted document of its own (stores.credentials, StoreSecret), written
    # through set_password() and read with get_password().
    username = models.CharField(max_length=200, blank=True, default="")
    # The road to the store (see Road) and, on the REST road, how it authenticates.
    road = models.CharField(max_length=10, choices=Road.choices, default=Road.XML)
    rest_auth = models.CharField("REST authentication", max_length=10, choices=RestAuth.choices, default=RestAuth.TOKEN)
    # The REST road's secrets, encrypted documents like the password, write-only: set_api_token() /
    # get_api_token(), set_oauth_tokens() / get_oauth_access_token() / get_oauth_refresh_token() (and the
    # OAuth set's oauth_expires_at, oauth_scope).
    # Set when the store refused our credentials for good (an OAuth refresh failed, a token was revoked):
    # imports and write-backs wait until someone reconnects; the reason is in plain words.
    needs_reconnect = models.BooleanField(default=False, editable=False)
    reconnect_reason = models.TextField(blank=True, default="", editable=False)
    is_active = models.BooleanField(default=True)
    # Set when an owner disconnected the store (stores.services.store_disconnect): imports, real time and
    # carrier tracking stop, its orders are kept read only, until it is connected again or deleted.
    disconnected_at = models.DateTimeField(null=True, blank=True, editable=False)
    import_interval_minutes = models.PositiveIntegerField(
        default=15, validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    # The reconciliation sweep: every so many hours (0: never on schedule), compare the last so many days
    # of the store with what Outbound holds, and import whatever earlier runs missed.
    reconcile_every_hours = models.PositiveIntegerField(
        default=24,
        validators=[MaxValueValidator(24 * 30)],
        help_text="How often the reconciliation sweep runs on schedule (0: only when asked).",
    )
    reconcile_days = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="How many days back the reconciliation sweep compares.",
    )
    # The import engine's bookkeeping (watermark, last outcome, claim, schedule, reconciliation totals) is the
    # orders app's own row: orders.models.StoreImportState (store.import_state).
    # Real time's link (webhook token hash, subscriptions, why it is off) is the hooks app's own row:
    # hooks.models.StoreRealtime (store.realtime).
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = StoreQuerySet.as_manager()

    class Meta:
        ordering = ["tenant", "name"]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        # Deliberately no credentials.
        return f"<Store {self.pk} {self.name!r} tenant={self.tenant_id}>"

    def clean(self) -> None:
        super().clean()
        try:
            connection = connector_registry.connection_type(self.connection_type)
        except connector_registry.UnknownConnectionType:
            platform, road = self.get_platform_display(), self.get_road_display()
            raise ValidationError({"road": f"{platform} stores cannot be reached by the {road} road."}) from None
        if connection.road == Road.XML and not self.username:
            raise ValidationError({"username": "Enter the ShipStation add-on's username."})

    @property
    def is_disconnected(self) -> bool:
        """An owner disconnected it: its orders are read only (orders.services.order_check_writable)."""
        return self.disconnected_at is not None

    @property
    def connection_type(self) -> str:
        """The key of this store's connector in stores.connector.registry: its platform and road."""
        return connector_registry.connection_key(self.platform, self.road)

    @property
    def rest_base_url(self) -> str:
        """The REST API's root: the store URL joined to its platform's REST road's path, as the registry has
        it (e.g. https://shop.example.com/api/v1)."""
        rest = connector_registry.connection_type(connector_registry.connection_key(self.platform, Road.REST))
        return rest.endpoint_url(self.url)

    @property
    def rest_credentials_set(self) -> bool:
        """Whether the REST road has what it needs to authenticate (a token, or OAuth tokens)."""
        return self.has_oauth_tokens if self.rest_auth == RestAuth.OAUTH else self.has_api_token

    @property
    def connection(self) -> connector_registry.ConnectionType:
        """This store's connection type: its connector factory and its platform's conventions."""
        return connector_registry.connection_type_of(self)

    @property
    def platform_name(self) -> str:
        """The platform's display name, for pages and e-mails ("AmeriCommerce", "Custom Store (any cart)")."""
        return str(self.connection.label)

    @property
    def endpoint_url(self) -> str:
        """AmeriCommerce over XML: the store URL joined to the XML endpoint path; any cart: the URL exactly as
        given; AmeriCommerce over REST: the API root (rest_base_url)."""
        connection = self.connection
        path = self.endpoint_path if connection.endpoint_path is not None and connection.endpoint_path_editable else ""
        return connection.endpoint_url(self.url, path)


currency_code = RegexValidator(r"^[A-Z]{3}$", "Enter a currency as its three-letter code, for example USD or EUR.")


class StorefrontQuerySet(TenantQuerySet):
    tenant_field = "store__tenant"


class Storefront(models.Model):
    """One storefront of an AmeriCommerce site (a site can host several; a tenant several sites). The site applies its
    own shipped status per storefront when notified; we record what the merchant told us it is, for display."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="storefronts")
    name = models.CharField(max_length=200)
    shipped_status = models.CharField(
        max_length=100, blank=True, default="", help_text="The status this storefront's ShipStation add-on applies."
    )
    # A site's storefronts may sell in different currencies; the REST road's orders say none, so the one
    # recorded here (else the store's, StoreSettings.currency) is written on the orders of this storefront.
    currency = models.CharField(
        max_length=3,
        blank=True,
        default="",
        validators=[currency_code],
        help_text="This storefront's currency (e.g. CAD), for orders that arrive without one. Applies to orders "
        "imported or changed from then on.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = StorefrontQuerySet.as_manager()

    class Meta:
        ordering = ["store", "name"]
        constraints = [models.UniqueConstraint(fields=["store", "name"], name="storefront_unique_name")]

    def __str__(self) -> str:
        return self.name


class StoreSecretQuerySet(TenantQuerySet):
    tenant_field = "store__tenant"


class StoreSecret(models.Model):
    """One of a store's secret documents (stores.credentials: why a row per kind): a Fernet token of a JSON
    object, written only through the store's credential accessors when the store services save it, read only
    by the connector that needs it. Not in the admin, the API or any page."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="secrets")
    kind = models.CharField(max_length=30, choices=SecretKind.choices)
    document_encrypted = models.TextField(editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = StoreSecretQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "kind"], name="store_secret_unique_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of store {self.store_id}"

    def __repr__(self) -> str:
        return f"<StoreSecret {self.pk} store={self.store_id} kind={self.kind}>"  # deliberately no document


crypto.register_encrypted_field(StoreSecret, "document_encrypted")


class StatusMappingQuerySet(TenantQuerySet):
    tenant_field = "store__tenant"


class StatusMapping(models.Model):
    """One store's five lists of store statuses (Awaiting Payment, Awaiting Shipment, Shipped,
    Cancelled, On Hold); see stores/statuses.py for how names match."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="status_mapping")
    awaiting_payment = models.TextField(
        "Awaiting Payment", blank=True, default=statuses.DEFAULT_MAPPING[statuses.AWAITING_PAYMENT]
    )
    awaiting_shipment = models.TextField(
        "Awaiting Shipment", blank=True, default=statuses.DEFAULT_MAPPING[statuses.AWAITING_SHIPMENT]
    )
    shipped = models.TextField("Shipped", blank=True, default=statuses.DEFAULT_MAPPING[statuses.SHIPPED])
    cancelled = models.TextField("Cancelled", blank=True, default=statuses.DEFAULT_MAPPING[statuses.CANCELLED])
    on_hold = models.TextField("On Hold", blank=True, default=statuses.DEFAULT_MAPPING[statuses.ON_HOLD])
    updated_at = models.DateTimeField(auto_now=True)

    objects = StatusMappingQuerySet.as_manager()

    FIELDS = [code for code, _ in statuses.OUTBOUND_STATUSES]

    def __str__(self) -> str:
        return f"Status mapping of {self.store}"

    def lists(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.FIELDS}

    def status_key(self) -> statuses.StatusKey:
        """How store statuses match these lists: the store's platform decides (case-insensitive for
        AmeriCommerce, case-sensitive for any cart). A mapping not yet tied to a store uses the default."""
        if StatusMapping.store.is_cached(self) or self.store_id is not None:
            return self.store.connection.status_key
        return statuses.normalize_status

    def lookup(self) -> statuses.StatusLookup:
        return statuses.build_lookup(self.lists(), self.status_key())

    def map(self, store_status: str) -> str | None:
        """Which Outbound status this store status is, or None."""
        return statuses.map_status(self.lookup(), store_status)

    def clean(self) -> None:
        conflicts = statuses.find_conflicts(self.lists(), self.status_key())
        if conflicts:
            errors: dict[str, list[str]] = {}
            for name, where in conflicts.items():
                labels = " and ".join(statuses.label(w) for w in where)
                for field in where:
                    errors.setdefault(field, []).append(
                        f"The store status “{name}” is in both {labels}; a status may sit in one list only."
                    )
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        key = self.status_key()
        for name in self.FIELDS:
            setattr(self, name, statuses.tidy_status_list(getattr(self, name), key))
        super().save(*args, **kwargs)

    def add_status(self, outbound_status: str, store_status: str) -> None:
        """Append one store status to one list (used by the unmapped-status action)."""
        if outbound_status not in self.FIELDS:
            raise ValidationError(f"Unknown Outbound status {outbound_status!r}.")
        typed = " ".join(store_status.replace(",", " ").split())
        current = getattr(self, outbound_status).strip().rstrip(",")
        setattr(self, outbound_status, f"{current}, {typed}" if current else typed)
        self.full_clean(exclude=["store"])


hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #RRGGBB, for example #1f6feb.")


class WeightUnit(models.TextChoices):
    POUNDS = "Pounds", "Pounds"
    OUNCES = "Ounces", "Ounces"
    GRAMS = "Grams", "Grams"


class StoreSettingsQuerySet(TenantQuerySet):
    tenant_field = "store__tenant"


class StoreSettings(models.Model):
    """Branding, notifications and product handling: the settings a user lands on after connecting."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="settings")
    # Branding
    company_name = models.CharField(max_length=200, blank=True, default="")
    logo_url = models.URLField(max_length=500, blank=True, default="")
    accent_colour = models.CharField(max_length=7, default="#1f6feb", validators=[hex_colour])
    website = models.URLField(max_length=500, blank=True, default="")
    phone = models.CharField(max_length=50, blank=True, default="")
    reply_to = models.EmailField("reply-to address", blank=True, default="")
    # Notifications
    send_shipment_confirmation = models.BooleanField("shipment confirmation e-mails", default=True)
    send_delivery_notice = models.BooleanField("delivery notice e-mails", default=True)
    # Sent when carrier tracking (the tracking app) sees the parcel out for delivery; off unless switched on.
    send_out_for_delivery = models.BooleanField("out for delivery e-mails", default=False)
    # Sent when the carrier moves the estimated delivery date (the tracking app); off unless switched on.
    send_estimated_delivery = models.BooleanField("estimated delivery changed e-mails", default=False)
    # The language of the buyer e-mails (the tracking page follows the buyer's browser).
    buyer_language = models.CharField(
        "language of buyer e-mails", max_length=5, choices=[("en", "English"), ("fr", "Français")], default="en"
    )
    copy_to_merchant = models.EmailField(
        "copy to the merchant", blank=True, default="", help_text="Send a blind copy of each buyer e-mail here."
    )
    # Product handling
    store_location_overwrites = models.BooleanField(
        "warehouse location from the store overwrites Outbound's",
        default=True,
        help_text="Off: a location set in Outbound is kept when the store sends another one.",
    )
    default_weight_unit = models.CharField(max_length=10, choices=WeightUnit.choices, default=WeightUnit.POUNDS)
    # The REST road's orders and stores carry no currency (docs/americommerce-rest.md#field-map): the
    # merchant says it once, and the import writes it on each order the store sends without one.
    currency = models.CharField(
        max_length=3,
        blank=True,
        default="",
        validators=[currency_code],
        help_text="The store's currency (ISO 4217 code, e.g. USD), for orders that arrive without one.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = StoreSettingsQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "store settings"

    def __str__(self) -> str:
        return f"Settings of {self.store}"

    @property
    def display_name(self) -> str:
        return self.company_name or self.store.name


class StoreCallBudget(models.Model):
    """One REST store site's call budget when it lives in the database (STORE_CALL_BUDGET=database;
    docs/store-budget.md): its recent calls, learned limit and 429 hold, shared by every process and
    changed only by a conditional UPDATE on `version` (stores/platforms/americommerce/budget.py). Keyed by
    the store site, not by a
    tenant: two tenants connected to one site share the vendor's budget."""

    key = models.CharField(max_length=64, primary_key=True)  # sha256 of the pacer's key
    site = models.TextField(default="", help_text="The store site (its API root) this budget paces.")
    version = models.PositiveBigIntegerField(default=0)
    state = models.TextField(
        default="{}", help_text="The budget's state, JSON (stores/platforms/americommerce/rest/pacing.py)."
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "stores_storecallbudget"  # named in stores/platforms/americommerce/budget.py's SQL

    def __str__(self) -> str:
        return f"Call budget of {self.site}"
