"""Carrier accounts in the portal (add, test, edit, remove), the order page's tracking, the API's tracking
answer, and the secret-sentinel search: a carrier credential is never in the database in clear, a log,
a django-q task row, a page or an API answer."""

from __future__ import annotations

import base64
import logging

import pytest
from django.test import Client
from django.urls import reverse
from django_q.models import Task

from api.services import api_key_create
from carriers.models import CarrierAccount
from sandbox.carriers import run_carrier_sandbox
from tests.api.conftest import bearer
from tests.factories import make_shipment
from tests.integration.test_hostile_store import admin_pages, every_text_in_the_database
from tracking.models import ShipmentTracking, TrackingEvent
from tracking.services import tracking_poll_due

from .conftest import order_for, relay_all

pytestmark = pytest.mark.django_db

SENTINEL_ID = "Sntl-Id-4417-carrier"
SENTINEL = "Sntl-Secret-90210-carrier"
BASIC = base64.b64encode(f"{SENTINEL_ID}:{SENTINEL}".encode()).decode()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_adding_an_account_tests_it_and_the_page_says_so_in_words(alice, tenant_a, settings):
    server = run_carrier_sandbox()
    try:
        client = signed_in(alice)
        page = client.get(reverse("portal:carrier_accounts"))
        assert page.status_code == 200 and "No carrier account yet" in page.content.decode()
        response = client.post(
            reverse("portal:carrier_accounts"),
            {"new-carrier": "UPS", "new-name": "Warehouse", "new-client_id": "wrong", "new-client_secret": "wrong"},
            follow=True,
        )
        body = response.content.decode()
        account = CarrierAccount.objects.get(tenant=tenant_a)
        # No server URL from a tenant: the carrier's own test server is unreachable here, and says so in words.
        assert account.last_test_ok is False and "UPS" in body
        CarrierAccount.objects.filter(pk=account.pk).update(server_url=server.base_url)
        response = client.post(reverse("portal:carrier_account_test", args=[account.pk]), follow=True)
        assert "UPS refused these credentials" in response.content.decode()
        response = client.post(
            reverse("portal:carrier_account_edit", args=[account.pk]),
            {"edit-name": "Warehouse", "edit-client_id": "sandbox-client", "edit-client_secret": "sandbox-secret"},
            follow=True,
        )
        response = client.post(reverse("portal:carrier_account_test", args=[account.pk]), follow=True)
        assert "UPS accepted these credentials." in response.content.decode()
        response = client.post(reverse("portal:carrier_account_remove", args=[account.pk]), follow=True)
        assert not CarrierAccount.objects.exists() and "no longer followed" in response.content.decode()
    finally:
        server.stop()


def test_the_order_page_shows_the_timeline_or_why_a_shipment_is_not_followed(
    alice, tenant_a, shop, carriers, ups_account
):
    followed = make_shipment(order_for(shop), carrier="UPS", tracking_number="1ZPAGE001")
    carriers.register(followed.tracking_number)
    carriers.advance(hours=45)
    tracking_poll_due()
    usps = make_shipment(order_for(shop), carrier="USPS", tracking_number="9400PAGE")
    client = signed_in(alice)
    page = client.get(reverse("portal:order_detail", args=[followed.order_id])).content.decode()
    assert 'id="tracking"' in page and "Out for delivery today" in page and "Departed from facility" in page
    page = client.get(reverse("portal:order_detail", args=[usps.order_id])).content.decode()
    assert "Tracking not followed: no USPS account." in page


def test_the_api_answers_the_timeline(alice, tenant_a, shop, carriers, ups_account):
    shipment = make_shipment(order_for(shop), carrier="UPS", tracking_number="1ZAPI0001")
    carriers.register(shipment.tracking_number)
    carriers.advance(hours=100)
    tracking_poll_due()
    api = bearer(api_key_create(tenant=tenant_a, name="reports", read_only=True)[1])
    data = api.get(f"/api/v1/shipments/{shipment.pk}/tracking/").json()
    assert data["state"] == "delivered" and data["followed"] is False and len(data["events"]) == 6
    assert data["events"][0]["state"] == "delivered" and data["not_followed"] == ""


def test_the_secret_sentinel_is_nowhere(alice, bob, operator, tenant_a, shop, caplog):
    caplog.set_level(logging.DEBUG)
    # A carrier that quotes refused credentials back in its errors.
    server = run_carrier_sandbox(client_id=SENTINEL_ID, client_secret=SENTINEL, echo=True)
    try:
        client = signed_in(alice)
        # Typed in the portal, then refused once (the echo), then accepted.
        client.post(
            reverse("portal:carrier_accounts"),
            {"new-carrier": "UPS", "new-client_id": SENTINEL_ID, "new-client_secret": SENTINEL + "-typo"},
        )
        account = CarrierAccount.objects.get()
        CarrierAccount.objects.filter(pk=account.pk).update(server_url=server.base_url)
        refused = client.post(reverse("portal:carrier_account_test", args=[account.pk]), follow=True)
        assert "refused" in refused.content.decode() and "(***:***" in refused.content.decode()  # echoed, masked
        client.post(
            reverse("portal:carrier_account_edit", args=[account.pk]),
            {"edit-client_id": SENTINEL_ID, "edit-client_secret": SENTINEL},
        )
        accepted = client.post(reverse("portal:carrier_account_test", args=[account.pk]), follow=True)
        assert "accepted" in accepted.content.decode()
        shipment = make_shipment(order_for(shop), carrier="UPS", tracking_number="1ZSNTL001")
        server.register(shipment.tracking_number)
        server.advance(hours=100)
        tracking_poll_due()  # django-q2 (sync) runs the batch task: a Task row with its arguments
        relay_all()
        assert Task.objects.filter(func="tracking.tasks.tracking_poll_batch_task").exists()
        assert TrackingEvent.objects.filter(shipment=shipment).count() == 6
        assert ShipmentTracking.objects.get(shipment=shipment).state == "delivered"

        found = every_text_in_the_database()
        for secret in (SENTINEL, SENTINEL_ID, BASIC):
            assert secret not in found, secret
            assert secret not in caplog.text, secret

        pages = [refused.content.decode(), accepted.content.decode()]
        api = bearer(api_key_create(tenant=tenant_a, name="reports", read_only=True)[1])
        for url in [
            "/api/v1/shipments/",
            f"/api/v1/shipments/{shipment.pk}/",
            f"/api/v1/shipments/{shipment.pk}/tracking/",
        ]:
            response = api.get(url)
            assert response.status_code == 200, url
            pages.append(response.content.decode())
        for url in [
            reverse("portal:carrier_accounts"),
            reverse("portal:carrier_account_edit", args=[account.pk]),
            reverse("portal:order_detail", args=[shipment.order_id]),
            reverse("portal:dashboard"),
        ]:
            response = client.get(url)
            assert response.status_code == 200, url
            pages.append(response.content.decode())
        operator_client = signed_in(operator)
        for url in admin_pages(operator_client):
            response = operator_client.get(url)
            assert response.status_code == 200, url
            pages.append(response.content.decode())
        for secret in (SENTINEL, SENTINEL_ID, BASIC):
            assert all(secret not in page for page in pages), secret
    finally:
        server.stop()


def test_the_out_for_delivery_e_mail_is_previewed_in_the_store_settings(alice, tenant_a, shop):
    make_shipment(order_for(shop), carrier="UPS", tracking_number="1ZPREVIEW")
    client = signed_in(alice)
    page = client.get(reverse("portal:store_settings", args=[shop.pk])).content.decode()
    assert 'id="preview-out-for-delivery"' in page and "out_for_delivery" in page
    preview = client.get(reverse("portal:email_preview", args=[shop.pk]), {"kind": "out_for_delivery"})
    assert preview.status_code == 200 and "is out for delivery" in preview.content.decode()
