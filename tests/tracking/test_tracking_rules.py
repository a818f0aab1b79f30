"""Carrier tracking's rules: the back-off with age, the stop after the maximum age, the optional
out-for-delivery e-mail, carrier faults (429, timeouts) and the credentials test's outcomes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from carriers.gateway import TEST_BUSY, TEST_OK, TEST_REFUSED, TEST_UNREACHABLE
from carriers.services import carrier_account_create, carrier_account_test
from shipments.models import EmailKind, EmailSend
from tests.factories import make_shipment
from tracking.carriers import track
from tracking.models import ShipmentTracking, TrackingState
from tracking.services import (
    next_poll_after,
    tracking_due_batches,
    tracking_poll_due,
)

from .conftest import order_for, relay_all

pytestmark = pytest.mark.django_db


def test_the_back_off_follows_the_shipments_age(settings):
    settings.TRACKING_POLL_MINUTES, settings.TRACKING_MAX_AGE_DAYS = 60, 30
    now = timezone.now()
    every = {days: next_poll_after(shipped_at=now - dt.timedelta(days=days), now=now) - now for days in (0, 3, 10)}
    # Each due up to one 5-minute cycle early, so the cycle right after the interval catches it.
    assert every == {0: dt.timedelta(minutes=55), 3: dt.timedelta(minutes=235), 10: dt.timedelta(minutes=1435)}
    assert next_poll_after(shipped_at=now - dt.timedelta(days=30), now=now) is None


def test_an_old_shipment_is_asked_no_more(settings, tenant_a, shop, carriers, ups_account):
    shipment = make_shipment(order_for(shop), carrier="UPS", tracking_number="1ZOLD0001")
    tracking_poll_due()
    asked = carriers.tracking_requests()
    type(shipment).objects.filter(pk=shipment.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    ShipmentTracking.objects.filter(shipment=shipment).update(next_poll_at=timezone.now())
    tracking_poll_due()
    tracking = ShipmentTracking.objects.get(shipment=shipment)
    assert tracking.next_poll_at is None and "30 days" in tracking.stopped_reason
    assert carriers.tracking_requests() == asked


def test_batches_hold_one_accounts_numbers_up_to_the_batch_size(
    settings, tenant_a, shop, carriers, ups_account, usps_account
):
    settings.TRACKING_BATCH_SIZE = 2
    for i in range(3):
        make_shipment(order_for(shop), carrier="UPS", tracking_number=f"1ZB{i}")
    make_shipment(order_for(shop), carrier="USPS", tracking_number="9400B")
    from tracking.services import tracking_enroll

    tracking_enroll()
    batches = tracking_due_batches()
    assert sorted(len(ids) for _, ids in batches) == [1, 1, 2]
    assert {account for account, _ in batches} == {ups_account.pk, usps_account.pk}


def test_out_for_delivery_e_mails_the_buyer_only_when_the_store_switched_it_on(tenant_a, shop, carriers, ups_account):
    off = make_shipment(order_for(shop), carrier="UPS", tracking_number="1ZOFD0001")
    shop.settings.send_out_for_delivery = True
    shop.settings.save()
    on = make_shipment(order_for(shop), carrier="UPS", tracking_number="1ZOFD0002")
    type(off).objects.filter(pk=off.pk).update(notify_buyer=False)  # the first shipment's buyer asked for none
    for s in (off, on):
        carriers.register(s.tracking_number)
    relay_all()
    mail.outbox.clear()
    carriers.advance(hours=45)
    tracking_poll_due()
    relay_all()
    assert ShipmentTracking.objects.get(shipment=on).state == TrackingState.OUT_FOR_DELIVERY
    assert [m.subject for m in mail.outbox] == [f"Your {shop.name} order {on.order.number} is out for delivery today"]
    assert EmailSend.objects.filter(kind=EmailKind.OUT_FOR_DELIVERY).count() == 1
    # The next poll, still out for delivery, sends nothing more.
    ShipmentTracking.objects.update(next_poll_at=timezone.now())
    tracking_poll_due()
    relay_all()
    assert len(mail.outbox) == 1


def test_timeouts_and_429_leave_the_shipment_due_again_soon(settings, tenant_a, shop, carriers, ups_account):
    settings.CARRIER_REQUEST_TIMEOUT = 0.5
    shipment = make_shipment(order_for(shop), carrier="UPS", tracking_number="1ZSLOW001")
    tracking_poll_due()  # token cached, label seen
    carriers.faults.timeout_rate, carriers.faults.delay = 1.0, 1.5
    ShipmentTracking.objects.filter(shipment=shipment).update(next_poll_at=timezone.now())
    tracking_poll_due()
    tracking = ShipmentTracking.objects.get(shipment=shipment)
    assert tracking.failures == 1 and "in time" in tracking.last_error
    assert tracking.next_poll_at <= timezone.now() + dt.timedelta(minutes=settings.TRACKING_POLL_MINUTES)
    carriers.faults.timeout_rate, carriers.faults.error_rate, carriers.faults.status = 0, 1.0, 429
    ShipmentTracking.objects.filter(shipment=shipment).update(next_poll_at=timezone.now())
    tracking_poll_due()
    tracking.refresh_from_db()
    assert tracking.failures == 2 and "busy" in tracking.last_error
    carriers.faults.error_rate = 0
    ShipmentTracking.objects.filter(shipment=shipment).update(next_poll_at=timezone.now())
    tracking_poll_due()
    tracking.refresh_from_db()
    assert tracking.failures == 0 and tracking.last_error == ""


def test_the_credentials_test_tells_each_outcome(tenant_a, carriers):
    account = carrier_account_create(
        tenant=tenant_a,
        carrier="USPS",
        client_id="sandbox-client",
        client_secret="sandbox-secret",
        server_url=carriers.base_url,
    )
    assert carrier_account_test(account=account)[0] == TEST_OK
    carriers.faults.error_rate, carriers.faults.status = 1.0, 503
    assert carrier_account_test(account=account)[0] == TEST_BUSY
    carriers.faults.error_rate = 0
    wrong = carrier_account_create(
        tenant=tenant_a, carrier="UPS", client_id="sandbox-client", client_secret="wrong", server_url=carriers.base_url
    )
    outcome, detail = carrier_account_test(account=wrong)
    assert outcome == TEST_REFUSED and "Invalid Authentication" in detail
    wrong.refresh_from_db()
    assert wrong.last_test_ok is False and wrong.last_test_outcome == TEST_REFUSED
    nowhere = carrier_account_create(
        tenant=tenant_a.__class__.objects.create(name="Other", slug="other"),
        carrier="UPS",
        client_id="a",
        client_secret="b",
        server_url="http://127.0.0.1:9",
    )
    assert carrier_account_test(account=nowhere)[0] == TEST_UNREACHABLE


@pytest.mark.parametrize("carrier", ["UPS", "USPS"])
def test_a_token_the_carrier_no_longer_knows_is_replaced_once(
    tenant_a, shop, carriers, ups_account, usps_account, carrier
):
    """A carrier may drop a token before it expires (a restart, credentials rotated): the poll asks for a
    new one and tracks, instead of failing on the cached token until it expires."""
    shipment = make_shipment(order_for(shop), carrier=carrier, tracking_number=f"{carrier}TOKEN0001")
    tracking_poll_due()  # token cached
    assert ShipmentTracking.objects.get(shipment=shipment).failures == 0
    with carriers.lock:
        carriers.tokens.clear()
    ShipmentTracking.objects.filter(shipment=shipment).update(next_poll_at=timezone.now())
    tracking_poll_due()
    tracking = ShipmentTracking.objects.get(shipment=shipment)
    assert (tracking.failures, tracking.last_error) == (0, "")
    assert len(carriers.tokens) == 1


@pytest.mark.parametrize("carrier", ["UPS", "USPS"])
def test_refused_credentials_are_asked_for_a_token_once_a_poll(tenant_a, carriers, carrier):
    """The retry with a new token is for a token refused, not for credentials refused: those fail at once."""
    account = carrier_account_create(
        tenant=tenant_a,
        carrier=carrier,
        name="Wrong keys",
        client_id="wrong",
        client_secret="wrong",
        test_mode=True,
        server_url=carriers.base_url,
    )
    found, error = track(account, ["1ZWRONG01"])
    assert found == {} and error
    assert [path for _, path in carriers.requests if "token" in path] == [carriers.requests[0][1]]
    assert carriers.tracking_requests() == 0
