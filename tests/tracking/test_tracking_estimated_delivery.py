"""Issue 33: the carrier's estimated delivery date, kept from karrio's answer (the carrier sandbox's USPS
expectedDeliveryTimeStamp); a date that moves e-mails the buyer once when the store switched it on, and the
tracking page shows the newest."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from shipments.models import EmailKind, EmailSend
from stores.services import store_settings_update
from tests.factories import make_shipment
from tracking.models import ShipmentTracking
from tracking.services import tracking_poll_due

from .conftest import order_for, relay_all

pytestmark = pytest.mark.django_db


def poll_again(tracking):
    ShipmentTracking.objects.filter(pk=tracking.pk).update(next_poll_at=tracking.created_at)
    tracking_poll_due()


def test_a_delivery_date_that_moves_is_e_mailed_once_and_shown_on_the_page(
    client, tenant_a, shop, carriers, usps_account, settings
):
    settings.PUBLIC_BASE_URL = "https://track.example.com"
    store_settings_update(store=shop, send_estimated_delivery=True)
    shipment = make_shipment(order_for(shop), carrier="USPS", tracking_number="9400EXC0000000000001")
    relay_all()
    mail.outbox.clear()

    tracking_poll_due()  # label created: the normal story's date
    tracking = ShipmentTracking.objects.get(shipment=shipment)
    first = tracking.estimated_delivery
    assert first is not None

    carriers.advance(hours=45)  # an address exception: the carrier's date moves a day on
    poll_again(tracking)
    tracking.refresh_from_db()
    assert tracking.estimated_delivery > first
    relay_all()
    assert [m.subject for m in mail.outbox] == [
        f"Your {shop.name} order {shipment.order.number} has a new delivery date"
    ]
    assert f"https://track.example.com/t/{shipment.tracking_token}/" in mail.outbox[0].body

    poll_again(tracking)  # the same date again, and later ones: no second e-mail
    relay_all()
    assert EmailSend.objects.filter(shipment=shipment, kind=EmailKind.ESTIMATED_DELIVERY).count() == 1
    assert len(mail.outbox) == 1

    page = client.get(reverse("trackpage:shipment", args=[shipment.tracking_token])).content.decode()
    assert 'id="estimated-delivery"' in page and "Delivery Failed - Addressee Unknown" in page
    assert "The carrier reported a delay" in page


def test_without_the_setting_a_moved_date_is_kept_but_not_e_mailed(tenant_a, shop, carriers, usps_account):
    shipment = make_shipment(order_for(shop), carrier="USPS", tracking_number="9400EXC0000000000002")
    relay_all()
    mail.outbox.clear()
    tracking_poll_due()
    tracking = ShipmentTracking.objects.get(shipment=shipment)
    carriers.advance(hours=45)
    poll_again(tracking)
    relay_all()
    assert ShipmentTracking.objects.get(pk=tracking.pk).estimated_delivery > tracking.estimated_delivery
    assert not EmailSend.objects.filter(kind=EmailKind.ESTIMATED_DELIVERY).exists() and not mail.outbox
