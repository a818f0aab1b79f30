"""Query filters for list endpoints (django-filter)."""

from __future__ import annotations

import datetime as dt

import django_filters as df
from django import forms

from orders.models import ImportRun, ImportState, Order, OrderStatus, Product
from orders.selectors import partially_shipped_filter, tag_filter
from outbox.models import OutboxState
from shipments.models import Shipment, ShipmentState
from webhooks.models import DeliveryState, WebhookDelivery


class IdFilter(df.NumberFilter):
    """A whole-number id in the database's range (not a float, not 10**30)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


TRUE_FALSE = [("true", "true"), ("false", "false")]


class UtcIsoDateTimeField(df.fields.IsoDateTimeField):
    """An ISO 8601 date-time, sent to the database in UTC: an offset PostgreSQL cannot read (+16:28) or a
    date that leaves the calendar once shifted is a 400, not a 500."""

    def to_python(self, value):
        parsed = super().to_python(value)
        try:
            return parsed.astimezone(dt.UTC) if parsed is not None and parsed.tzinfo is not None else parsed
        except OverflowError:
            raise forms.ValidationError("This date and time is out of range.", code="invalid") from None


class DateTimeFilter(df.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class OrderFilter(df.FilterSet):
    store = IdFilter(field_name="store_id", help_text="Store id.")
    storefront = IdFilter(field_name="storefront_id", help_text="Storefront id.")
    status = df.ChoiceFilter(choices=OrderStatus.choices)
    partially_shipped = df.ChoiceFilter(
        choices=TRUE_FALSE,
        method="filter_partially_shipped",
        help_text="Outbound shipped part of the order and units are still to ship.",
    )
    needs_attention = df.ChoiceFilter(
        choices=TRUE_FALSE,
        method="filter_needs_attention",
        help_text="The store did something Outbound did not apply (see attention_reason).",
    )
    number = df.CharFilter(field_name="number", lookup_expr="iexact", help_text="Order number, exact.")
    email = df.CharFilter(field_name="email", lookup_expr="iexact", help_text="Customer e-mail, exact.")
    modified_since = DateTimeFilter(
        field_name="modified_at", lookup_expr="gte", help_text="Last modified in the store at or after (ISO 8601)."
    )
    modified_until = DateTimeFilter(field_name="modified_at", lookup_expr="lte")
    tag = IdFilter(method="filter_tag", help_text="Tag id: the orders carrying it.")
    assignee = IdFilter(field_name="assignee_id", help_text="A member's user id: the orders marked for them.")
    shipping_preset = IdFilter(field_name="shipping_preset_id", help_text="Shipping preset id: the orders it ships.")
    order_date_from = DateTimeFilter(field_name="order_date", lookup_expr="gte")
    order_date_to = DateTimeFilter(field_name="order_date", lookup_expr="lte")

    class Meta:
        model = Order
        fields = []

    def filter_partially_shipped(self, queryset, name, value):
        return partially_shipped_filter(queryset, value == "true")

    def filter_tag(self, queryset, name, value):
        return tag_filter(queryset, value)

    def filter_needs_attention(self, queryset, name, value):
        return queryset.filter(needs_attention=value == "true")


class ImportRunFilter(df.FilterSet):
    store = IdFilter(field_name="store_id")
    state = df.ChoiceFilter(choices=ImportState.choices)

    class Meta:
        model = ImportRun
        fields = []


class ShipmentFilter(df.FilterSet):
    order = IdFilter(field_name="order_id")
    store = IdFilter(field_name="order__store_id")
    state = df.ChoiceFilter(choices=ShipmentState.choices)
    store_update_state = df.ChoiceFilter(choices=OutboxState.choices)
    tracking_number = df.CharFilter(field_name="tracking_number", lookup_expr="iexact")
    created_since = DateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Shipment
        fields = []


class ProductFilter(df.FilterSet):
    store = IdFilter(field_name="store_id")
    sku = df.CharFilter(field_name="sku", lookup_expr="iexact")

    class Meta:
        model = Product
        fields = []


class WebhookDeliveryFilter(df.FilterSet):
    subscription = IdFilter(field_name="subscription_id")
    state = df.ChoiceFilter(choices=DeliveryState.choices)

    class Meta:
        model = WebhookDelivery
        fields = []
