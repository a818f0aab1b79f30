"""A "Custom Store (any cart)" store: the ship notice goes through the registry's connector to the URL
as given, and the buyer's e-mails never name AmeriCommerce."""

import pytest
from django.core import mail

from outbox.models import OutboxState
from shipments.services import shipment_create, shipment_mark_delivered
from stores.services import store_create

from .conftest import order_from_truth, pick_orders, relay_all, set_emails, store_truth


@pytest.fixture
def any_cart(tenant_a, shop):
    return store_create(
        tenant=tenant_a,
        name="Corner Cart",
        url=shop.endpoint_url,
        username=shop.username,
        password=shop.password,
        platform="custom_store",
    )


def test_ship_notice_reaches_an_any_cart_store(any_cart, shop):
    order = order_from_truth(any_cart, pick_orders(shop)[0])
    shipment = shipment_create(order=order, carrier="UPS", tracking_number="1Z999AA10123456784")
    relay_all()
    (notice,) = store_truth(shop, order.number)["Shipments"]
    assert notice["TrackingNumber"] == "1Z999AA10123456784"
    shipment.refresh_from_db()
    assert shipment.store_update_state == OutboxState.SENT


def test_buyer_emails_of_an_any_cart_store_do_not_say_americommerce(any_cart, shop):
    set_emails(any_cart, confirmation=True, delivery=True, company_name="Corner Cart")
    order = order_from_truth(any_cart, pick_orders(shop)[0], email="buyer@example.com")
    shipment = shipment_create(order=order, carrier="UPS", tracking_number="1Z999AA10123456784")
    relay_all()
    shipment_mark_delivered(shipment=shipment, actor="alice")
    relay_all()
    assert len(mail.outbox) == 2
    for email in mail.outbox:
        text = " ".join([email.subject, email.body, email.alternatives[0][0], email.from_email])
        assert "Corner Cart" in text and "AmeriCommerce" not in text
