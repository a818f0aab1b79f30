"""What the API shows and takes of the shipping setup: package presets and ship-from locations."""

from __future__ import annotations

from rest_framework import serializers

from carriers.models import PRESET_FIELDS, SHIP_FROM_FIELDS, PackagePreset, ShipFrom

from .base import ModelSerializer


class PackagePresetSerializer(ModelSerializer):
    class Meta:
        model = PackagePreset
        fields = ["id", *PRESET_FIELDS, "created_at", "updated_at"]
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
        fields = ["id", *SHIP_FROM_FIELDS, "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
