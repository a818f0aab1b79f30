"""The API's label batches (labels.batches, docs/labels.md#batches):

* `POST /api/v1/label-batches/` `{"orders": [ids], "mode": "cheapest"|"preset"|"order_preset", "preset",
  "package", "format", "confirm"}`: `confirm: false` answers the preview (every order's rate or why it cannot
  be labelled, the total, today's spend and the daily limit) and buys nothing; `confirm: true` needs an
  `Idempotency-Key` and buys: the preview is made and confirmed at once (or `"preview": id` confirms a preview
  already read). The same key again answers the same batch (200, `Idempotent-Replayed`), never a second one.
* `GET /api/v1/label-batches/{id}/`: progress and each order's result.
* `GET /api/v1/label-batches/{id}/document/?format=pdf|zpl`: the merged labels.

A batch commits its purchases before the carriers are called, so it cannot run inside the API's idempotency
transaction: its key is the batch's own (`LabelBatch.key`, unique per tenant), as a label's is.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from carriers.models import PackagePreset
from labels import batches
from labels.models import BatchMode, LabelBatch, LabelFormat
from labels.selectors import spend_today
from orders.models import Order, ShippingPreset

from .auth import caller_label, caller_user
from .base import IDEMPOTENCY_HEADER, ApiViewSet, IdempotentMixin, TenantRelatedField
from .views_labels import DOCUMENT_RENDERERS


class LabelBatchRequestSerializer(serializers.Serializer):
    orders = serializers.ListField(
        child=serializers.IntegerField(), min_length=1, max_length=batches.MAX_BATCH, required=False
    )
    mode = serializers.ChoiceField(choices=BatchMode.values, default=BatchMode.CHEAPEST)
    preset = TenantRelatedField(model=ShippingPreset, required=False, allow_null=True)
    package = TenantRelatedField(model=PackagePreset, required=False, allow_null=True)
    format = serializers.ChoiceField(choices=LabelFormat.values, default=LabelFormat.PDF)
    confirm = serializers.BooleanField(default=False, help_text="true: buy (needs an Idempotency-Key).")
    preview = serializers.IntegerField(required=False, help_text="Confirm this preview (its id).")

    def validate(self, data):
        if not data.get("orders") and not data.get("preview"):
            raise serializers.ValidationError({"orders": ["Name the orders (at most 500)."]})
        return data


class LabelBatchItemSerializer(serializers.Serializer):
    order = serializers.IntegerField(source="order_id")
    order_number = serializers.CharField(source="order.number")
    outcome = serializers.SerializerMethodField(help_text="pending, bought, failed, uncertain or skipped.")
    carrier = serializers.CharField()
    service = serializers.CharField()
    price = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    delivery_days = serializers.IntegerField(allow_null=True)
    problem = serializers.CharField(help_text="Why it cannot be labelled (the preview).")
    purchase = serializers.IntegerField(source="purchase_id", allow_null=True)
    tracking_number = serializers.SerializerMethodField()
    cost = serializers.SerializerMethodField(help_text="What the carrier charged, once bought.")
    error = serializers.SerializerMethodField()

    def get_outcome(self, item) -> str:
        return batches.item_outcome(item)

    def get_tracking_number(self, item) -> str:
        return item.purchase.tracking_number if item.purchase_id else ""

    def get_cost(self, item) -> str | None:
        purchase = item.purchase
        return str(purchase.price) if purchase is not None and purchase.state == "bought" else None

    def get_error(self, item) -> str:
        return (item.purchase.error if item.purchase_id else "") or item.error


class LabelBatchSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()
    spend_today = serializers.SerializerMethodField()
    daily_limit = serializers.SerializerMethodField()

    class Meta:
        model = LabelBatch
        fields = [
            "id",
            "state",
            "mode",
            "shipping_preset",
            "package",
            "label_format",
            "total_price",
            "currency",
            "spend_today",
            "daily_limit",
            "progress",
            "items",
            "created_at",
            "confirmed_at",
            "finished_at",
        ]

    def get_progress(self, batch) -> dict:
        return batches.batch_progress(batch)

    def get_items(self, batch) -> list[dict]:
        return LabelBatchItemSerializer(batches.batch_items(batch), many=True).data

    def get_spend_today(self, batch) -> str:
        return str(spend_today(tenant=batch.tenant_id))

    def get_daily_limit(self, batch) -> str | None:
        limit = batch.tenant.daily_label_limit
        return None if limit is None else str(limit)


@extend_schema_view(
    list=extend_schema(summary="List label batches", tags=["labels"]),
    retrieve=extend_schema(summary="A label batch: its progress and each order's result", tags=["labels"]),
)
class LabelBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    model = LabelBatch
    serializer_class = LabelBatchSerializer
    ordering = ["-created_at", "-id"]

    def scope(self, queryset):
        return queryset.select_related("tenant")

    def initial(self, request, *args, **kwargs):
        # A batch commits its purchases before the carriers are called: never inside the mixin's transaction.
        return super(IdempotentMixin, self).initial(request, *args, **kwargs)

    @extend_schema(
        summary="Preview, or buy, the labels of many orders",
        tags=["labels"],
        request=LabelBatchRequestSerializer,
        responses={
            201: LabelBatchSerializer,
            200: OpenApiResponse(LabelBatchSerializer, description="The same Idempotency-Key: the same batch."),
        },
        description="`confirm: false` previews (nothing bought); `confirm: true` buys, with an `Idempotency-Key` "
        "(required): the same key answers the same batch. A batch whose total would take today's label spend "
        "over the tenant's daily limit is refused (400) before anything is bought.",
    )
    def create(self, request, *args, **kwargs):
        serializer = LabelBatchRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        key = request.headers.get(IDEMPOTENCY_HEADER) or ""
        if key and (len(key) > 100 or not key.isprintable()):
            raise serializers.ValidationError({IDEMPOTENCY_HEADER: ["Use 1 to 100 printable characters."]})
        if data["confirm"] and not key:
            raise serializers.ValidationError({IDEMPOTENCY_HEADER: ["Buying labels needs an Idempotency-Key."]})
        tenant = request.tenant
        replay = bool(key) and LabelBatch.objects.for_tenant(tenant).filter(key=f"api:{key}").first()
        if replay:
            response = Response(LabelBatchSerializer(replay).data, status=status.HTTP_200_OK)
            response["Idempotent-Replayed"] = "true"
            return response
        if data.get("preview"):
            batch = batches.label_batch_get(tenant=tenant, pk=data["preview"])
        else:
            found = Order.objects.for_tenant(tenant).in_bulk(data["orders"])
            missing = [pk for pk in data["orders"] if pk not in found]
            if missing:
                raise serializers.ValidationError({"orders": [f"No such order: {', '.join(map(str, missing[:10]))}."]})
            import uuid

            batch = batches.label_batch_preview(
                tenant=tenant,
                orders=[found[pk] for pk in dict.fromkeys(data["orders"])],
                mode=data["mode"],
                preset=data.get("preset"),
                package=data.get("package"),
                label_format=data["format"],
                key=f"api:{key}" if key else f"api-preview:{uuid.uuid4().hex}",
                user=caller_user(request),
                created_by_label=caller_label(request),
            )
        if data["confirm"]:
            batch = batches.label_batch_confirm(batch=batch, user=caller_user(request))
        batch = LabelBatch.objects.select_related("tenant").get(pk=batch.pk)
        return Response(LabelBatchSerializer(batch).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The merged labels of a batch",
        tags=["labels"],
        responses={(200, "application/pdf"): bytes, (200, "application/zpl"): bytes},
    )
    @action(detail=True, methods=["get"], renderer_classes=DOCUMENT_RENDERERS)
    def document(self, request, pk=None):
        batch = self.get_object()
        fmt = (request.query_params.get("format") or batch.label_format).lower()
        if fmt not in LabelFormat.values:
            raise serializers.ValidationError({"format": ["pdf or zpl."]})
        if fmt != batch.label_format:
            raise Http404(f"This batch bought {batch.label_format.upper()} labels.")
        content, count = batches.label_batch_document(batch)
        if not count:
            raise Http404("This batch has no label documents.")
        response = HttpResponse(content, content_type="application/pdf" if fmt == "pdf" else "application/zpl")
        response["Content-Disposition"] = f'inline; filename="labels-{batch.pk}.{fmt}"'
        return response
