"""What a rate needs (carriers.parcels.parcel_for), as a table: an order's lines, a package, the addresses →
a parcel, or the missing pieces in plain words. Then karrio's requests built from a parcel, and a real order
read into the function (orders.parcels.order_parcel)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from carriers.parcels import (
    Package,
    ParcelLine,
    Party,
    parcel_for,
    party_of_address,
    rate_request,
    shipment_request,
)

BOX_IN = Package("Small box", D(10), D(8), D(4), "in", D(6), "Ounces")
BOX_CM = Package("Carton", D(30), D(20), D(10), "cm", D(250), "Grams")
HOME = Party(
    name="Sam", company="Acme", street1="1 Dock Rd", city="Austin", state="TX", postal_code="78701", country="US"
)
BUYER = Party(name="Pat", street1="9 Elm St", city="Denver", state="CO", postal_code="80202", country="US")


def line(sku, qty, weight, unit="", options=D(0)):
    return ParcelLine(
        sku=sku,
        quantity=qty,
        unit_weight=None if weight is None else D(weight),
        weight_unit=unit,
        option_weight=options,
    )


# (case, lines, store default unit, package, ship_from, ship_to) → (weight, unit) or the problems
CASES = [
    (
        "pounds and the box's ounces: 2 × 1.5 lb + 6 oz = 3.375 lb, rounded up",
        [line("MUG", 2, "1.5", "Pounds")],
        "Pounds",
        BOX_IN,
        HOME,
        BUYER,
        (D("3.38"), "LB"),
    ),
    (
        "a line without a unit is in the store's default (ounces): 3 × 8 oz + 6 oz = 30 oz = 1.875 lb",
        [line("SOCK", 3, "8")],
        "Ounces",
        BOX_IN,
        HOME,
        BUYER,
        (D("1.88"), "LB"),
    ),
    (
        "mixed units, metric box: 500 g + 1 kg + 2 × 4 oz (226.8 g) + 250 g box = 1.9768 kg",
        [line("A", 1, "500", "Grams"), line("B", 1, "1", "kg"), line("C", 2, "4", "oz")],
        "Pounds",
        BOX_CM,
        HOME,
        BUYER,
        (D("1.98"), "KG"),
    ),
    (
        "the options' weights count per unit: 2 × (1 lb + 0.5 lb) + 6 oz",
        [line("FRAME", 2, "1", "Pounds", options=D("0.5"))],
        "Pounds",
        BOX_IN,
        HOME,
        BUYER,
        (D("3.38"), "LB"),
    ),
    (
        "one gram never rounds down to zero",
        [line("PIN", 1, "1", "Grams")],
        "Pounds",
        Package("Envelope", D(9), D(6), D("0.5"), "in", D(0), "Ounces"),
        HOME,
        BUYER,
        (D("0.01"), "LB"),
    ),
    (
        "a line of quantity 0 (removed from the order) is not shipped, nor asked for a weight",
        [line("MUG", 1, "1", "Pounds"), line("GONE", 0, None)],
        "Pounds",
        BOX_IN,
        HOME,
        BUYER,
        (D("1.38"), "LB"),
    ),
    (
        "lines without a weight are named, never sent as zero",
        [line("SKU-1", 1, None), line("SKU-2", 1, "2", "Pounds"), line("SKU-7", 4, "0")],
        "Pounds",
        BOX_IN,
        HOME,
        BUYER,
        ["no weight for 2 of 3 lines: SKU-1, SKU-7"],
    ),
    (
        "a weight in a unit nobody knows is no weight",
        [line("ODD", 1, "3", "stone")],
        "Pounds",
        BOX_IN,
        HOME,
        BUYER,
        ["no weight for 1 of 1 line: ODD"],
    ),
    (
        "no package",
        [line("MUG", 1, "1", "Pounds")],
        "Pounds",
        None,
        HOME,
        BUYER,
        ["no package: choose a package preset"],
    ),
    (
        "no ship-from",
        [line("MUG", 1, "1", "Pounds")],
        "Pounds",
        BOX_IN,
        None,
        BUYER,
        ["no ship-from address for this store"],
    ),
    (
        "a ship-to without a postal code",
        [line("MUG", 1, "1", "Pounds")],
        "Pounds",
        BOX_IN,
        HOME,
        Party(name="Pat", street1="9 Elm St", city="Denver", country="US"),
        ["the ship-to address has no postal code"],
    ),
    (
        "everything missing at once, in order",
        [line("SKU-1", 1, None)],
        "Pounds",
        None,
        None,
        Party(name="Pat"),
        [
            "no weight for 1 of 1 line: SKU-1",
            "no package: choose a package preset",
            "no ship-from address for this store",
            "the ship-to address has no street",
            "the ship-to address has no city",
            "the ship-to address has no postal code",
            "the ship-to address has no country",
        ],
    ),
    (
        "no shippable line at all",
        [],
        "Pounds",
        BOX_IN,
        HOME,
        BUYER,
        ["nothing to ship: the order has no shippable lines"],
    ),
    (
        "no ship-to at all",
        [line("MUG", 1, "1", "Pounds")],
        "Pounds",
        BOX_IN,
        HOME,
        None,
        ["the order has no ship-to address"],
    ),
    (
        "more than five SKUs without a weight: the first five, then …",
        [line(f"S{i}", 1, None) for i in range(7)],
        "Pounds",
        BOX_IN,
        HOME,
        BUYER,
        ["no weight for 7 of 7 lines: S0, S1, S2, S3, S4…"],
    ),
]


@pytest.mark.parametrize("case,lines,unit,package,ship_from,ship_to,expected", CASES, ids=[c[0] for c in CASES])
def test_the_parcel_table(case, lines, unit, package, ship_from, ship_to, expected):
    outcome = parcel_for(
        reference="A-100", lines=lines, default_unit=unit, package=package, ship_from=ship_from, ship_to=ship_to
    )
    if isinstance(expected, list):
        assert outcome.request is None and outcome.problems == expected
    else:
        assert outcome.problems == [] and outcome.ok
        assert (outcome.request.weight, outcome.request.weight_unit) == expected
        assert outcome.request.weight > 0
        assert outcome.request.dimension_unit == ("CM" if package.dimension_unit == "cm" else "IN")


def test_the_problems_are_in_french_for_a_french_reader():
    from django.utils import translation

    with translation.override("fr"):
        outcome = parcel_for(
            reference="A-1",
            lines=[line("SKU-1", 1, None)],
            default_unit="Pounds",
            package=None,
            ship_from=None,
            ship_to=BUYER,
        )
    assert outcome.problems == [
        "aucun poids pour 1 ligne sur 1 : SKU-1",
        "aucun colis : choisissez un colis prédéfini",
        "aucune adresse d'expédition pour cette boutique",
    ]


def test_karrios_requests_carry_the_parcel_the_addresses_and_the_order_number():
    parcel = parcel_for(
        reference="A-100",
        lines=[line("MUG", 2, "1.5", "Pounds")],
        default_unit="Pounds",
        package=BOX_IN,
        ship_from=HOME,
        ship_to=BUYER,
    ).request
    rates = rate_request(parcel, services=["ups_ground"])
    assert rates.reference == "A-100" and rates.services == ["ups_ground"]
    assert (rates.shipper.postal_code, rates.shipper.company_name, rates.shipper.state_code) == ("78701", "Acme", "TX")
    assert (rates.recipient.address_line1, rates.recipient.city, rates.recipient.country_code) == (
        "9 Elm St",
        "Denver",
        "US",
    )
    [box] = rates.parcels
    assert (box.weight, box.weight_unit, box.length, box.width, box.height, box.dimension_unit) == (
        3.38,
        "LB",
        10.0,
        8.0,
        4.0,
        "IN",
    )
    buy = shipment_request(parcel, "usps_priority_mail", label_type="ZPL")
    assert (buy.service, buy.reference, buy.label_type, buy.parcels[0].weight) == (
        "usps_priority_mail",
        "A-100",
        "ZPL",
        3.38,
    )
    # karrio's own serializer accepts them (what its mappers read).
    import karrio.lib as lib

    assert lib.to_dict(buy)["recipient"]["postal_code"] == "80202"


def test_an_imported_address_becomes_a_party():
    party = party_of_address(
        {
            "name": "Jane",
            "address1": "1 Main St",
            "address2": "Apt 2",
            "city": "Austin",
            "state": "TX",
            "postal_code": " 78701 ",
            "country": "us",
            "phone": "555",
        }
    )
    assert party == Party(
        name="Jane",
        street1="1 Main St",
        street2="Apt 2",
        city="Austin",
        state="TX",
        postal_code="78701",
        country="US",
        phone="555",
        residential=True,
    )
