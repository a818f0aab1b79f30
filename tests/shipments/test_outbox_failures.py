"""Outages, permanent refusals, exhausted retries and "retry now" (issue 5, second acceptance line)."""

from datetime import timedelta

from django.utils import timezone

from outbox.models import OutboxMessage, OutboxState
from outbox.services import outbox_relay, retry_delay
from shipments.models import Shipment
from shipments.services import shipment_create, store_update_retry
from stores.services import store_set_password

from .conftest import order_from_truth, pick_orders, relay_all, set_emails, store_truth


def later(days: float = 2):
    return timezone.now() + timedelta(days=days)


def test_fifty_shipments_made_while_the_store_is_down_arrive_once_each(store, shop, sandbox_factory):
    set_emails(store, confirmation=False, delivery=False)
    orders = [order_from_truth(store, t) for t in pick_orders(shop, count=50)]
    shop.set_faults(down=True)  # 503 "offline for maintenance"
    for order in orders:
        shipment_create(order=order, carrier="USPS", tracking_number=f"9400{order.number}")
    assert relay_all() == 50
    assert OutboxMessage.objects.filter(state=OutboxState.PENDING, attempts=1).count() == 50
    port, data = shop.port, shop.store
    shop.stop()  # now connection refused
    assert relay_all(now=later()) == 50
    assert OutboxMessage.objects.filter(state=OutboxState.PENDING, attempts=2).count() == 50
    data.reset_faults()
    sandbox_factory(port=port, store=data)  # back, on the same address
    assert relay_all(now=later(4)) == 50
    assert OutboxMessage.objects.filter(state=OutboxState.SENT).count() == 50
    log = data.truth(include_orders=False)["shipnotify_log"]
    assert (log["recorded"], log["duplicates_ignored"]) == (50, 0)
    for order in orders:
        assert [s["TrackingNumber"] for s in store_truth(data, order.number)["Shipments"]] == [
            f"9400{order.number}".replace("-", "")
        ]


def test_back_off_grows_exponentially_with_jitter_over_about_a_day():
    delays = [retry_delay(n).total_seconds() for n in range(1, 10)]
    assert all(b > a for a, b in zip(delays, delays[1:], strict=False))
    assert 16 * 3600 < sum(delays) < 32 * 3600
    assert len({retry_delay(3) for _ in range(5)}) > 1


def test_a_store_that_keeps_failing_ends_failed_and_retry_now_delivers(store, shop, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 4
    order = order_from_truth(store, pick_orders(shop)[0])
    shipment = shipment_create(order=order, carrier="UPS", tracking_number="1ZKEEPFAILING")
    shop.set_faults(sequence=["500"] * 20, actions="shipnotify")
    for day in range(1, 6):
        outbox_relay(now=later(day), kinds=["store_update"])
    message = OutboxMessage.objects.get(kind="store_update")
    assert (message.state, message.attempts) == (OutboxState.FAILED, 4)
    assert "gave up after 4 attempts" in message.last_error
    assert Shipment.objects.get(pk=shipment.pk).store_update_state == OutboxState.FAILED
    assert order.events.filter(kind="store_update_failed").count() == 1
    shop.reset_faults()
    assert store_update_retry(shipment=shipment).state == OutboxState.SENT
    assert Shipment.objects.get(pk=shipment.pk).store_update_state == OutboxState.SENT
    assert [s["TrackingNumber"] for s in store_truth(shop, order.number)["Shipments"]] == ["1ZKEEPFAILING"]


def test_an_order_the_store_does_not_know_fails_at_once(store, shop):
    order = order_from_truth(store, pick_orders(shop)[0])
    order.number, order.external_id = "AC-77777777", "7777777"
    order.save()
    shipment_create(order=order, carrier="USPS", tracking_number="T1")
    outbox_relay(kinds=["store_update"])
    message = OutboxMessage.objects.get(kind="store_update")
    assert (message.state, message.attempts, message.response_status) == (OutboxState.FAILED, 1, 400)
    assert outbox_relay(now=later(), kinds=["store_update"]) == 0


def test_wrong_store_password_fails_at_once(store, shop):
    store_set_password(store=store, password="not-the-password")
    order = order_from_truth(store, pick_orders(shop)[0])
    shipment = shipment_create(order=order, carrier="USPS", tracking_number="T1")
    outbox_relay(kinds=["store_update"])
    message = OutboxMessage.objects.get(kind="store_update")
    assert (message.state, message.attempts, message.response_status) == (OutboxState.FAILED, 1, 401)
    assert Shipment.objects.get(pk=shipment.pk).store_update_state == OutboxState.FAILED


def test_a_missing_endpoint_fails_at_once(store, shop):
    store.endpoint_path = "/store/nothing-here.aspx"
    store.save()
    order = order_from_truth(store, pick_orders(shop)[0])
    shipment_create(order=order, carrier="USPS", tracking_number="T1")
    outbox_relay(kinds=["store_update"])
    message = OutboxMessage.objects.get(kind="store_update")
    assert (message.state, message.attempts) == (OutboxState.FAILED, 1)
    assert message.response_status == 404


def test_a_wrong_credential_key_is_retried_with_an_operator_alert(store, shop, settings, caplog):
    import logging

    from cryptography.fernet import Fernet

    order = order_from_truth(store, pick_orders(shop)[0])
    shipment = shipment_create(order=order, carrier="UPS", tracking_number="1ZWRONGKEY")
    right_keys = settings.CREDENTIAL_KEYS
    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode()]  # a deploy with the wrong key
    caplog.set_level(logging.ERROR, logger="outbound.alerts")
    outbox_relay(now=later(1), kinds=["store_update"])
    message = OutboxMessage.objects.get(kind="store_update")
    assert (message.state, message.attempts) == (OutboxState.PENDING, 1)  # kept, retried with back-off
    assert message.next_attempt_at > timezone.now()
    assert "encryption key configured on the server (CREDENTIAL_KEYS) is wrong" in message.last_error
    for key in [*right_keys, *settings.CREDENTIAL_KEYS]:
        assert key not in message.last_error and key not in caplog.text
    assert [r for r in caplog.records if r.name == "outbound.alerts"]

    settings.CREDENTIAL_KEYS = right_keys  # the operator fixes the configuration
    outbox_relay(now=later(3), kinds=["store_update"])
    assert Shipment.objects.get(pk=shipment.pk).store_update_state == OutboxState.SENT
