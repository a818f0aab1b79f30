"""Buyer e-mails (shipment confirmation, delivery notice): one per event, branded, switchable, never duplicated by
retries."""

import pytest
from django.core import mail

from outbox.models import OutboxMessage, OutboxState
from outbox.services import outbox_deliver_one
from shipments.emails import render_shipment_email
from shipments.models import EmailSend, EmailSendState
from shipments.services import shipment_create, shipment_mark_delivered

from .conftest import order_from_truth, pick_orders, relay_all, set_emails

BRANDING = {
    "company_name": "Harbor & Pine Co.",
    "logo_url": "https://cdn.example.com/logo.png",
    "accent_colour": "#aa3300",
    "website": "https://harborandpine.example",
    "phone": "+1 555 0100",
    "reply_to": "help@harborandpine.example",
    "copy_to_merchant": "orders@harborandpine.example",
}


@pytest.fixture
def orders(store, shop):
    return [order_from_truth(store, t, email=f"buyer{n}@example.com") for n, t in enumerate(pick_orders(shop, count=2))]


def test_switches_on_one_confirmation_per_shipment_and_one_notice_per_delivery(store, orders):
    set_emails(store, confirmation=True, delivery=True, **BRANDING)
    shipments = [shipment_create(order=o, carrier="UPS", tracking_number=f"1Z{o.pk:06d}") for o in orders]
    relay_all()
    assert sorted(m.to[0] for m in mail.outbox) == ["buyer0@example.com", "buyer1@example.com"]
    for shipment in shipments:
        shipment_mark_delivered(shipment=shipment, actor="alice")
        shipment_mark_delivered(shipment=shipment, actor="alice")  # a second click is not a second event
    relay_all()
    subjects = sorted(m.subject for m in mail.outbox)
    assert len(subjects) == 4 and sum("delivered" in s for s in subjects) == 2
    assert EmailSend.objects.filter(state=EmailSendState.SENT).count() == 4


def test_emails_carry_the_branding_and_the_tracking_link(store, orders):
    set_emails(store, confirmation=True, delivery=True, **BRANDING)
    shipment_create(order=orders[0], carrier="UPS", tracking_number="1Z999AA10123456784")
    relay_all()
    (email,) = mail.outbox
    html = email.alternatives[0][0]
    link = "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert email.subject == f"Your Harbor & Pine Co. order {orders[0].number} has shipped"
    assert link in email.body and link in html
    assert "#aa3300" in html and "https://cdn.example.com/logo.png" in html and "+1 555 0100" in email.body
    assert email.reply_to == ["help@harborandpine.example"] and email.bcc == ["orders@harborandpine.example"]
    assert email.from_email.startswith('"Harbor & Pine Co."')
    line = orders[0].lines.filter(is_shippable=True).first()
    assert line.name in email.body and line.sku in html


def test_switches_off_no_emails(store, orders):
    set_emails(store, confirmation=False, delivery=False)
    shipment = shipment_create(order=orders[0], carrier="UPS", tracking_number="1ZOFF")
    shipment_mark_delivered(shipment=shipment)
    relay_all()
    assert mail.outbox == []
    assert not OutboxMessage.objects.filter(kind="email").exists()


def test_notify_buyer_off_sends_no_confirmation(store, orders):
    shipment_create(order=orders[0], carrier="UPS", tracking_number="1ZQUIET", notify_buyer=False)
    relay_all()
    assert mail.outbox == []


def test_retried_tasks_never_send_twice(store, orders):
    shipment = shipment_create(order=orders[0], carrier="UPS", tracking_number="1ZRETRY")
    relay_all()
    message = OutboxMessage.objects.get(kind="email")
    assert outbox_deliver_one(message.pk) is None  # the task run again finds nothing to do
    # A relay that died after sending but before recording: the row comes round again.
    OutboxMessage.objects.filter(pk=message.pk).update(state=OutboxState.PENDING)
    relay_all()
    message.refresh_from_db()
    assert message.state == OutboxState.SENT and message.response_body.startswith("already sent")
    assert len(mail.outbox) == 1
    assert shipment.order.events.filter(kind="email_sent").count() == 1


def test_a_send_interrupted_mid_way_is_not_repeated(store, orders):
    shipment = shipment_create(order=orders[0], carrier="UPS", tracking_number="1ZCUT")
    EmailSend.objects.create(
        tenant=store.tenant,
        shipment=shipment,
        kind="shipment_confirmation",
        dedupe_key=f"email:shipment_confirmation:{shipment.pk}",
        to="buyer0@example.com",
    )
    relay_all()
    assert mail.outbox == []
    assert OutboxMessage.objects.get(kind="email").state == OutboxState.FAILED


def test_the_real_task_path_sends_store_update_and_email_after_commit(
    store, shop, orders, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # django-q2 runs tasks inline in the tests
        shipment_create(order=orders[0], carrier="UPS", tracking_number="1ZFAST")
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {OutboxState.SENT}
    assert len(mail.outbox) == 1


def test_preview_renders_without_sending(store, orders):
    shipment = shipment_create(order=orders[0], carrier="USPS", tracking_number="9400111")
    subject, text, html = render_shipment_email(shipment=shipment, kind="delivery_notice")
    assert orders[0].number in subject and "9400111" in text and "<html" in html
    assert mail.outbox == []


def test_the_email_greets_the_buyer_not_the_gift_recipient(store, orders):
    order = orders[0]
    order.bill_to = {"name": "Bea Buyer"}
    order.ship_to = {"name": "Gina Giftee"}
    order.ship_to_name = "Gina Giftee"
    order.save()
    shipment = shipment_create(order=order, carrier="UPS", tracking_number="1ZGIFT")
    _, text, html = render_shipment_email(shipment=shipment, kind="shipment_confirmation")
    assert text.startswith("Hello Bea Buyer,") and "Hello Bea Buyer," in html
    assert "Gina" not in text.splitlines()[0]
    order = shipment.order
    order.bill_to = {}
    order.save()
    _, text, _ = render_shipment_email(shipment=shipment, kind="shipment_confirmation")
    assert text.startswith("Hello Gina Giftee,")
    order.ship_to, order.ship_to_name = {}, ""
    order.save()
    _, text, _ = render_shipment_email(shipment=shipment, kind="shipment_confirmation")
    assert text.startswith("Hello,")
