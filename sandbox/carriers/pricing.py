"""The carrier sandbox's own price lists: zone × weight × service, deterministic (the same request, the
same price, every time).

Zone: from the first three digits of the origin and destination postal codes (2 when they are neighbours,
up to 8 across the country; 8 for a postal code that is not a US ZIP). Weight: the parcel's weight in
pounds, rounded up to a whole pound (1 lb at least). Price: the service's price for 1 lb in the zone, plus
its price per further pound in the zone. Delivery days: the service's days in the zone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    carrier: str  # ups | usps | fedex
    code: str  # the carrier's code (UPS "03", USPS mail class, FedEx serviceType)
    name: str  # the carrier's words
    first_lb: tuple[float, ...]  # price of the first pound, zones 2..8
    per_lb: tuple[float, ...]  # each further pound, zones 2..8
    days: tuple[int, ...]  # business days in transit, zones 2..8

    def price(self, zone: int, weight_lb: float) -> float:
        i = zone - 2
        pounds = billable_pounds(weight_lb)
        return round(self.first_lb[i] + self.per_lb[i] * (pounds - 1), 2)

    def transit_days(self, zone: int) -> int:
        return self.days[zone - 2]


SERVICES: dict[str, list[Service]] = {
    "ups": [
        Service(
            "ups",
            "03",
            "UPS Ground",
            (10.45, 11.02, 11.61, 12.20, 12.71, 13.35, 13.98),
            (0.84, 0.95, 1.12, 1.31, 1.52, 1.76, 2.02),
            (1, 2, 3, 3, 4, 5, 5),
        ),
        Service(
            "ups",
            "02",
            "UPS 2nd Day Air",
            (22.10, 24.35, 26.80, 28.15, 30.40, 31.95, 33.60),
            (2.41, 2.88, 3.36, 3.85, 4.31, 4.79, 5.24),
            (2, 2, 2, 2, 2, 2, 2),
        ),
        Service(
            "ups",
            "01",
            "UPS Next Day Air",
            (38.50, 44.90, 52.75, 58.30, 63.85, 68.40, 72.95),
            (4.12, 4.98, 5.87, 6.71, 7.55, 8.39, 9.21),
            (1, 1, 1, 1, 1, 1, 1),
        ),
    ],
    "usps": [
        Service(
            "usps",
            "USPS_GROUND_ADVANTAGE",
            "USPS Ground Advantage",
            (7.20, 7.55, 7.90, 8.40, 8.95, 9.60, 10.25),
            (0.62, 0.74, 0.89, 1.07, 1.25, 1.46, 1.68),
            (2, 3, 3, 4, 4, 5, 5),
        ),
        Service(
            "usps",
            "PRIORITY_MAIL",
            "Priority Mail",
            (9.25, 9.80, 10.45, 11.30, 12.40, 13.75, 15.10),
            (1.05, 1.32, 1.61, 1.93, 2.27, 2.63, 3.02),
            (1, 2, 2, 3, 3, 3, 3),
        ),
        Service(
            "usps",
            "PRIORITY_MAIL_EXPRESS",
            "Priority Mail Express",
            (30.45, 33.20, 36.35, 39.60, 42.90, 46.10, 49.55),
            (2.88, 3.41, 3.96, 4.52, 5.10, 5.66, 6.23),
            (1, 1, 1, 2, 2, 2, 2),
        ),
    ],
    "fedex": [
        Service(
            "fedex",
            "FEDEX_GROUND",
            "FedEx Ground",
            (10.20, 10.85, 11.45, 12.05, 12.60, 13.20, 13.85),
            (0.81, 0.93, 1.09, 1.28, 1.49, 1.72, 1.98),
            (1, 2, 3, 3, 4, 5, 5),
        ),
        Service(
            "fedex",
            "FEDEX_2_DAY",
            "FedEx 2Day",
            (21.85, 24.10, 26.55, 27.95, 30.15, 31.70, 33.35),
            (2.38, 2.84, 3.31, 3.80, 4.26, 4.73, 5.18),
            (2, 2, 2, 2, 2, 2, 2),
        ),
        Service(
            "fedex",
            "STANDARD_OVERNIGHT",
            "FedEx Standard Overnight",
            (36.90, 43.10, 50.65, 56.05, 61.45, 65.90, 70.25),
            (3.97, 4.80, 5.66, 6.47, 7.29, 8.10, 8.89),
            (1, 1, 1, 1, 1, 1, 1),
        ),
    ],
}


def service(carrier: str, code: str | None) -> Service | None:
    """The carrier's service by its code (None: not one the sandbox sells)."""
    return next((s for s in SERVICES[carrier] if s.code == code), None)


def billable_pounds(weight_lb: float) -> int:
    return max(1, math.ceil(round(float(weight_lb or 0), 6)))


def zone(origin: str | None, destination: str | None) -> int:
    prefixes = []
    for code in (origin, destination):
        digits = (code or "").strip()[:3]
        if len(digits) < 3 or not digits.isdigit():
            return 8
        prefixes.append(int(digits))
    return 2 + min(6, abs(prefixes[0] - prefixes[1]) // 100)


def to_pounds(value, unit: str | None) -> float:
    """A weight in the carrier's unit (LB/LBS/lb, KG/KGS/kg, OZ/oz) in pounds."""
    amount = float(value or 0)
    unit = (unit or "LB").upper()
    if unit.startswith("KG"):
        return amount * 2.20462
    if unit.startswith("OZ"):
        return amount / 16
    return amount
