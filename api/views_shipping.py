"""The API's shipping setup: /api/v1/package-presets/ and /api/v1/ship-from/, tenant-scoped like every
view, written through carriers.services (admins and owners; a key that is not read-only)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins

from carriers.models import PackagePreset, ShipFrom
from carriers.services import (
    package_preset_create,
    package_preset_delete,
    package_preset_update,
    ship_from_create,
    ship_from_delete,
    ship_from_update,
)

from . import serializers_shipping as ss
from .base import ApiViewSet

_WRITES = (
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
)

PRESET_EXAMPLE = OpenApiExample(
    "A box",
    request_only=True,
    value={
        "name": "Small box",
        "length": "10",
        "width": "8",
        "height": "4",
        "dimension_unit": "in",
        "empty_weight": "6",
        "weight_unit": "Ounces",
        "is_default": True,
    },
)
SHIP_FROM_EXAMPLE = OpenApiExample(
    "A warehouse",
    request_only=True,
    value={
        "name": "Warehouse",
        "company": "Acme",
        "contact_name": "Sam Shipper",
        "phone": "555-0100",
        "street1": "1 Dock Road",
        "city": "Austin",
        "state": "TX",
        "postal_code": "78701",
        "country": "US",
    },
)


@extend_schema_view(
    list=extend_schema(summary="List package presets", tags=["shipping setup"]),
    retrieve=extend_schema(summary="Read a package preset", tags=["shipping setup"]),
    create=extend_schema(summary="Add a package preset", tags=["shipping setup"], examples=[PRESET_EXAMPLE]),
    update=extend_schema(summary="Replace a package preset", tags=["shipping setup"], examples=[PRESET_EXAMPLE]),
    partial_update=extend_schema(
        summary="Edit a package preset",
        tags=["shipping setup"],
        description="Setting `is_default` takes the flag from the tenant's other presets.",
        examples=[OpenApiExample("Make it the default", request_only=True, value={"is_default": True})],
    ),
    destroy=extend_schema(
        summary="Delete a package preset",
        tags=["shipping setup"],
        description="Products that named it as their default package keep none.",
    ),
)
class PackagePresetViewSet(*_WRITES, ApiViewSet):
    model = PackagePreset
    serializer_class = ss.PackagePresetSerializer
    write_permission = "manage_stores"
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]

    def perform_create(self, serializer):
        serializer.instance = package_preset_create(tenant=self.request.tenant, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = package_preset_update(preset=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        package_preset_delete(preset=instance)


@extend_schema_view(
    list=extend_schema(summary="List ship-from locations", tags=["shipping setup"]),
    retrieve=extend_schema(summary="Read a ship-from location", tags=["shipping setup"]),
    create=extend_schema(summary="Add a ship-from location", tags=["shipping setup"], examples=[SHIP_FROM_EXAMPLE]),
    update=extend_schema(summary="Replace a ship-from location", tags=["shipping setup"], examples=[SHIP_FROM_EXAMPLE]),
    partial_update=extend_schema(
        summary="Edit a ship-from location",
        tags=["shipping setup"],
        examples=[OpenApiExample("New phone", request_only=True, value={"phone": "555-0199"})],
    ),
    destroy=extend_schema(
        summary="Delete a ship-from location",
        tags=["shipping setup"],
        description="Carrier accounts and stores that shipped from it keep no ship-from location.",
    ),
)
class ShipFromViewSet(*_WRITES, ApiViewSet):
    model = ShipFrom
    serializer_class = ss.ShipFromSerializer
    write_permission = "manage_stores"
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]

    def perform_create(self, serializer):
        serializer.instance = ship_from_create(tenant=self.request.tenant, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = ship_from_update(ship_from=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        ship_from_delete(ship_from=instance)
