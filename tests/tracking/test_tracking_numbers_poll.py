"""Issue 25 item 2, tracking side: one number the carrier cannot take never holds back the others of its
batch (the failed request is split), and its shipment shows the carrier's own reason. Real karrio over
loopback against the carrier sandbox."""

from __future__ import annotations

import pytest

from shipments.models import Shipment
from tests.factories import make_shipment
from tracking.models import ShipmentTracking, TrackingState
from tracking.services import tracking_poll_due

from .conftest import order_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("carrier", ["UPS", "USPS"])
def test_a_number_that_fails_its_whole_request_does_not_stall_the_others(carrier, shop, carriers, request):
    request.getfixturevalue(f"{carrier.lower()}_account")
    numbers = ["1ZSPLIT001", "1ZSPLIT002", "1ZGARBLED003", "1ZSPLIT004", "1ZSPLIT005"]
    shipments = {n: make_shipment(order_for(shop), carrier=carrier, tracking_number=n) for n in numbers}

    result = tracking_poll_due()

    assert result["batches"] == 1  # all five went out together
    trackings = {t.shipment.tracking_number: t for t in ShipmentTracking.objects.select_related("shipment")}
    for number in numbers:
        if number == "1ZGARBLED003":
            continue
        assert trackings[number].state == TrackingState.IN_TRANSIT and trackings[number].failures == 0
    bad = trackings["1ZGARBLED003"]
    assert bad.failures == 1 and bad.state == TrackingState.UNKNOWN
    assert "Expecting value" in bad.last_error  # the carrier's own failure, not "the carrier failed"
    assert bad.next_poll_at is not None  # still asked about at the next poll
    assert set(shipments) == set(trackings)


def test_the_order_page_shows_the_real_reason(client, alice, shop, carriers, ups_account):
    shipment = make_shipment(order_for(shop), carrier="UPS", tracking_number="1ZGARBLED9")
    tracking_poll_due()
    client.force_login(alice)
    page = client.get(f"/orders/{shipment.order_id}/").content.decode()
    assert "The last request failed:" in page and "Expecting value" in page


def test_a_number_stored_with_spaces_before_the_rule_is_asked_about_cleaned(shop, carriers, usps_account):
    good = make_shipment(order_for(shop), carrier="USPS", tracking_number="9400100000000000000001")
    spaced = make_shipment(order_for(shop), carrier="USPS", tracking_number="9400100000000000000002")
    Shipment.objects.filter(pk=spaced.pk).update(tracking_number="9400 1000 0000 0000 0000 02")

    tracking_poll_due()

    for shipment in (good, spaced):
        tracking = ShipmentTracking.objects.get(shipment=shipment)
        assert tracking.state == TrackingState.IN_TRANSIT and tracking.failures == 0, tracking.last_error


def test_a_stored_number_that_cannot_be_cleaned_is_not_sent_and_says_why(shop, carriers, ups_account):
    good = make_shipment(order_for(shop), carrier="UPS", tracking_number="1ZFINE0001")
    odd = make_shipment(order_for(shop), carrier="UPS", tracking_number="1ZFINE0002")
    Shipment.objects.filter(pk=odd.pk).update(tracking_number="1ZFINE0002/3")

    tracking_poll_due()

    assert ShipmentTracking.objects.get(shipment=good).state == TrackingState.IN_TRANSIT
    tracking = ShipmentTracking.objects.get(shipment=odd)
    assert (
        tracking.last_error
        == "Tracking number “1ZFINE0002/3”: only letters and digits (spaces and dashes are removed)."
    )
    assert tracking.next_poll_at is None
