"""Issue 25 item 44: a shipment marked delivered by hand reads as delivered (with the reason it is not
followed), and a parcel returned to the sender has a state of its own that ends the follow-up and flags
the order. Karrio's real UPS and USPS code against the carrier sandbox."""

from __future__ import annotations

import pytest
from django.urls import reverse

from api.services import api_key_create
from orders.models import OrderEvent
from shipments.services import shipment_mark_delivered
from tests.api.conftest import bearer
from tests.factories import make_shipment
from tracking.models import ShipmentTracking, TrackingState
from tracking.services import tracking_poll_due

from .conftest import order_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("carrier", ["UPS", "USPS"])
def test_a_return_to_sender_ends_the_follow_up_and_flags_the_order(carrier, shop, carriers, request):
    request.getfixturevalue(f"{carrier.lower()}_account")
    shipment = make_shipment(order_for(shop), carrier=carrier, tracking_number="1ZRTS0044")
    carriers.register(shipment.tracking_number)
    carriers.advance(hours=70)  # refused by the receiver at 44 h, returned to the sender at 60 h
    tracking_poll_due()
    tracking = ShipmentTracking.objects.get(shipment=shipment)
    assert tracking.state == TrackingState.RETURNED
    assert tracking.next_poll_at is None and tracking.stopped_reason == "returned to the sender"
    shipment.order.refresh_from_db()
    assert shipment.order.needs_attention and "returning shipment" in shipment.order.attention_reason
    assert OrderEvent.objects.filter(order=shipment.order, kind="shipment_returned").count() == 1
    asked = carriers.tracking_requests()
    carriers.advance(hours=1000)
    tracking_poll_due()  # never due again: nothing asked
    assert carriers.tracking_requests() == asked


def test_delivered_by_hand_reads_as_delivered_on_the_api_and_the_page(tenant_a, shop, alice, client):
    shipment = make_shipment(order_for(shop), carrier="UPS", tracking_number="1ZHAND044")  # no UPS account
    shipment_mark_delivered(shipment=shipment, actor="alice")
    api = bearer(api_key_create(tenant=tenant_a, name="reports", read_only=True)[1])
    data = api.get(f"/api/v1/shipments/{shipment.pk}/tracking/").json()
    assert data["state"] == "delivered" and data["followed"] is False and data["not_followed"] == "delivered"
    client.force_login(alice)
    page = client.get(reverse("portal:order_detail", args=[shipment.order_id])).content.decode()
    assert 'data-state="delivered"' in page and "Marked delivered by hand on" in page


def test_delivered_by_hand_while_followed_reads_as_delivered(tenant_a, shop, carriers, ups_account):
    shipment = make_shipment(order_for(shop), carrier="UPS", tracking_number="1ZHAND045")
    tracking_poll_due()  # followed: in transit
    shipment_mark_delivered(shipment=shipment, actor="alice")
    api = bearer(api_key_create(tenant=tenant_a, name="reports", read_only=True)[1])
    data = api.get(f"/api/v1/shipments/{shipment.pk}/tracking/").json()
    assert data["state"] == "delivered" and data["not_followed"] == "delivered" and data["events"]
