"""What the API shows and takes of tags, shipping presets, automation rules and an order's choices (issue 30).
Webhook payloads are unchanged: they serialise orders with OrderDetailSerializer, which these leave alone."""

from __future__ import annotations

from rest_framework import serializers

from carriers.models import CarrierAccount, PackagePreset
from orders.models import Order, Rule, ShippingPreset, Tag
from stores.models import Store

from .base import ModelSerializer, TenantRelatedField
from .serializers import ORDER_LIST_FIELDS, OrderListSerializer


class TagSerializer(ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name", "color", "created_at"]
        read_only_fields = ["id", "created_at"]


class ShippingPresetSerializer(ModelSerializer):
    carrier_account = TenantRelatedField(model=CarrierAccount, help_text="A carrier account's id.")
    package = TenantRelatedField(
        model=PackagePreset, allow_null=True, required=False, help_text="A package preset's id, or null."
    )

    class Meta:
        model = ShippingPreset
        fields = [
            "id",
            "name",
            "carrier_account",
            "service",
            "package",
            "confirmation",
            "insurance",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"insurance": {"min_value": 0}}


class RuleSerializer(ModelSerializer):
    store = TenantRelatedField(model=Store, allow_null=True, required=False, help_text="Only this store's orders.")
    conditions = serializers.JSONField(
        help_text='[{"field": "weight", "op": "lt", "value": 1, "unit": "lb"}, …]; see docs/rules.md.'
    )
    actions = serializers.JSONField(help_text='[{"type": "preset", "preset": 3}, {"type": "add_tags", "tags": [1]}]')

    class Meta:
        model = Rule
        fields = [
            "id",
            "name",
            "store",
            "position",
            "enabled",
            "match",
            "conditions",
            "actions",
            "override_manual",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class RulePreviewSerializer(serializers.Serializer):
    today = serializers.IntegerField(help_text="Today's orders read.")
    matched = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Orders the rule cannot read (a field they lack).")
    sample = OrderListSerializer(many=True)


class RulesOrderSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=1000)


CHOICE_FIELDS = ["shipping_preset", "package", "assignee", "hold_until", "tags", "choices", "rules_error"]


class OrderChoicesMixin(serializers.Serializer):
    tags = serializers.PrimaryKeyRelatedField(many=True, read_only=True, help_text="The order's tag ids.")
    choices = serializers.JSONField(
        read_only=True, help_text="Who set each choice: a rule (its id and name), a person, a product."
    )


class OrderListWithChoicesSerializer(OrderChoicesMixin, OrderListSerializer):
    class Meta(OrderListSerializer.Meta):
        fields = [*ORDER_LIST_FIELDS, "shipping_preset", "assignee", "tags"]
        read_only_fields = fields


class OrderChoicesSerializer(OrderChoicesMixin, ModelSerializer):
    """An order's shipping choices and who made each (GET /api/v1/orders/{id}/choices/)."""

    class Meta:
        model = Order
        fields = ["id", *CHOICE_FIELDS]
        read_only_fields = fields


class OrderSelectionSerializer(serializers.Serializer):
    orders = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=1000, help_text="Order ids."
    )


class OrderTagsSerializer(OrderSelectionSerializer):
    add = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, default=list)
    remove = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, default=list)


class OrderPresetSerializer(OrderSelectionSerializer):
    preset = TenantRelatedField(model=ShippingPreset, allow_null=True, help_text="A shipping preset's id, or null.")


class OrderAssigneeSerializer(OrderSelectionSerializer):
    assignee = serializers.IntegerField(min_value=1, allow_null=True, help_text="A member's user id, or null: nobody.")


class ReapplyResultSerializer(serializers.Serializer):
    changed = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    skipped = serializers.IntegerField()


class OrderCountSerializer(serializers.Serializer):
    orders = serializers.IntegerField(help_text="Orders changed.")
