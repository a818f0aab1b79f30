"""The API's webhook subscriptions and deliveries: /api/v1/webhooks/ and /api/v1/webhook-deliveries/,
tenant-scoped like every view."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.services import webhook_send_test, webhook_subscription_create

from . import serializers_integration as si
from .auth import caller_user
from .base import ApiViewSet
from .filters import WebhookDeliveryFilter

WEBHOOK_EXAMPLE = OpenApiExample(
    "Shipments",
    request_only=True,
    value={"url": "https://erp.example.com/hooks/outbound", "events": ["shipment.created", "shipment.delivered"]},
)


@extend_schema_view(
    list=extend_schema(summary="List webhook subscriptions", tags=["webhooks"]),
    retrieve=extend_schema(summary="Read a webhook subscription", tags=["webhooks"]),
    create=extend_schema(
        summary="Subscribe a URL to events",
        tags=["webhooks"],
        responses={201: si.WebhookSubscriptionCreatedSerializer},
        examples=[WEBHOOK_EXAMPLE],
        description="The response carries the signing secret, once. See WEBHOOKS.md to verify.",
    ),
    update=extend_schema(summary="Replace a webhook subscription", tags=["webhooks"], examples=[WEBHOOK_EXAMPLE]),
    partial_update=extend_schema(
        summary="Edit a webhook subscription",
        tags=["webhooks"],
        examples=[OpenApiExample("Pause", request_only=True, value={"is_active": False})],
    ),
    destroy=extend_schema(summary="Delete a webhook subscription", tags=["webhooks"]),
)
class WebhookSubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ApiViewSet,
):
    model = WebhookSubscription
    serializer_class = si.WebhookSubscriptionSerializer
    write_permission = "manage_api_keys"
    idempotency_secret_fields = ("secret",)  # shown once, in the first response; a replay shows it masked
    ordering_fields = ["created_at", "id"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription, secret = webhook_subscription_create(
            tenant=request.tenant, user=caller_user(request), **serializer.validated_data
        )
        data = si.WebhookSubscriptionSerializer(subscription).data
        return Response({**data, "secret": secret}, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Send a test event",
        tags=["webhooks"],
        request=None,
        responses={202: si.WebhookDeliverySerializer},
        description="Queues a `ping` event to this URL through the same outbox as real events.",
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        delivery = webhook_send_test(subscription=self.get_object())
        delivery.refresh_from_db()
        return Response(si.WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(summary="The webhook delivery log", tags=["webhooks"]),
    retrieve=extend_schema(summary="Read one webhook delivery", tags=["webhooks"]),
)
class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    model = WebhookDelivery
    serializer_class = si.WebhookDeliverySerializer
    filterset_class = WebhookDeliveryFilter
    ordering_fields = ["created_at", "id"]
