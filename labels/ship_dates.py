"""A label's ship date, asked once per purchase (docs/end-of-day.md#ship-dates): where the label ships from
(the account's ship-from, else the store's default) and the day its parcel leaves there
(carriers.shipdates.ship_date_for). The confirmation page shows it before anything is bought; label_buy
records it on the purchase, sends it to the carrier (karrio's shipment_date / shipping_date options) and
gives it to the shipment (so the store and the buyer's e-mail carry it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from carriers.models import CarrierAccount, ShipFrom
from carriers.selectors import ship_from_for
from carriers.shipdates import local_now, ship_date_for
from orders.models import Order

# The hour karrio's "shipping_date" option carries (it takes a date and a time; UPS reads it).
PICKUP_TIME = "09:00"


@dataclass(frozen=True)
class ShipDate:
    date: dt.date
    ship_from: ShipFrom | None
    # True when the label ships on a later day than the ship-from's today (after the cutoff, a closed day).
    later: bool = False


def label_ship_date(order: Order, account: CarrierAccount, now: dt.datetime | None = None) -> ShipDate:
    """The ship date of a label bought now for `order` with `account`. No ship-from: today (the site's day);
    the parcel cannot be labelled anyway (what a rate needs says so)."""
    now = now or timezone.now()
    place = ship_from_for(store=order.store, account=account)
    if place is None:
        return ShipDate(timezone.localdate(now), None)
    day = ship_date_for(now, place)
    return ShipDate(day, place, later=day != local_now(now, place).date())


def carrier_date_options(day: dt.date | None) -> dict:
    """karrio's options naming the ship date: `shipment_date` (USPS's mailingDate, FedEx's shipDatestamp)
    and `shipping_date` (UPS's ShipmentDate)."""
    if day is None:
        return {}
    return {"shipment_date": day.isoformat(), "shipping_date": f"{day.isoformat()}T{PICKUP_TIME}"}
