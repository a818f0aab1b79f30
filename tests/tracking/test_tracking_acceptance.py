"""Issue 19, acceptance: carrier tracking through karrio against the carrier sandbox, end to end.

Karrio's real UPS and USPS request, mapping and parsing code runs over loopback HTTP against
sandbox.carriers; the poll is the same function the django-q2 schedule calls (Q_SYNC runs batches inline).
"""

from __future__ import annotations

import pytest
from django.core import mail

from shipments.models import EmailKind, EmailSend, ShipmentState
from shipments.services import shipment_mark_delivered
from tests.factories import make_shipment
from tracking.models import ShipmentTracking, TrackingEvent, TrackingState
from tracking.services import tracking_poll_due
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_subscription_create

from .conftest import order_for, relay_all

pytestmark = pytest.mark.django_db


def delivery_emails(shipment) -> list:
    return [m for m in mail.outbox if "delivered" in m.subject and shipment.order.number in m.subject]


@pytest.mark.parametrize("carrier", ["UPS", "USPS"])
def test_a_shipment_followed_on_the_sandbox_is_delivered_within_one_poll_and_e_mailed_once(
    carrier, tenant_a, shop, carriers, ups_account, usps_account
):
    webhook_subscription_create(
        tenant=tenant_a,
        url="https://hooks.example.com/x",
        events=["shipment.out_for_delivery", "shipment.delivered", "shipment.exception"],
    )
    shipment = make_shipment(order_for(shop), carrier=carrier, tracking_number="1ZSANDBOX001")
    relay_all()
    mail.outbox.clear()

    tracking_poll_due()  # enrolled and asked: the label is created
    tracking = ShipmentTracking.objects.get(shipment=shipment)
    assert tracking.state == TrackingState.IN_TRANSIT and tracking.next_poll_at is not None
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 1

    carriers.advance(hours=100)  # the sandbox's clock: in transit, out for delivery, delivered
    ShipmentTracking.objects.filter(pk=tracking.pk).update(next_poll_at=tracking.created_at)  # due now
    tracking_poll_due()
    relay_all()

    shipment.refresh_from_db()
    tracking.refresh_from_db()
    assert shipment.state == ShipmentState.DELIVERED and tracking.state == TrackingState.DELIVERED
    assert tracking.next_poll_at is None
    assert len(delivery_emails(shipment)) == 1
    assert EmailSend.objects.filter(shipment=shipment, kind=EmailKind.DELIVERY_NOTICE).count() == 1
    # The timeline holds every event of the story once, however often it was read.
    events = list(TrackingEvent.objects.filter(shipment=shipment))
    assert len(events) == 6 and len({e.fingerprint for e in events}) == 6
    assert [e.state for e in events][0] == TrackingState.DELIVERED
    assert WebhookDelivery.objects.filter(event="shipment.delivered").count() == 1

    # A delivered shipment is polled no more.
    asked = carriers.tracking_requests()
    ShipmentTracking.objects.filter(pk=tracking.pk).update(next_poll_at=tracking.created_at)
    tracking_poll_due()
    assert carriers.tracking_requests() == asked
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 6


def test_the_same_with_the_carrier_answering_500_half_the_time(tenant_a, shop, carriers, ups_account):
    carriers.faults.error_rate, carriers.faults.pattern = 0.5, "alternate"
    shipments = [make_shipment(order_for(shop), carrier="UPS", tracking_number=f"1ZHALF{i:03}") for i in range(5)]
    for shipment in shipments:
        carriers.register(shipment.tracking_number)  # the labels, created at the carrier
    relay_all()
    mail.outbox.clear()
    carriers.advance(hours=100)
    tracking_poll_due()
    relay_all()
    for shipment in shipments:
        shipment.refresh_from_db()
        assert shipment.state == ShipmentState.DELIVERED
        assert len(delivery_emails(shipment)) == 1
        assert TrackingEvent.objects.filter(shipment=shipment).count() == 6
    assert carriers.faults._count > 6  # the faults did happen
    assert not ShipmentTracking.objects.filter(next_poll_at__isnull=False).exists()


def test_marked_delivered_by_hand_first_sends_one_e_mail_and_the_carrier_changes_nothing(
    tenant_a, shop, carriers, ups_account
):
    shipment = make_shipment(order_for(shop), carrier="UPS", tracking_number="1ZHAND001")
    relay_all()
    tracking_poll_due()
    shipment_mark_delivered(shipment=shipment, actor="alice")
    relay_all()
    shipment.refresh_from_db()
    by_hand_at = shipment.delivered_at
    carriers.advance(hours=100)
    ShipmentTracking.objects.filter(shipment=shipment).update(next_poll_at=shipment.created_at)
    asked = carriers.tracking_requests()
    tracking_poll_due()
    relay_all()
    shipment.refresh_from_db()
    assert shipment.delivered_at == by_hand_at
    assert len(delivery_emails(shipment)) == 1
    assert carriers.tracking_requests() == asked  # delivered: not asked about again
    assert ShipmentTracking.objects.get(shipment=shipment).next_poll_at is None


def test_the_carrier_saying_delivered_after_the_hand_changes_nothing(tenant_a, shop, carriers, ups_account):
    """Even when the carrier is asked (delivered by hand between the hand-out and the answer)."""
    from tracking.services import tracking_poll_batch

    shipment = make_shipment(order_for(shop), carrier="UPS", tracking_number="1ZRACE001")
    relay_all()
    tracking_poll_due()
    tracking = ShipmentTracking.objects.get(shipment=shipment)
    carriers.advance(hours=100)
    ShipmentTracking.objects.filter(pk=tracking.pk).update(next_poll_at=shipment.created_at)
    import tracking.services as services

    real = services.carriers.track

    def hand_first(account, numbers):
        shipment_mark_delivered(shipment=shipment, actor="alice")
        return real(account, numbers)

    services.carriers.track = hand_first
    try:
        tracking_poll_batch(account_id=ups_account.pk, tracking_ids=[tracking.pk])
    finally:
        services.carriers.track = real
    relay_all()
    assert len(delivery_emails(shipment)) == 1
    assert EmailSend.objects.filter(shipment=shipment).filter(kind=EmailKind.DELIVERY_NOTICE).count() == 1


def test_an_exception_flags_the_order_and_is_never_e_mailed_to_the_buyer(tenant_a, shop, carriers, ups_account):
    webhook_subscription_create(tenant=tenant_a, url="https://hooks.example.com/x", events=["shipment.exception"])
    shipment = make_shipment(order_for(shop), carrier="UPS", tracking_number="1ZRTS0001")
    relay_all()
    mail.outbox.clear()
    tracking_poll_due()
    carriers.advance(hours=50)
    ShipmentTracking.objects.filter(shipment=shipment).update(next_poll_at=shipment.created_at)
    tracking_poll_due()
    relay_all()
    tracking = ShipmentTracking.objects.get(shipment=shipment)
    assert tracking.state == TrackingState.EXCEPTION and tracking.next_poll_at is not None
    shipment.order.refresh_from_db()
    assert shipment.order.needs_attention and "refused" in shipment.order.attention_reason
    assert WebhookDelivery.objects.filter(event="shipment.exception").count() == 1
    assert mail.outbox == []


def test_a_shipment_without_an_account_is_not_followed(tenant_a, shop, carriers, ups_account):
    shipment = make_shipment(order_for(shop), carrier="DHL", tracking_number="7777")
    usps = make_shipment(order_for(shop), carrier="USPS", tracking_number="9400")
    tracking_poll_due()
    assert not ShipmentTracking.objects.filter(shipment__in=[shipment, usps]).exists()
    from tracking.selectors import tracking_for_shipments

    views = tracking_for_shipments(tenant=tenant_a, shipments=[shipment, usps])
    assert [v.not_followed for v in views] == ["unsupported", "no_account"]
