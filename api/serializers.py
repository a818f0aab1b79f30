"""What the API shows and accepts. Related ids accept only the caller's tenant's objects."""

from __future__ import annotations

import copy

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from carriers.models import PackagePreset
from hooks.selectors import realtime_on, realtime_reason
from orders.models import ImportRun, Order, OrderLine, Product, ShippingPreset, StoreImportState
from shipments.models import Carrier, Shipment, ShipmentLine, carrier_code
from shipments.tracking_numbers import TRACKING_INPUT_MAX, tracking_number_clean
from stores.connector.types import ConnectionOutcome
from stores.models import Platform, RestAuth, Road, StatusMapping, Store, Storefront
from stores.selectors import store_same_site
from stores.services import store_credentials_check

from .base import ModelSerializer, TenantRelatedField
from .services import store_url_validate

# --- stores -----------------------------------------------------------------------------------------


class RealtimeSerializer(serializers.Serializer):
    on = serializers.BooleanField(help_text="Whether the store's webhooks bring its orders in real time.")
    reason = serializers.CharField(help_text="Why real time is off, in plain words (empty when on).")
    last_event_at = serializers.DateTimeField(
        allow_null=True, help_text="When the store's last webhook call arrived (null: none yet)."
    )


def _import_state(field_class, name: str, **kwargs):
    """A read-only field of the store's import state (orders.models.StoreImportState, select_related by the
    view); a store without one yet reads as never imported (the field's default, or null)."""
    model_field = StoreImportState._meta.get_field(name)
    return field_class(source=f"import_state.{name}", read_only=True, help_text=model_field.help_text or None, **kwargs)


class StoreSerializer(ModelSerializer):
    last_import_at = _import_state(serializers.DateTimeField, "last_import_at", allow_null=True)
    last_import_ok = _import_state(serializers.BooleanField, "last_import_ok", allow_null=True)
    last_import_message = _import_state(serializers.CharField, "last_import_message", default="")
    last_checked_at = _import_state(serializers.DateTimeField, "last_checked_at", allow_null=True)
    consecutive_failures = _import_state(serializers.IntegerField, "consecutive_failures", default=0)
    needs_attention = _import_state(serializers.BooleanField, "needs_attention", default=False)
    import_running_since = _import_state(serializers.DateTimeField, "import_running_since", allow_null=True)
    last_reconcile_at = _import_state(serializers.DateTimeField, "last_reconcile_at", allow_null=True)
    orders_recovered = _import_state(serializers.IntegerField, "orders_recovered", default=0)
    realtime = serializers.SerializerMethodField(
        help_text="Real time (REST road): store webhooks bring an order in seconds; the schedule still runs."
    )
    password = serializers.CharField(
        write_only=True,
        required=False,
        trim_whitespace=False,
        max_length=500,
        style={"input_type": "password"},
        help_text="The store's ShipStation password (road `xml`). Write-only: never returned.",
    )
    api_token = serializers.CharField(
        write_only=True,
        required=False,
        max_length=500,
        style={"input_type": "password"},
        help_text="An access token made in the store's admin console (road `rest`). Write-only: never returned.",
    )
    road = serializers.ChoiceField(
        choices=Road.choices,
        required=False,
        help_text="How Outbound reaches the store: `xml` (the ShipStation add-on's page, username and password) or "
        "`rest` (AmeriCommerce's REST API, an access token). Switching keeps orders and the import "
        "watermark; send the new road's credential with it unless one is saved.",
    )

    class Meta:
        model = Store
        fields = [
            "id",
            "name",
            "platform",
            "road",
            "rest_auth",
            "url",
            "endpoint_path",
            "username",
            "password",
            "has_password",
            "api_token",
            "has_api_token",
            "needs_reconnect",
            "reconnect_reason",
            "is_active",
            "import_interval_minutes",
            "last_import_at",
            "last_import_ok",
            "last_import_message",
            "last_checked_at",
            "realtime",
            "consecutive_failures",
            "needs_attention",
            "import_running_since",
            "created_at",
            "reconcile_every_hours",
            "reconcile_days",
            "last_reconcile_at",
            "orders_recovered",
        ]
        read_only_fields = [
            "platform",
            "rest_auth",
            "has_password",
            "has_api_token",
            "needs_reconnect",
            "reconnect_reason",
            "is_active",
            "created_at",
        ]
        extra_kwargs = {"username": {"required": False}}

    @extend_schema_field(RealtimeSerializer)
    def get_realtime(self, store: Store) -> dict:
        try:
            stats = store.hook_stats  # select_related by the view: no query per store
        except ObjectDoesNotExist:
            stats = None
        data = {
            "on": realtime_on(store),
            "reason": realtime_reason(store),
            "last_event_at": stats.last_event_at if stats else None,
        }
        return RealtimeSerializer(data).data

    def validate_url(self, value):
        from stores.connector.errors import StoreError

        try:
            return store_url_validate(value)
        except StoreError as exc:
            raise serializers.ValidationError(exc.message)

    def validate(self, attrs):
        """Each road needs its own credential, given now or saved before (a switch back): the store service's
        rule (stores.services.store_credentials_check), its refusal turned into field errors."""
        instance = self.instance
        road = attrs.get("road") or (instance.road if instance is not None else Road.XML)
        if road == Road.REST and attrs.get("api_token"):
            attrs["rest_auth"] = RestAuth.TOKEN
        candidate = copy.copy(instance) if instance is not None else Store()
        candidate.road = road
        candidate.rest_auth = attrs.get("rest_auth") or candidate.rest_auth or RestAuth.TOKEN
        try:
            store_credentials_check(store=candidate, password=attrs.get("password"), api_token=attrs.get("api_token"))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        self._refuse_duplicate(attrs.get("url"))
        return attrs

    def _refuse_duplicate(self, url: str | None) -> None:
        """A store the tenant has connected already (the same site, by either road) is refused, naming it."""
        request = self.context.get("request")
        if not url or request is None:
            return
        instance = self.instance
        platform = instance.platform if instance is not None else Platform.AMERICOMMERCE
        exclude = instance.pk if instance is not None else None
        same = store_same_site(tenant=request.tenant, url=url, platform=platform, exclude_pk=exclude)
        if same is not None:
            raise serializers.ValidationError(
                {
                    "url": [
                        gettext("This store is already connected as “%(name)s” (store %(id)s).")
                        % {"name": same.name, "id": same.pk}
                    ],
                    "existing_store": [reverse("api:store-detail", args=[same.pk])],
                }
            )


class StoreCreateSerializer(StoreSerializer):
    password = serializers.CharField(
        write_only=True,
        required=False,
        trim_whitespace=False,
        max_length=500,
        style={"input_type": "password"},
        help_text="The store's ShipStation password (road `xml`, required there). Write-only: never returned.",
    )


class ConnectionResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    outcome = serializers.ChoiceField(choices=[outcome.value for outcome in ConnectionOutcome])
    message = serializers.CharField()
    missing_scope = serializers.CharField(
        required=False, allow_blank=True, help_text="`missing_scope` only: the scope the access token lacks."
    )


class StatusMappingSerializer(ModelSerializer):
    class Meta:
        model = StatusMapping
        fields = ["awaiting_payment", "awaiting_shipment", "shipped", "cancelled", "on_hold", "updated_at"]
        read_only_fields = ["updated_at"]

    def validate(self, attrs):
        probe = StatusMapping(**{**(self.instance.lists() if self.instance else {}), **attrs})
        try:
            probe.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict)
        return attrs


class StorefrontSerializer(ModelSerializer):
    class Meta:
        model = Storefront
        fields = ["id", "store", "name", "shipped_status", "currency"]


# --- import runs ------------------------------------------------------------------------------------


class ImportRunSerializer(ModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True)
    skipped_total = serializers.IntegerField(read_only=True)
    skipped = serializers.DictField(child=serializers.IntegerField(), read_only=True)
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)
    recovered = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Reconciliation sweeps: numbers of the orders earlier runs missed.",
    )

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "store",
            "trigger",
            "state",
            "since",
            "window_start",
            "window_end",
            "pages_done",
            "pages_total",
            "progress_percent",
            "orders_seen",
            "orders_created",
            "orders_updated",
            "orders_unchanged",
            "skipped",
            "skipped_total",
            "http_requests",
            "error",
            "queued_at",
            "started_at",
            "heartbeat_at",
            "finished_at",
            "duration_seconds",
            "recovered",
        ]
        read_only_fields = fields


# --- orders -----------------------------------------------------------------------------------------

ORDER_LIST_FIELDS = [
    "id",
    "store",
    "storefront",
    "external_id",
    "number",
    "store_status",
    "status",
    "order_date",
    "modified_at",
    "customer_code",
    "email",
    "ship_to_name",
    "shipping_method",
    "currency",
    "order_total",
    "total_weight",
    "weight_unit",
    "hold_reason",
    "shipped_in_outbound",
    "partially_shipped",
    "needs_attention",
    "attention_reason",
    "imported_at",
    "updated_at",
]


# The columns the list reads: its fields, `shipping` for `partially_shipped`.
ORDER_LIST_COLUMNS = [name for name in ORDER_LIST_FIELDS if name != "partially_shipped"] + ["shipping"]


def _partially_shipped_field():
    return serializers.BooleanField(
        read_only=True, help_text="Outbound shipped part of the order and units are still to ship."
    )


class OrderListSerializer(ModelSerializer):
    partially_shipped = _partially_shipped_field()

    class Meta:
        model = Order
        fields = ORDER_LIST_FIELDS
        read_only_fields = fields


class OrderLineSerializer(ModelSerializer):
    class Meta:
        model = OrderLine
        fields = [
            "id",
            "line_key",
            "position",
            "line_item_id",
            "sku",
            "name",
            "image_url",
            "unit_weight",
            "weight_unit",
            "quantity",
            "unit_price",
            "upc",
            "warehouse_location",
            "options",
            "is_adjustment",
            "is_shippable",
            "product_kind",
        ]
        read_only_fields = fields


class ShipmentLineSerializer(ModelSerializer):
    class Meta:
        model = ShipmentLine
        fields = ["order_line", "quantity"]
        read_only_fields = fields


class ShipmentSerializer(ModelSerializer):
    lines = ShipmentLineSerializer(many=True, read_only=True)
    created_by = serializers.CharField(read_only=True)

    class Meta:
        model = Shipment
        fields = [
            "id",
            "order",
            "carrier",
            "service",
            "tracking_number",
            "tracking_url",
            "ship_date",
            "carrier_fee",
            "notes_to_buyer",
            "internal_notes",
            "notify_buyer",
            "state",
            "delivered_at",
            "voided_at",
            "store_update_state",
            "created_by",
            "created_at",
            "updated_at",
            "lines",
        ]
        read_only_fields = fields


class OrderDetailSerializer(ModelSerializer):
    partially_shipped = _partially_shipped_field()
    lines = OrderLineSerializer(many=True, read_only=True)
    shipments = ShipmentSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            *ORDER_LIST_FIELDS,
            "phone",
            "bill_to",
            "ship_to",
            "payment_method",
            "tax_amount",
            "shipping_amount",
            "discount_total",
            "is_gift",
            "gift_message",
            "customer_notes",
            "internal_notes",
            "custom_field_1",
            "custom_field_2",
            "custom_field_3",
            "requested_warehouse",
            "source",
            "notes_to_buyer",
            "outbound_notes",
            "lines",
            "shipments",
        ]
        read_only_fields = fields

    @staticmethod
    def prefetch(queryset):
        """The queryset with what this serializer reads, so that many orders cost a constant number of
        queries (the API's order detail and the order webhooks' payloads both use it)."""
        shipments = Shipment.objects.select_related("created_by_user").prefetch_related(
            Prefetch("lines", queryset=ShipmentLine.objects.order_by("order_line__position", "pk"))
        )
        return queryset.prefetch_related("lines", Prefetch("shipments", queryset=shipments))


class OrderNotesSerializer(serializers.Serializer):
    outbound_notes = serializers.CharField(
        required=False, allow_blank=True, max_length=10_000, help_text="Internal notes kept in Outbound."
    )
    notes_to_buyer = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class OrderHoldSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


# --- shipments --------------------------------------------------------------------------------------


CARRIER_HELP = (
    "The carrier, by its code (sent to the store as is) or its label, in any case. Codes and labels: "
    + "; ".join(f"`{code}` ({label})" for code, label in Carrier.choices)
    + "."
)


@extend_schema_field(
    {
        "type": "string",
        "enum": Carrier.values + [label for code, label in Carrier.choices if label != code],
        "description": CARRIER_HELP,
        "example": "UPS",
    }
)
class CarrierField(serializers.CharField):
    """A carrier code or label ("DHL" or "DHL Express"), stored as the code."""

    default_error_messages = {
        "unknown": "“{value}” is not a carrier Outbound knows; use a code or label from "
        "the list in the schema, or “Other”."
    }

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        code = carrier_code(value)
        if code is None:
            self.fail("unknown", value=value)
        return code


# A shipment names each line once, and no order has more lines than this: a longer list is refused
# before any id is looked up (the ids are then checked with one query).
MAX_SHIPMENT_LINES = 1000


def _shipment_field(name: str):
    return Shipment._meta.get_field(name)


class ShipmentLineInputSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="An order line id of this order.")
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)


class ShipmentCreateSerializer(serializers.Serializer):
    order = TenantRelatedField(model=Order)
    lines = ShipmentLineInputSerializer(
        many=True,
        required=False,
        allow_empty=False,
        max_length=MAX_SHIPMENT_LINES,
        help_text=f"Omit to ship everything left to ship. At most {MAX_SHIPMENT_LINES} lines, each named once.",
    )
    carrier = CarrierField(help_text=CARRIER_HELP)
    service = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=_shipment_field("service").max_length
    )
    tracking_number = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=TRACKING_INPUT_MAX,
        help_text="Spaces and dashes as carriers print them are removed; anything else but letters and digits "
        "is refused. At most 50 characters once cleaned.",
    )
    ship_date = serializers.DateField(required=False, allow_null=True, default=None)
    carrier_fee = serializers.DecimalField(
        max_digits=_shipment_field("carrier_fee").max_digits,
        decimal_places=_shipment_field("carrier_fee").decimal_places,
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
    )
    notes_to_buyer = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, default=None, max_length=10_000
    )
    internal_notes = serializers.CharField(required=False, allow_blank=True, max_length=10_000, default="")
    notify_buyer = serializers.BooleanField(required=False, default=True)

    def validate(self, attrs):
        order = attrs["order"]
        lines = attrs.get("lines")
        if lines is not None:
            ids = [item["line"] for item in lines]
            if len(set(ids)) != len(ids):
                raise serializers.ValidationError({"lines": ["Name each line once."]})
            # One query for the whole list (the order is the caller's tenant's already).
            known = set(OrderLine.objects.filter(order=order, pk__in=ids).values_list("pk", flat=True))
            wrong = [pk for pk in ids if pk not in known]
            if wrong:
                raise serializers.ValidationError(
                    {
                        "lines": [f"Line {pk} is not on this order." for pk in wrong[:20]]
                        + ([f"… and {len(wrong) - 20} more."] if len(wrong) > 20 else [])
                    }
                )
        return attrs

    def validate_tracking_number(self, value):
        try:
            return tracking_number_clean(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


class ShipmentDeliveredSerializer(serializers.Serializer):
    delivered_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


# --- products ---------------------------------------------------------------------------------------


class ProductBarcodesField(serializers.ListField):
    """Issue 32: the product's barcodes added in Outbound (the pack station also accepts its SKU and the
    UPC the store sends with each line). Written whole: the list given replaces the product's barcodes."""

    def get_attribute(self, instance):
        return [barcode.code for barcode in instance.barcodes.all()]


class ProductSerializer(ModelSerializer):
    barcodes = ProductBarcodesField(
        child=serializers.CharField(max_length=100),
        required=False,
        max_length=50,
        help_text="Barcodes (UPC, EAN, GTIN, any code) that tick this product at the pack station; PATCH "
        "replaces the list. The SKU and the store's UPC always scan.",
    )
    default_package = TenantRelatedField(
        model=PackagePreset, allow_null=True, required=False, help_text="A package preset's id, or null."
    )
    default_shipping_preset = TenantRelatedField(
        model=ShippingPreset, allow_null=True, required=False, help_text="A shipping preset's id, or null."
    )

    def validate_country_of_origin(self, value: str) -> str:
        if value and not (len(value) == 2 and value.isascii() and value.isalpha()):
            raise serializers.ValidationError("Two letters, e.g. CN, or empty.")
        return value.upper()

    class Meta:
        model = Product
        fields = [
            "id",
            "store",
            "sku",
            "name",
            "weight",
            "weight_unit",
            "image_url",
            "warehouse_location",
            "location_set_in_outbound",
            "kind",
            "length",
            "width",
            "height",
            "dimension_unit",
            "default_package",
            "default_shipping_preset",
            "hs_code",
            "country_of_origin",
            "customs_description",
            "barcodes",
            "updated_at",
        ]
        read_only_fields = ["id", "store", "sku", "name", "image_url", "location_set_in_outbound", "kind", "updated_at"]
        extra_kwargs = {
            "weight": {"min_value": 0},
            "length": {"min_value": 0.01},
            "width": {"min_value": 0.01},
            "height": {"min_value": 0.01},
        }


# --- API keys and webhooks --------------------------------------------------------------------------


# --- insights (the dashboard's picture of the day) --------------------------------------------------
