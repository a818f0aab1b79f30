"""The API of issue 30: /api/v1/tags/, /api/v1/presets/ (shipping presets), /api/v1/rules/ (with a preview
and their order), and the orders' choices: tags and presets on a selection, re-applying the rules. Tenant-
scoped like every view; written through orders.rules.services."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from orders.models import Order, Rule, ShippingPreset, Tag
from orders.rules import services as rule_services
from orders.rules.selectors import rule_preview

from . import serializers_rules as sr
from .auth import caller_label
from .base import ApiViewSet

_WRITES = (
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
)


@extend_schema_view(
    list=extend_schema(summary="List tags", tags=["automation"]),
    retrieve=extend_schema(summary="Read a tag", tags=["automation"]),
    create=extend_schema(summary="Add a tag", tags=["automation"]),
    update=extend_schema(summary="Replace a tag", tags=["automation"]),
    partial_update=extend_schema(summary="Edit a tag", tags=["automation"]),
    destroy=extend_schema(summary="Delete a tag", tags=["automation"], description="Orders lose it."),
)
class TagViewSet(*_WRITES, ApiViewSet):
    model = Tag
    serializer_class = sr.TagSerializer
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]

    def perform_create(self, serializer):
        serializer.instance = rule_services.tag_save(tenant=self.request.tenant, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = rule_services.tag_save(
            tenant=self.request.tenant, tag=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        rule_services.tag_delete(tag=instance)


@extend_schema_view(
    list=extend_schema(summary="List shipping presets", tags=["automation"]),
    retrieve=extend_schema(summary="Read a shipping preset", tags=["automation"]),
    create=extend_schema(summary="Add a shipping preset", tags=["automation"]),
    update=extend_schema(summary="Replace a shipping preset", tags=["automation"]),
    partial_update=extend_schema(summary="Edit a shipping preset", tags=["automation"]),
    destroy=extend_schema(
        summary="Delete a shipping preset", tags=["automation"], description="Orders that named it keep none."
    ),
)
class ShippingPresetViewSet(*_WRITES, ApiViewSet):
    model = ShippingPreset
    serializer_class = sr.ShippingPresetSerializer
    write_permission = "manage_stores"
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]

    def perform_create(self, serializer):
        serializer.instance = rule_services.preset_save(tenant=self.request.tenant, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = rule_services.preset_save(
            tenant=self.request.tenant, preset=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        rule_services.preset_delete(preset=instance)


RULE_EXAMPLE = OpenApiExample(
    "Light Outlet orders",
    request_only=True,
    value={
        "name": "Light Outlet orders",
        "match": "all",
        "conditions": [
            {"field": "storefront", "op": "is", "value": "Outlet"},
            {"field": "weight", "op": "lt", "value": 1, "unit": "lb"},
        ],
        "actions": [{"type": "preset", "preset": 3}, {"type": "add_tags", "tags": [1]}],
    },
)


@extend_schema_view(
    list=extend_schema(summary="List automation rules", tags=["automation"]),
    retrieve=extend_schema(summary="Read a rule", tags=["automation"]),
    create=extend_schema(
        summary="Add a rule",
        tags=["automation"],
        examples=[RULE_EXAMPLE],
        description="A malformed condition or action is refused (400) with the field named, and not stored.",
    ),
    update=extend_schema(summary="Replace a rule", tags=["automation"], examples=[RULE_EXAMPLE]),
    partial_update=extend_schema(summary="Edit a rule", tags=["automation"]),
    destroy=extend_schema(summary="Delete a rule", tags=["automation"]),
)
class RuleViewSet(*_WRITES, ApiViewSet):
    model = Rule
    serializer_class = sr.RuleSerializer
    write_permission = "manage_stores"
    ordering_fields = ["position", "id"]
    ordering = ["position", "id"]

    def perform_create(self, serializer):
        serializer.instance = rule_services.rule_save(tenant=self.request.tenant, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = rule_services.rule_save(
            tenant=self.request.tenant, rule=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        rule_services.rule_delete(rule=instance)

    @extend_schema(
        summary="Preview a rule over today's orders",
        tags=["automation"],
        request=sr.RuleSerializer,
        responses={200: sr.RulePreviewSerializer},
        description="How many of today's orders the rule (as sent, not stored) would match, and up to 10.",
    )
    @action(detail=False, methods=["post"])
    def preview(self, request):
        serializer = sr.RuleSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        rule_services.rule_check(tenant=request.tenant, conditions=data["conditions"], actions=data["actions"])
        rule = Rule(tenant=request.tenant, **data)
        found = rule_preview(tenant=request.tenant, rule=rule)
        return Response(sr.RulePreviewSerializer(found, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Put the rules in order",
        tags=["automation"],
        request=sr.RulesOrderSerializer,
        responses={204: None},
        examples=[OpenApiExample("Third first", request_only=True, value={"ids": [3, 1, 2]})],
    )
    @action(detail=False, methods=["post"])
    def reorder(self, request):
        serializer = sr.RulesOrderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule_services.rules_reorder(tenant=request.tenant, ids=serializer.validated_data["ids"])
        return Response(status=204)


class OrderChoicesActions:
    """The orders' choices, as actions of /api/v1/orders/: tags and a preset on a selection, and re-applying
    the rules to one (a person's choice, which later rules keep unless they override it)."""

    @extend_schema(
        summary="Tag or untag orders",
        tags=["orders"],
        request=sr.OrderTagsSerializer,
        responses={200: sr.OrderCountSerializer},
        examples=[OpenApiExample("Tag two orders", request_only=True, value={"orders": [41, 42], "add": [1]})],
    )
    @action(detail=False, methods=["post"], url_path="tags")
    def set_tags(self, request):
        serializer = sr.OrderTagsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        changed = rule_services.orders_tags_set(
            tenant=request.tenant,
            orders=self._selection(data["orders"]),
            actor=caller_label(request),
            add=data["add"],
            remove=data["remove"],
        )
        return Response({"orders": changed})

    @extend_schema(
        summary="Choose the shipping preset of orders",
        tags=["orders"],
        request=sr.OrderPresetSerializer,
        responses={200: sr.OrderCountSerializer},
    )
    @action(detail=False, methods=["post"], url_path="preset")
    def set_preset(self, request):
        serializer = sr.OrderPresetSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        changed = rule_services.orders_preset_set(
            tenant=request.tenant,
            orders=self._selection(data["orders"]),
            preset=data["preset"],
            actor=caller_label(request),
        )
        return Response({"orders": changed})

    @extend_schema(
        summary="Mark orders for a person",
        tags=["orders"],
        request=sr.OrderAssigneeSerializer,
        responses={200: sr.OrderCountSerializer},
        description="A person's choice, which later rules keep unless they override it; null: nobody. "
        "A user who is not a member of the workspace is refused (400).",
        examples=[OpenApiExample("Mark two orders", request_only=True, value={"orders": [41, 42], "assignee": 7})],
    )
    @action(detail=False, methods=["post"], url_path="assignee")
    def set_assignee(self, request):
        serializer = sr.OrderAssigneeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        changed = rule_services.orders_assignee_set(
            tenant=request.tenant,
            orders=self._selection(data["orders"]),
            user=data["assignee"],
            actor=caller_label(request),
        )
        return Response({"orders": changed})

    @extend_schema(
        summary="Re-apply the rules to orders",
        tags=["orders"],
        request=sr.OrderSelectionSerializer,
        responses={200: sr.ReapplyResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="reapply-rules")
    def reapply_rules(self, request):
        serializer = sr.OrderSelectionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        counts = rule_services.rules_reapply(
            tenant=request.tenant,
            orders=self._selection(serializer.validated_data["orders"]),
            actor=caller_label(request),
        )
        return Response(counts)

    @extend_schema(
        summary="Read an order's shipping choices",
        tags=["orders"],
        responses={200: sr.OrderChoicesSerializer},
        description="Its tags, preset, package, person, hold date, and who made each choice (a rule, a person, "
        "a product's default); why the rules skipped it, if they did.",
    )
    @action(detail=True, methods=["get"])
    def choices(self, request, pk=None):
        return Response(sr.OrderChoicesSerializer(self.get_object(), context=self.get_serializer_context()).data)

    def _selection(self, ids):
        return Order.objects.for_tenant(self.request.tenant).filter(pk__in=ids).values_list("pk", flat=True)
