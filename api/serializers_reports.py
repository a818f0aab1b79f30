"""What the API shows of the picture of the day and of a shipment's carrier tracking."""

from __future__ import annotations

import datetime as dt

from rest_framework import serializers

from api.serializers_integration import (  # noqa: E402  (moved; re-exported for callers)
    ApiKeySerializer as ApiKeySerializer,
)
from api.serializers_integration import OutboxMessageSerializer as OutboxMessageSerializer
from api.serializers_integration import WebhookDeliverySerializer as WebhookDeliverySerializer
from api.serializers_integration import WebhookSubscriptionCreatedSerializer as WebhookSubscriptionCreatedSerializer
from api.serializers_integration import WebhookSubscriptionSerializer as WebhookSubscriptionSerializer


class InsightDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    received = serializers.IntegerField(help_text="Orders placed that day (local day of the server's time zone).")
    shipped = serializers.IntegerField(help_text="Orders with a shipment (not voided) whose ship date is that day.")


class InsightWaitingSerializer(serializers.Serializer):
    today = serializers.IntegerField(help_text="Awaiting Shipment, ordered today.")
    one_to_two_days = serializers.IntegerField(help_text="Awaiting Shipment, ordered yesterday or the day before.")
    three_days_or_more = serializers.IntegerField(help_text="Awaiting Shipment for three days or more: late.")
    total = serializers.IntegerField()


class InsightWeekSerializer(serializers.Serializer):
    week_start = serializers.DateField(help_text="The week's Monday.")
    orders = serializers.IntegerField(help_text="Orders whose first shipment was recorded that week.")
    median_hours = serializers.FloatField(
        allow_null=True,
        help_text="Median hours from the order date to its first shipment; null for a week without shipments.",
    )


class InsightSpendSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="The carrier's currency (ISO 4217), e.g. USD.")
    labels = serializers.IntegerField(help_text="Labels bought and not voided.")
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="What the carrier charged for them: the spend."
    )
    voided_labels = serializers.IntegerField(help_text="Labels bought in the window and voided since.")
    voided_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="Their charge, refunded or being refunded: not in the spend."
    )


class InsightSpendDaySerializer(InsightSpendSerializer):
    day = serializers.DateField(help_text="The day the labels were bought.")


class InsightSpendCarrierSerializer(InsightSpendSerializer):
    carrier = serializers.CharField()


class InsightSpendStoreSerializer(InsightSpendSerializer):
    store = serializers.IntegerField()


class InsightLabelSpendSerializer(serializers.Serializer):
    total = InsightSpendSerializer(many=True, help_text="The last 30 days, one entry per currency.")
    per_day = InsightSpendDaySerializer(many=True, help_text="Days with labels bought or voided, oldest first.")
    per_carrier = InsightSpendCarrierSerializer(many=True)
    per_store = InsightSpendStoreSerializer(many=True)


class InsightsSerializer(serializers.Serializer):
    today = serializers.DateField()
    store = serializers.IntegerField(allow_null=True, help_text="The store the figures are limited to, or null.")
    days = InsightDaySerializer(many=True, help_text="The last 30 days, oldest first, ending today.")
    waiting = InsightWaitingSerializer()
    weeks = InsightWeekSerializer(many=True, help_text="The last 8 weeks, oldest first, ending this week.")
    label_spend = InsightLabelSpendSerializer(
        help_text="Shipping labels bought through Outbound in the last 30 days: per day, carrier and store."
    )


class TrackingEventSerializer(serializers.Serializer):
    occurred_at = serializers.DateTimeField(allow_null=True)
    state = serializers.CharField(
        help_text="unknown, in_transit, out_for_delivery, delivered, exception or returned (to the sender)"
    )
    code = serializers.CharField(help_text="The carrier's own event code.")
    description = serializers.CharField()
    location = serializers.CharField()


class ShipmentTrackingSerializer(serializers.Serializer):
    shipment = serializers.IntegerField(source="shipment.pk")
    carrier = serializers.CharField(source="shipment.carrier")
    tracking_number = serializers.CharField(source="shipment.tracking_number")
    followed = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField(
        help_text="unknown, in_transit, out_for_delivery, delivered (by the carrier or by hand), exception or "
        "returned (to the sender: no longer followed, the order flagged)"
    )
    status_text = serializers.SerializerMethodField()
    last_polled_at = serializers.SerializerMethodField()
    next_poll_at = serializers.SerializerMethodField()
    not_followed = serializers.CharField(
        help_text="Why the shipment is not followed: no_account, unsupported, no_number, delivered (marked "
        "delivered by hand), or empty."
    )
    events = TrackingEventSerializer(many=True)

    def get_followed(self, view) -> bool:
        return view.tracking is not None and view.tracking.next_poll_at is not None

    def get_state(self, view) -> str:
        return view.state

    def get_status_text(self, view) -> str:
        return view.tracking.status_text if view.tracking else ""

    def get_last_polled_at(self, view) -> dt.datetime | None:
        return view.tracking.last_polled_at if view.tracking else None

    def get_next_poll_at(self, view) -> dt.datetime | None:
        return view.tracking.next_poll_at if view.tracking else None
