"""Issue 33 part 4: the four buyer notices, each at most once per shipment (repeated events, a message handled
twice, two workers), each linking to the tracking page, in the store's language, previewed in EN and FR."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection, connections
from django.urls import reverse

from outbox import services as outbox
from outbox.models import OutboxMessage
from outbox.services import outbox_relay
from shipments.emails import email_send
from shipments.models import EmailSend
from shipments.services import (
    shipment_estimated_delivery_notify,
    shipment_mark_delivered,
    shipment_out_for_delivery_notify,
)
from stores.services import store_settings_update
from tests.factories import make_detailed_order, make_shipment

KINDS = {"shipment_confirmation", "estimated_delivery", "out_for_delivery", "delivery_notice"}


def relay_all() -> int:
    total = 0
    while done := outbox_relay(limit=100):
        total += done
    return total


def all_notices_on(store, **extra):
    store_settings_update(
        store=store, send_out_for_delivery=True, send_estimated_delivery=True, company_name="Acme Goods", **extra
    )


def every_event_twice(shipment):
    for _ in range(2):
        shipment_estimated_delivery_notify(shipment=shipment, estimated_delivery=dt.date(2030, 5, 6))
        shipment_out_for_delivery_notify(shipment=shipment)
    for _ in range(2):
        shipment_mark_delivered(shipment=shipment)


@pytest.mark.django_db
def test_each_notice_goes_once_links_to_the_tracking_page_and_a_second_handling_sends_nothing(store_a, settings):
    settings.PUBLIC_BASE_URL = "https://track.example.com"
    all_notices_on(store_a)
    shipment = make_shipment(make_detailed_order(store_a, number="A-100"), carrier="UPS", tracking_number="1Z1")
    every_event_twice(shipment)
    relay_all()
    link = f"https://track.example.com/t/{shipment.tracking_token}/"
    assert sorted(EmailSend.objects.filter(shipment=shipment).values_list("kind", flat=True)) == sorted(KINDS)
    assert len(mail.outbox) == 4
    for message in mail.outbox:
        html = message.alternatives[0][0]
        assert link in message.body and f'href="{link}"' in html, message.subject
    estimate = next(m for m in mail.outbox if "new delivery date" in m.subject)
    assert "May 6, 2030" in estimate.body
    # The outbox hands one message to a worker again (a lease that ran out): it is not sent again.
    for message in OutboxMessage.objects.filter(kind="email"):
        status, _ = email_send(message)
        assert status == 208
    assert len(mail.outbox) == 4


@pytest.mark.django_db
def test_switched_off_notices_are_not_sent(store_a):
    store_settings_update(store=store_a, send_out_for_delivery=False, send_estimated_delivery=False)
    shipment = make_shipment(make_detailed_order(store_a), carrier="UPS", tracking_number="1Z2")
    every_event_twice(shipment)
    relay_all()
    assert sorted(EmailSend.objects.values_list("kind", flat=True)) == ["delivery_notice", "shipment_confirmation"]


@pytest.mark.django_db
def test_a_french_store_writes_to_its_buyers_in_french(store_a, settings):
    settings.PUBLIC_BASE_URL = "https://track.example.com"
    all_notices_on(store_a, buyer_language="fr")
    shipment = make_shipment(make_detailed_order(store_a, number="A-7"), carrier="UPS", tracking_number="1Z3")
    shipment_estimated_delivery_notify(shipment=shipment, estimated_delivery=dt.date(2030, 5, 6))
    relay_all()
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == [
        "Votre commande Acme Goods A-7 a une nouvelle date de livraison",
        "Votre commande Acme Goods A-7 est expédiée",
    ]
    estimate = next(m for m in mail.outbox if "nouvelle date" in m.subject)
    assert "6 mai 2030" in estimate.body and "Bonjour Jane Buyer," in estimate.body
    assert "Suivre votre colis" in estimate.alternatives[0][0] and 'lang="fr"' in estimate.alternatives[0][0]


@pytest.mark.skipif(connection.vendor == "sqlite", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_workers_seeing_the_same_events_send_each_notice_once(store_a, monkeypatch):
    monkeypatch.setattr(outbox, "_schedule", lambda message_id: None)  # leave the rows to the two workers
    all_notices_on(store_a)
    shipment = make_shipment(make_detailed_order(store_a), carrier="UPS", tracking_number="1Z4")
    start = threading.Barrier(2)
    errors = []

    def worker():
        try:
            start.wait()
            every_event_twice(shipment)
            while outbox_relay(limit=3):
                pass
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    relay_all()
    assert not errors
    assert sorted(EmailSend.objects.values_list("kind", flat=True)) == sorted(KINDS)
    assert len(mail.outbox) == 4


@pytest.mark.django_db
def test_the_notices_page_previews_the_four_in_english_and_french(alice_client, store_a, settings):
    settings.PUBLIC_BASE_URL = "https://track.example.com"
    all_notices_on(store_a)
    shipment = make_shipment(make_detailed_order(store_a, number="A-9"), carrier="UPS", tracking_number="1Z5")
    page = alice_client.get(reverse("portal:store_notices", args=[store_a.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    preview = reverse("portal:email_preview", args=[store_a.pk])
    for kind in KINDS:
        for lang in ("en", "fr"):
            assert f"{preview}?kind={kind}&amp;lang={lang}" in body
    assert f"/track/{store_a.tracking_slug}/" in body and f"/t/{shipment.tracking_token}/" in body
    french = alice_client.get(preview, {"kind": "estimated_delivery", "lang": "fr"}).content.decode()
    english = alice_client.get(preview, {"kind": "estimated_delivery", "lang": "en"}).content.decode()
    assert "Une nouvelle date de livraison pour votre commande A-9" in french and 'lang="fr"' in french
    assert "A new delivery date for your order A-9" in english
    assert f"https://track.example.com/t/{shipment.tracking_token}/" in french


@pytest.mark.django_db
def test_the_store_settings_switch_the_new_notice_and_choose_the_language(alice_client, store_a):
    response = alice_client.post(
        reverse("portal:store_settings", args=[store_a.pk]),
        {
            "section": "notifications",
            "notifications-send_shipment_confirmation": "on",
            "notifications-send_delivery_notice": "on",
            "notifications-send_estimated_delivery": "on",
            "notifications-buyer_language": "fr",
        },
    )
    assert response.status_code == 302
    store_a.settings.refresh_from_db()
    assert store_a.settings.send_estimated_delivery is True and store_a.settings.buyer_language == "fr"
    assert store_a.settings.send_out_for_delivery is False
    page = alice_client.get(reverse("portal:store_settings", args=[store_a.pk]), HTTP_ACCEPT_LANGUAGE="fr")
    assert reverse("portal:store_notices", args=[store_a.pk]) in page.content.decode()


@pytest.mark.django_db
def test_a_shipment_from_before_tokens_gets_one_when_a_notice_links_to_its_page(client, store_a, settings):
    from shipments.models import Shipment

    settings.PUBLIC_BASE_URL = "https://track.example.com"
    store_settings_update(store=store_a, send_shipment_confirmation=False)
    shipment = make_shipment(make_detailed_order(store_a, number="A-OLD"), carrier="UPS", tracking_number="1Z6")
    Shipment.objects.filter(pk=shipment.pk).update(tracking_token=None)  # as the migration leaves old rows
    shipment.refresh_from_db()
    shipment_mark_delivered(shipment=shipment)
    relay_all()
    shipment.refresh_from_db()
    assert shipment.tracking_token and len(shipment.tracking_token) == 32
    assert f"https://track.example.com/t/{shipment.tracking_token}/" in mail.outbox[0].body
    assert "Order A-OLD" in client.get(f"/t/{shipment.tracking_token}/").content.decode()


@pytest.mark.django_db
def test_two_stores_of_one_name_get_two_tracking_addresses(tenant_a, tenant_b):
    from tests.factories import make_store

    one, two = make_store(tenant_a, name="Corner Shop"), make_store(tenant_b, name="Corner Shop")
    assert one.tracking_slug.startswith("corner-shop-") and two.tracking_slug.startswith("corner-shop-")
    assert one.tracking_slug != two.tracking_slug
