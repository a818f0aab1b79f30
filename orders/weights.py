"""Weights between the units a store sends (Pounds, Ounces, Grams)."""

from __future__ import annotations

from decimal import Decimal

GRAMS_PER_UNIT = {"Pounds": Decimal("453.59237"), "Ounces": Decimal("28.349523125"), "Grams": Decimal(1)}


def weight_convert(value: Decimal | None, unit: str, to_unit: str) -> Decimal | None:
    """`value` in `unit` expressed in `to_unit` (3 decimals); unchanged when either unit is unknown or blank."""
    if value is None or unit == to_unit or unit not in GRAMS_PER_UNIT or to_unit not in GRAMS_PER_UNIT:
        return value
    return (Decimal(value) * GRAMS_PER_UNIT[unit] / GRAMS_PER_UNIT[to_unit]).quantize(Decimal("0.001"))
