"""Issue 33 part 1: a label's ship date. Bought after the ship-from's cutoff or on a closed day, a label
ships on the next working day: that date is shown before the purchase, recorded on the purchase and the
shipment, sent to the carrier (the carrier sandbox's truth holds what each request carried), to the store
(the ship notice) and in the buyer's e-mail. The table of cutoffs, weekends and daylight-saving changes is
tests/carriers/test_shipdates.py; here the real purchase, with a ship-from closed today."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from carriers.services import ship_from_update
from carriers.shipdates import WEEKDAYS, local_now
from labels.models import PurchaseState
from labels.services import label_buy
from labels.ship_dates import label_ship_date
from shipments.emails import render_shipment_email
from shipments.services import ship_notice_for
from tests.factories import make_detailed_order

pytestmark = pytest.mark.django_db


def closed_today(dock) -> dt.date:
    """Close the dock on its local today (every other day open): the ship date becomes its tomorrow."""
    today = local_now(timezone.now(), dock).date()
    ship_from_update(ship_from=dock, working_days=WEEKDAYS.replace(str(today.isoweekday()), ""))
    return today + dt.timedelta(days=1)


def ups_day(day: dt.date) -> dt.date:
    """karrio-ups moves a weekend ShipmentDate to the next business day."""
    return day + dt.timedelta(days=max(0, 8 - day.isoweekday())) if day.isoweekday() > 5 else day


@pytest.mark.parametrize(
    "carrier,service", [("USPS", "usps_ground_advantage"), ("FedEx", "fedex_ground"), ("UPS", "ups_ground")]
)
def test_a_label_bought_on_a_closed_day_ships_on_the_next_working_day(
    accounts_a, store_a, carrier_sandbox, carrier, service
):
    account = accounts_a[carrier]
    dock = account.ship_from or store_a.shipping.default_ship_from
    expected = closed_today(dock)
    order = make_detailed_order(store_a)
    shown = label_ship_date(order, account)
    assert (shown.date, shown.ship_from, shown.later) == (expected, dock, True)

    purchase = label_buy(order=order, account=account, service=service, created_by_label="test")
    assert purchase.state == PurchaseState.BOUGHT, purchase.error
    assert (purchase.ship_date, purchase.ship_from) == (expected, dock)
    shipment = purchase.shipment
    assert shipment.ship_date == expected
    [sold] = carrier_sandbox.labels_sold()
    assert sold.ship_date == (ups_day(expected) if carrier == "UPS" else expected).isoformat()
    assert ship_notice_for(shipment, notify_customer=True).ship_date == expected  # what the store is told
    _subject, text, html = render_shipment_email(shipment=shipment, kind="shipment_confirmation")
    words = f"{expected:%A}, {expected:%B} {expected.day}, {expected.year}"
    assert f"Ship date: {words}" in text and words in html


def test_before_the_cutoff_on_a_working_day_the_label_ships_today(accounts_a, store_a, carrier_sandbox):
    account = accounts_a["USPS"]
    dock = store_a.shipping.default_ship_from
    ship_from_update(ship_from=dock, working_days=WEEKDAYS, cutoff_time=dt.time(23, 59, 59), time_zone="Etc/GMT-14")
    local = local_now(timezone.now(), dock)
    if local.time() >= dt.time(23, 59):
        pytest.skip("the last minute of the dock's day")  # not a flake: the cutoff is one second away
    purchase = label_buy(order=make_detailed_order(store_a), account=account, service="usps_ground_advantage")
    assert purchase.ship_date == purchase.shipment.ship_date == local.date()
    [sold] = carrier_sandbox.labels_sold()
    assert sold.ship_date == local.date().isoformat()
