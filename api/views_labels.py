"""The API's rates and labels (labels.rates, labels.services): `POST /api/v1/orders/{id}/rates/`,
`POST /api/v1/orders/{id}/labels/` (an Idempotency-Key makes a retry answer the first purchase, as the rest
of the API), `GET /api/v1/shipments/{id}/label/?format=pdf|zpl`, `POST /api/v1/shipments/{id}/void-label/`.
The OrderViewSet and ShipmentViewSet (api/views.py) route to these functions."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from rest_framework import renderers, serializers, status
from rest_framework.response import Response

from carriers.selectors import carrier_account_get, package_preset_get
from labels.models import LabelFormat, LabelPurchase
from labels.rates import rates_for
from labels.selectors import document_of_shipment
from labels.services import LabelInProgress, label_buy, label_void

from .auth import caller_label, caller_user
from .base import IDEMPOTENCY_HEADER


class RatesRequestSerializer(serializers.Serializer):
    package = serializers.IntegerField(required=False, allow_null=True, help_text="A package preset's id.")


class RateSerializer(serializers.Serializer):
    account = serializers.IntegerField(source="account_id")
    carrier = serializers.CharField()
    service = serializers.CharField()
    service_name = serializers.CharField()
    price = serializers.DecimalField(max_digits=9, decimal_places=2)
    currency = serializers.CharField()
    delivery_days = serializers.IntegerField(allow_null=True)
    preselected = serializers.BooleanField()


class RatesSerializer(serializers.Serializer):
    rates = RateSerializer(many=True)
    errors = serializers.SerializerMethodField()
    problems = serializers.ListField(child=serializers.CharField())
    no_accounts = serializers.BooleanField()

    def get_errors(self, answer) -> list[dict]:
        return [{"carrier": carrier, "message": words} for carrier, words in answer.errors]


class LabelBuySerializer(serializers.Serializer):
    account = serializers.IntegerField(help_text="The carrier account's id (one of the rates' `account`).")
    service = serializers.CharField(max_length=100, help_text="The rate's `service`, e.g. ups_ground.")
    package = serializers.IntegerField(required=False, allow_null=True)
    price = serializers.DecimalField(
        max_digits=9, decimal_places=2, required=False, allow_null=True, help_text="The rate's price, as shown."
    )
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True, default="")
    format = serializers.ChoiceField(choices=LabelFormat.values, default=LabelFormat.PDF)


class LabelPurchaseSerializer(serializers.ModelSerializer):
    formats = serializers.SerializerMethodField()

    class Meta:
        model = LabelPurchase
        fields = [
            "id",
            "order",
            "account",
            "carrier",
            "service",
            "price",
            "currency",
            "state",
            "reference",
            "tracking_number",
            "shipment",
            "matched",
            "refund_state",
            "error",
            "formats",
            "ship_from",
            "ship_date",
            "manifest",
            "created_at",
            "updated_at",
        ]

    def get_formats(self, purchase) -> list[str]:
        return sorted(purchase.documents.values_list("format", flat=True))


def _package(request, data):
    return package_preset_get(tenant=request.tenant, pk=data["package"]) if data.get("package") else None


def order_rates(request, order) -> Response:
    serializer = RatesRequestSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    answer = rates_for(order, package=_package(request, serializer.validated_data))
    return Response(RatesSerializer(answer).data)


def order_label_buy(request, order) -> Response:
    serializer = LabelBuySerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    key = request.headers.get(IDEMPOTENCY_HEADER) or ""
    if key and (len(key) > 255 or not key.isprintable()):
        raise serializers.ValidationError({IDEMPOTENCY_HEADER: ["Use 1 to 255 printable characters."]})
    try:
        account = carrier_account_get(tenant=request.tenant, pk=data["account"])
    except Http404:
        raise serializers.ValidationError({"account": ["No such carrier account."]}) from None
    replay = bool(key) and LabelPurchase.objects.for_tenant(request.tenant).filter(idempotency_key=key).exists()
    try:
        purchase = label_buy(
            order=order,
            account=account,
            service=data["service"],
            package=_package(request, data),
            price=data.get("price"),
            currency=data.get("currency") or "",
            label_format=data["format"],
            user=caller_user(request),
            created_by_label=caller_label(request),
            idempotency_key=key,
        )
    except LabelInProgress as exc:
        body = {"detail": exc.messages[0], "purchase": LabelPurchaseSerializer(exc.purchase).data}
        return Response(body, status=status.HTTP_409_CONFLICT)
    response = Response(
        LabelPurchaseSerializer(purchase).data, status=status.HTTP_200_OK if replay else status.HTTP_201_CREATED
    )
    if replay:
        response["Idempotent-Replayed"] = "true"
    return response


class _DocumentRenderer(renderers.BaseRenderer):
    """`?format=pdf|zpl` is DRF's format override too: these renderers accept it (a document answers as
    itself; an error as JSON)."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return renderers.JSONRenderer().render(data)


class PdfRenderer(_DocumentRenderer):
    media_type = "application/pdf"
    format = "pdf"


class ZplRenderer(_DocumentRenderer):
    media_type = "application/zpl"
    format = "zpl"


DOCUMENT_RENDERERS = [renderers.JSONRenderer, PdfRenderer, ZplRenderer]


def shipment_label(request, shipment) -> HttpResponse:
    fmt = (request.query_params.get("format") or LabelFormat.PDF).lower()
    if fmt not in LabelFormat.values:
        raise serializers.ValidationError({"format": ["pdf or zpl."]})
    document = document_of_shipment(tenant=request.tenant, shipment_id=shipment.pk, fmt=fmt)
    if document is None:
        raise Http404(f"This shipment has no {fmt.upper()} label.")
    content_type = "application/pdf" if fmt == LabelFormat.PDF else "application/zpl"
    response = HttpResponse(bytes(document.content), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="label-{shipment.tracking_number or shipment.pk}.{fmt}"'
    return response


def shipment_label_void(request, shipment) -> Response:
    purchase = LabelPurchase.objects.for_tenant(request.tenant).filter(shipment=shipment).first()
    if purchase is None:
        raise Http404("This shipment has no label bought in Outbound.")
    label_void(purchase=purchase, user=caller_user(request), actor=caller_label(request))
    purchase.refresh_from_db()
    return Response(LabelPurchaseSerializer(purchase).data)
