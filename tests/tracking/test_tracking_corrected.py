"""Issue 28 part 5: a corrected tracking number is followed anew: what was heard about the old number (another
parcel) is forgotten, and the carrier is asked about the new one (the carrier sandbox, over HTTP)."""

from __future__ import annotations

import pytest

from shipments.services import shipment_correct_tracking_number
from tests.factories import make_shipment
from tracking.models import ShipmentTracking, TrackingEvent, TrackingState
from tracking.services import tracking_poll_due

from .conftest import order_for

pytestmark = pytest.mark.django_db


def test_a_corrected_number_is_enrolled_again_and_asked_about(shop, carriers, ups_account):
    shipment = make_shipment(order_for(shop), carrier="UPS", tracking_number="1ZOLDPARCEL1")
    tracking_poll_due()
    old = ShipmentTracking.objects.get(shipment=shipment)
    assert old.state == TrackingState.IN_TRANSIT and TrackingEvent.objects.filter(shipment=shipment).exists()

    shipment_correct_tracking_number(shipment=shipment, tracking_number="1ZNEWPARCEL2", actor="operator")

    new = ShipmentTracking.objects.get(shipment=shipment)
    assert new.pk != old.pk and new.state == TrackingState.UNKNOWN and new.polls == 0 and new.next_poll_at
    assert not TrackingEvent.objects.filter(shipment=shipment).exists()
    tracking_poll_due()
    asked = [path for _, path in carriers.requests if "/track/" in path]
    assert asked[-1].endswith("/1ZNEWPARCEL2")
    assert ShipmentTracking.objects.get(shipment=shipment).state == TrackingState.IN_TRANSIT
