"""What the API shows and takes of the shipping setup: package presets and ship-from locations."""

from __future__ import annotations

from rest_framework import serializers

from carriers.models import PackagePreset, ShipFrom

from .base import ModelSerializer


class PackagePresetSerializer(ModelSerializer):
    class Meta:
        model = PackagePreset
        fields = [
            "id",
            "name",
            "length",
            "width",
            "height",
            "dimension_unit",
            "empty_weight",
            "weight_unit",
            "is_default",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {
            "length": {"min_value": 0.01},
            "width": {"min_value": 0.01},
            "height": {"min_value": 0.01},
            "empty_weight": {"min_value": 0},
        }


class ShipFromSerializer(ModelSerializer):
    country = serializers.RegexField(r"^[A-Za-z]{2}$", max_length=2, required=False, help_text="Two letters, e.g. US.")

    class Meta:
        model = ShipFrom
        fields = [
            "id",
            "name",
            "company",
            "contact_name",
            "phone",
            "email",
            "street1",
            "street2",
            "city",
            "state",
            "postal_code",
            "country",
            "residential",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
