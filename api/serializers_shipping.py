"""What the API shows and takes of the shipping setup: package presets and ship-from locations."""

from __future__ import annotations

import datetime as dt

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from carriers import shipdates
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


@extend_schema_field({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$", "example": "17:00"})
class CutoffField(serializers.Field):
    """A local time of day as HH:MM (the ship-from's daily cutoff)."""

    default_error_messages = {"invalid": "A time of day as HH:MM, e.g. 17:00."}

    def to_representation(self, value):
        return value.strftime("%H:%M") if value else None

    def to_internal_value(self, data):
        try:
            return dt.datetime.strptime(str(data), "%H:%M").time()
        except ValueError:
            self.fail("invalid")


class ShipFromSerializer(ModelSerializer):
    country = serializers.RegexField(r"^[A-Za-z]{2}$", max_length=2, required=False, help_text="Two letters, e.g. US.")
    time_zone = serializers.ChoiceField(
        choices=[], required=False, help_text="An IANA time zone, e.g. America/Chicago: the cutoff is on that clock."
    )
    cutoff_time = CutoffField(
        required=False, help_text="HH:MM, local: a label bought at or after it ships on the next working day."
    )
    working_days = serializers.RegexField(
        r"^[1-7]{1,7}$",
        max_length=7,
        required=False,
        help_text="ISO weekdays as digits, 1 (Monday) to 7 (Sunday): 12345 is Monday to Friday.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = shipdates.time_zone_names()

    def validate_working_days(self, value):
        days = shipdates.normal_days(value)
        if len(days) != len(value):
            raise serializers.ValidationError("A day is listed twice.")
        return days

    class Meta:
        model = ShipFrom
        fields = ["id", *SHIP_FROM_FIELDS, "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
