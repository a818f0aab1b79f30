"""The API's end of day (labels.endofday): `GET /api/v1/manifests/waiting/` (the labels waiting, per
ship-from, carrier and ship date), `POST /api/v1/manifests/` (make one: the carrier's manifest through
karrio, USPS's SCAN form), `GET /api/v1/manifests/`, `GET /api/v1/manifests/{id}/`,
`GET /api/v1/manifests/{id}/document/` (the PDF), `POST /api/v1/manifests/{id}/release/` (an uncertain one's
labels go back to waiting). Tenant-scoped like every view (ApiViewSet); writes need the ship permission."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from carriers.models import CarrierCode, ShipFrom
from labels.endofday.selectors import waiting
from labels.endofday.services import manifest_create, manifest_release
from labels.models import Manifest, ManifestState

from .auth import caller_label, caller_user
from .base import ApiViewSet, IdempotentMixin
from .views_labels import DOCUMENT_RENDERERS


class ManifestSerializer(serializers.ModelSerializer):
    has_document = serializers.BooleanField(read_only=True)

    class Meta:
        model = Manifest
        fields = [
            "id",
            "ship_from",
            "carrier",
            "ship_date",
            "state",
            "label_count",
            "tracking_numbers",
            "carrier_number",
            "has_document",
            "error",
            "created_by_label",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ManifestCreateSerializer(serializers.Serializer):
    ship_from = serializers.IntegerField(help_text="The ship-from location's id.")
    carrier = serializers.ChoiceField(choices=CarrierCode.values)
    ship_date = serializers.DateField(help_text="The labels' ship date (one of `waiting`'s).")


class WaitingSerializer(serializers.Serializer):
    ship_from = serializers.IntegerField(source="ship_from.pk")
    ship_from_name = serializers.CharField(source="ship_from.name")
    carrier = serializers.CharField()
    ship_date = serializers.DateField()
    labels = serializers.IntegerField(source="count")
    has_manifest = serializers.BooleanField(help_text="False: the carrier has no manifest call (UPS, FedEx).")


@extend_schema_view(
    list=extend_schema(summary="List end-of-day manifests", tags=["end of day"]),
    retrieve=extend_schema(summary="Read a manifest", tags=["end of day"]),
)
class ManifestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    model = Manifest
    serializer_class = ManifestSerializer
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def scope(self, queryset):
        return queryset.defer("document")

    def initial(self, request, *args, **kwargs):
        if getattr(self, "action", None) == "create":
            # A manifest commits itself and its labels before the carrier is called, so it cannot run inside
            # the mixin's transaction; a retry finds the labels on the first and answers 400 (nothing waits).
            return super(IdempotentMixin, self).initial(request, *args, **kwargs)
        return super().initial(request, *args, **kwargs)

    @extend_schema(
        summary="Make an end-of-day manifest",
        tags=["end of day"],
        request=ManifestCreateSerializer,
        responses={201: ManifestSerializer, 400: OpenApiResponse(description="No manifest call, or nothing waits.")},
        examples=[
            OpenApiExample(
                "USPS SCAN form",
                request_only=True,
                value={"ship_from": 1, "carrier": "USPS", "ship_date": "2026-12-07"},
            )
        ],
        description="Every bought label of the ship-from and carrier shipping that day and on no manifest yet "
        "(voided ones never) goes on one carrier manifest (USPS: a SCAN form). `state` `made`: its PDF is at "
        "`document/`; `failed`: the carrier refused (`error`), the labels wait again; `uncertain`: no answer, "
        "check with the carrier, then `release/`. A carrier without a manifest call answers 400.",
    )
    def create(self, request):
        serializer = ManifestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        place = ShipFrom.objects.for_tenant(request.tenant).filter(pk=data["ship_from"]).first()
        if place is None:
            raise serializers.ValidationError({"ship_from": ["No such ship-from location."]})
        manifest = manifest_create(
            tenant=request.tenant,
            ship_from=place,
            carrier=data["carrier"],
            ship_date=data["ship_date"],
            user=caller_user(request),
            created_by_label=caller_label(request),
        )
        return Response(ManifestSerializer(manifest).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Labels waiting for an end of day",
        tags=["end of day"],
        responses={200: WaitingSerializer(many=True)},
        description="Per ship-from, carrier and ship date: how many bought labels are on no manifest yet.",
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def waiting(self, request):
        return Response(WaitingSerializer(waiting(tenant=request.tenant), many=True).data)

    @extend_schema(
        summary="A manifest's document",
        tags=["end of day"],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: OpenApiResponse(description="None.")},
    )
    @action(detail=True, methods=["get"], renderer_classes=DOCUMENT_RENDERERS)
    def document(self, request, pk=None):
        manifest = Manifest.objects.for_tenant(request.tenant).filter(pk=self.get_object().pk).first()
        if manifest is None or manifest.state != ManifestState.MADE or not manifest.document:
            raise Http404("This manifest has no document.")
        response = HttpResponse(bytes(manifest.document), content_type="application/pdf")
        name = manifest.carrier_number or manifest.pk
        response["Content-Disposition"] = f'inline; filename="manifest-{name}.pdf"'
        return response

    @extend_schema(
        summary="Release an uncertain manifest's labels",
        tags=["end of day"],
        request=None,
        responses={200: ManifestSerializer},
        description="After checking with the carrier that the manifest was not made: its labels wait again.",
    )
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        manifest = manifest_release(manifest=self.get_object(), user=caller_user(request), actor=caller_label(request))
        return Response(ManifestSerializer(manifest).data)
