"""What a rate needs, as one pure function: an order's shippable lines, a package, the ship-from and the
ship-to → a parcel request, or the list of what is missing, in plain words.

    parcel_for(reference, lines, default_unit, package, ship_from, ship_to) → ParcelOutcome
        .request   ParcelRequest: the total weight in one unit (the lines' unit weights × quantities,
                   their options' weights, plus the empty package), the package's dimensions, both
                   addresses, the reference (the order number)          — or None, and then
        .problems  ["no weight for 2 of 3 lines: SKU-1, SKU-7", "no package: choose a package preset",
                    "no ship-from address for this store", "the ship-to address has no postal code", …]

    rate_request(parcel, services)           karrio's RateRequest of that parcel
    shipment_request(parcel, service, …)     karrio's ShipmentRequest of that parcel

No database, no clock: it is table-tested (tests/carriers/test_parcels.py), like orders/status_machine.py.
Reading an order into these inputs is the orders app's (orders/parcels.py: it sits above this layer).

Never a zero weight: a line without a weight is a problem, not 0; the total is rounded up (to 0.01 lb or
kg), so a few grams never round down to nothing. Units: the stores' Pounds/Ounces/Grams, Kilograms, and
their short names (lb, oz, g, kg); a line without a unit is in the store's default unit (`default_unit`),
as the import reads it. The parcel's unit follows the package: inches → pounds, centimetres → kilograms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

GRAMS_PER: dict[str, Decimal] = {
    "pounds": Decimal("453.59237"),
    "lb": Decimal("453.59237"),
    "lbs": Decimal("453.59237"),
    "ounces": Decimal("28.349523125"),
    "oz": Decimal("28.349523125"),
    "kilograms": Decimal(1000),
    "kg": Decimal(1000),
    "grams": Decimal(1),
    "g": Decimal(1),
}
# How many SKUs a "no weight" problem names before "…".
NAMED_SKUS = 5


def grams(weight: Decimal, unit: str) -> Decimal | None:
    """`weight` in grams, or None for a unit nobody knows."""
    per = GRAMS_PER.get((unit or "").strip().lower())
    return None if per is None else Decimal(weight) * per


@dataclass(frozen=True)
class ParcelLine:
    """One line of the order as it ships: its unit weight (None: unknown) and unit ("" = the store's)."""

    sku: str
    quantity: int
    unit_weight: Decimal | None
    weight_unit: str = ""
    option_weight: Decimal = Decimal(0)  # the chosen options' weights, per unit, in the same unit
    name: str = ""


@dataclass(frozen=True)
class Package:
    name: str
    length: Decimal
    width: Decimal
    height: Decimal
    dimension_unit: str  # "in" | "cm"
    empty_weight: Decimal = Decimal(0)
    weight_unit: str = "Ounces"


@dataclass(frozen=True)
class Party:
    """A sender or a recipient, as karrio's Address wants it."""

    name: str = ""
    company: str = ""
    street1: str = ""
    street2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    phone: str = ""
    email: str = ""
    residential: bool = False


@dataclass(frozen=True)
class ParcelRequest:
    reference: str
    weight: Decimal
    weight_unit: str  # "LB" | "KG" (karrio's units)
    length: Decimal
    width: Decimal
    height: Decimal
    dimension_unit: str  # "IN" | "CM"
    package_name: str
    ship_from: Party
    ship_to: Party


@dataclass
class ParcelOutcome:
    request: ParcelRequest | None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.request is not None


def _line_grams(line: ParcelLine, default_unit: str) -> Decimal | None:
    if line.unit_weight is None:
        return None
    per_unit = Decimal(line.unit_weight) + Decimal(line.option_weight or 0)
    if per_unit <= 0:
        return None
    weight = grams(per_unit, line.weight_unit or default_unit)
    return None if weight is None else weight * line.quantity


def _address_problems(party: Party) -> list[str]:
    missing = []
    if not party.street1.strip():
        missing.append(_("the ship-to address has no street"))
    if not party.city.strip():
        missing.append(_("the ship-to address has no city"))
    if not party.postal_code.strip():
        missing.append(_("the ship-to address has no postal code"))
    if not party.country.strip():
        missing.append(_("the ship-to address has no country"))
    return missing


def parcel_for(
    *,
    reference: str,
    lines: list[ParcelLine],
    default_unit: str,
    package: Package | None,
    ship_from: Party | None,
    ship_to: Party | None,
) -> ParcelOutcome:
    """The parcel of one order, or every reason it cannot be rated (all of them at once, in order: lines,
    package, ship-from, ship-to)."""
    problems: list[str] = []
    shipped = [line for line in lines if line.quantity > 0]
    total = Decimal(0)
    unweighed = []
    for line in shipped:
        weight = _line_grams(line, default_unit)
        if weight is None:
            unweighed.append(line.sku or line.name or "?")
        else:
            total += weight
    if not shipped:
        problems.append(_("nothing to ship: the order has no shippable lines"))
    elif unweighed:
        named = ", ".join(unweighed[:NAMED_SKUS]) + ("…" if len(unweighed) > NAMED_SKUS else "")
        problems.append(
            ngettext(
                "no weight for %(missing)d of %(total)d line: %(skus)s",
                "no weight for %(missing)d of %(total)d lines: %(skus)s",
                len(shipped),
            )
            % {"missing": len(unweighed), "total": len(shipped), "skus": named}
        )
    if package is None:
        problems.append(_("no package: choose a package preset"))
    else:
        empty = grams(package.empty_weight or Decimal(0), package.weight_unit)
        if empty is None or empty < 0:
            problems.append(_("the package's empty weight has a unit Outbound does not know"))
        else:
            total += empty
    if ship_from is None:
        problems.append(_("no ship-from address for this store"))
    if ship_to is None:
        problems.append(_("the order has no ship-to address"))
    else:
        problems.extend(_address_problems(ship_to))
    if problems:
        return ParcelOutcome(None, problems)
    metric = package.dimension_unit.lower() == "cm"
    unit, per = ("KG", GRAMS_PER["kg"]) if metric else ("LB", GRAMS_PER["lb"])
    weight = (total / per).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
    if weight <= 0:  # the lines weigh nothing at all (and so does the box): never sent as zero
        return ParcelOutcome(None, [_("the parcel weighs nothing: give the products or the package a weight")])
    return ParcelOutcome(
        ParcelRequest(
            reference=reference,
            weight=weight,
            weight_unit=unit,
            length=Decimal(package.length),
            width=Decimal(package.width),
            height=Decimal(package.height),
            dimension_unit="CM" if metric else "IN",
            package_name=package.name,
            ship_from=ship_from,
            ship_to=ship_to,
        )
    )


# --- karrio's requests -------------------------------------------------------------------------------


def karrio_address(party: Party):
    from karrio.core.models import Address

    return Address(
        person_name=party.name or None,
        company_name=party.company or None,
        address_line1=party.street1,
        address_line2=party.street2 or None,
        city=party.city,
        state_code=party.state or None,
        postal_code=party.postal_code,
        country_code=party.country,
        phone_number=party.phone or None,
        email=party.email or None,
        residential=party.residential,
    )


def karrio_parcel(parcel: ParcelRequest):
    from karrio.core.models import Parcel

    return Parcel(
        weight=float(parcel.weight),
        weight_unit=parcel.weight_unit,
        length=float(parcel.length),
        width=float(parcel.width),
        height=float(parcel.height),
        dimension_unit=parcel.dimension_unit,
        reference_number=parcel.reference,
    )


def rate_request(parcel: ParcelRequest, services: list[str] | None = None, options: dict | None = None):
    """karrio's RateRequest for the parcel (every service of the carrier when `services` is empty)."""
    from karrio.core.models import RateRequest

    return RateRequest(
        shipper=karrio_address(parcel.ship_from),
        recipient=karrio_address(parcel.ship_to),
        parcels=[karrio_parcel(parcel)],
        services=list(services or []),
        options=dict(options or {}),
        reference=parcel.reference,
    )


def shipment_request(parcel: ParcelRequest, service: str, *, options: dict | None = None, label_type: str = "PDF"):
    """karrio's ShipmentRequest buying `service` for the parcel, its label as `label_type` (PDF or ZPL)."""
    from karrio.core.models import ShipmentRequest

    return ShipmentRequest(
        service=service,
        shipper=karrio_address(parcel.ship_from),
        recipient=karrio_address(parcel.ship_to),
        parcels=[karrio_parcel(parcel)],
        options=dict(options or {}),
        reference=parcel.reference,
        label_type=label_type,
        payment={"paid_by": "sender"},  # karrio-fedex reads it without a default
    )


def party_of_ship_from(location) -> Party:
    """A ShipFrom row (carriers.models) as a Party."""
    return Party(
        name=location.contact_name or location.name,
        company=location.company,
        street1=location.street1,
        street2=location.street2,
        city=location.city,
        state=location.state,
        postal_code=location.postal_code,
        country=location.country,
        phone=location.phone,
        email=location.email,
        residential=location.residential,
    )


def party_of_address(address: dict, *, residential: bool = True) -> Party:
    """An imported address (an order's `ship_to`: name, company, address1, address2, city, state,
    postal_code, country, phone, email) as a Party. A home address unless the store says otherwise."""
    value = {k: str(address.get(k) or "").strip() for k in address}
    flag = address.get("residential")
    return Party(
        name=value.get("name", ""),
        company=value.get("company", ""),
        street1=value.get("address1", ""),
        street2=value.get("address2", ""),
        city=value.get("city", ""),
        state=value.get("state", ""),
        postal_code=value.get("postal_code", ""),
        country=value.get("country", "").upper(),
        phone=value.get("phone", ""),
        email=value.get("email", ""),
        residential=residential if flag is None else str(flag).lower() in ("1", "true", "yes"),
    )
