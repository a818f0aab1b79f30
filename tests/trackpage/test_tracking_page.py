"""Issue 33 part 3: the buyers' public tracking page: by token, by order number + e-mail or postal code, by a
bare tracking number; what each shows and never shows; the limiter; noindex; CSP; one store's data only."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shipments.services import shipment_void
from tracking.models import LookupThrottle

from .conftest import BUYER

pytestmark = pytest.mark.django_db


def page_url(parcel) -> str:
    return reverse("trackpage:shipment", args=[parcel.shipment.tracking_token])


def lookup_url(store) -> str:
    return reverse("trackpage:lookup", args=[store.tracking_slug])


def text_of(response) -> str:
    """What the reader sees: the page without its tags, and the values of its attributes (alt, title…)."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def assert_nothing_of_the_buyer(response, parcel):
    # (random tokens, the page's own or the form's CSRF token, may spell "VIP" by chance: not shown data)
    body = re.sub(r"[A-Za-z0-9]{20,}", "", response.content.decode())
    for secret in (BUYER["name"], BUYER["street"], parcel.order.email, "Payer", "9 Bank Rd", "555-0100", "VIP"):
        assert secret not in body, secret
    assert "Red mug" not in body and "21.00" not in body and "42.00" not in body


def lookup(client, store, ip="203.0.113.9", **data):
    kind = "parcel" if "tracking_number" in data else "order"
    post = {"kind": kind}
    if kind == "parcel":
        post["parcel-tracking_number"] = data["tracking_number"]
    else:
        post["order-number"], post["order-contact"] = data["number"], data["contact"]
    return client.post(lookup_url(store), post, REMOTE_ADDR=ip)


def test_the_page_by_token_shows_the_store_the_timeline_the_estimate_the_items_and_the_contact(client, parcel_a):
    response = client.get(page_url(parcel_a))
    assert response.status_code == 200
    body = response.content.decode()
    text = text_of(response)
    assert "Acme Goods" in text and "--accent: #0a7d32" in body
    assert "On its way" in text and "Order A-100" in text
    assert 'id="estimated-delivery"' in body
    timeline = body.split('id="timeline"')[1].split("</ol>")[0]
    assert timeline.index("Arrived at facility") < timeline.index("Departed from facility") < timeline.index("Origin")
    assert "Red mug" in text and "2 ×" in text  # the items, never their prices
    assert "21.00" not in text and "42.00" not in text and "VIP" not in text
    assert "555-0142" in text and "help@acme.example.com" in text and "https://acme.example.com" in text
    # The buyer's own address and e-mail are not on the page: the link may be forwarded.
    assert BUYER["street"] not in text and parcel_a.order.email not in text


def test_the_page_is_noindex_uncached_sends_no_referrer_elsewhere_and_runs_no_script(client, parcel_a):
    response = client.get(page_url(parcel_a))
    body = response.content.decode()
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in body
    assert response["Referrer-Policy"] == "same-origin" and "no-store" in response["Cache-Control"]
    assert "<script" not in body and not re.search(r"\son\w+=", body)  # no script, no inline handler
    csp = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_the_timeline_is_one_query_and_the_whole_page_a_handful(client, parcel_a):
    client.get(page_url(parcel_a))  # warm: content types, templates
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page_url(parcel_a)).status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert len([s for s in sql if "tracking_trackingevent" in s]) == 1
    # The shipment with its order, store, settings and tracking row; the events; the items.
    assert len(sql) == 3, sql


def test_an_unknown_or_voided_token_is_a_plain_not_found(client, parcel_a):
    assert client.get(reverse("trackpage:shipment", args=["no-such-token"])).status_code == 404
    shipment_void(shipment=parcel_a.shipment)
    response = client.get(page_url(parcel_a))
    assert response.status_code == 404 and response["X-Robots-Tag"] == "noindex, nofollow"
    assert "A-100" not in response.content.decode()


@pytest.mark.parametrize("contact", ["buyer-email", "78701", " 787 01 "])
def test_order_number_and_the_buyers_e_mail_or_postal_code_open_the_page(client, parcel_a, contact):
    contact = parcel_a.order.email.upper() if contact == "buyer-email" else contact
    response = lookup(client, parcel_a.store, number="a-100", contact=contact)
    assert response.status_code == 200
    text = text_of(response)
    assert "Order A-100" in text and "Red mug" in text and "Arrived at facility" in text


def test_a_wrong_e_mail_a_wrong_postal_code_and_no_such_order_get_one_answer_that_tells_nothing(client, parcel_a):
    answers = [
        lookup(client, parcel_a.store, number="A-100", contact="someone@else.example"),
        lookup(client, parcel_a.store, number="A-100", contact="10001"),
        lookup(client, parcel_a.store, number="A-999", contact=parcel_a.order.email),
    ]
    bodies = set()
    for response in answers:
        assert response.status_code == 404
        assert "We found no parcel matching these details" in text_of(response)
        assert_nothing_of_the_buyer(response, parcel_a)
        assert "Arrived at facility" not in response.content.decode()
        bodies.add(re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode()))
    assert len(bodies) == 1  # "no such order" cannot be told from "wrong e-mail"


def test_a_bare_tracking_number_shows_checkpoints_only(client, parcel_a):
    response = lookup(client, parcel_a.store, tracking_number=" 1zacme 0001 ")
    assert response.status_code == 200
    text = text_of(response)
    assert "Arrived at facility" in text and "Kansas City MO" in text and "On its way" in text
    assert_nothing_of_the_buyer(response, parcel_a)
    assert "A-100" not in response.content.decode() and "In this parcel" not in text


def test_thirty_wrong_lookups_from_one_address_are_refused_and_others_are_not(client, parcel_a, settings):
    assert settings.TRACKING_LOOKUP_FAILURE_LIMIT == 30
    for n in range(30):
        assert lookup(client, parcel_a.store, number=f"A-{n}", contact="x@example.com").status_code == 404
    assert LookupThrottle.objects.get().failures == 30  # one row for the address, shared by every process
    refused = lookup(client, parcel_a.store, number="A-100", contact=parcel_a.order.email)
    assert refused.status_code == 429 and "Too many lookups" in text_of(refused)
    assert "Red mug" not in refused.content.decode()
    assert lookup(client, parcel_a.store, tracking_number="1ZACME0001").status_code == 429
    # Another address is not held back; the page by token is never limited.
    other = lookup(client, parcel_a.store, ip="198.51.100.20", number="A-100", contact=parcel_a.order.email)
    assert other.status_code == 200 and "Red mug" in text_of(other)
    assert client.get(page_url(parcel_a), REMOTE_ADDR="203.0.113.9").status_code == 200


def test_the_limit_ends_with_its_window(client, parcel_a, settings):
    settings.TRACKING_LOOKUP_FAILURE_LIMIT = 2
    for _ in range(2):
        lookup(client, parcel_a.store, number="A-1", contact="x@example.com")
    assert lookup(client, parcel_a.store, number="A-100", contact="78701").status_code == 429
    LookupThrottle.objects.update(window_started_at="2000-01-01T00:00:00Z")
    assert lookup(client, parcel_a.store, number="A-100", contact="78701").status_code == 200


def test_one_stores_parcels_never_show_through_another_stores_page(client, parcel_a, parcel_b):
    store_b = parcel_b.store
    for response in (
        lookup(client, store_b, number="A-100", contact=parcel_a.order.email),
        lookup(client, store_b, number="A-100", contact="78701"),
        lookup(client, store_b, tracking_number="1ZACME0001"),
    ):
        assert response.status_code == 404
        assert "Acme Goods" not in response.content.decode() and "Arrived at facility" not in text_of(response)
    # A's token shows A's shipment in A's branding, never B's; B's lookup finds B's own parcel.
    page = client.get(page_url(parcel_a)).content.decode()
    assert "Acme Goods" in page and "Bravo Shop" not in page and "B-200" not in page
    assert "Order B-200" in text_of(lookup(client, store_b, number="B-200", contact="78701"))
    assert client.get(reverse("trackpage:lookup", args=["no-such-store"])).status_code == 404


def test_french_by_the_browser_and_english_by_the_switch(client, parcel_a):
    french = client.get(page_url(parcel_a), HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert french["Content-Language"] == "fr" and '<html lang="fr">' in french.content.decode()
    assert "En route" in text_of(french) and "Commande A-100" in text_of(french)
    english = client.get(page_url(parcel_a) + "?lang=en", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert english["Content-Language"] == "en" and "On its way" in text_of(english)
    refused = lookup(client, parcel_a.store, number="A-1", contact="x@example.com")
    assert refused.status_code == 404


def test_the_lookup_form_is_the_stores_and_a_field_left_empty_is_not_counted(client, parcel_a):
    page = client.get(lookup_url(parcel_a.store))
    assert page.status_code == 200 and "Acme Goods" in text_of(page) and page["X-Robots-Tag"] == "noindex, nofollow"
    response = lookup(client, parcel_a.store, number="A-100", contact="")
    assert response.status_code == 400 and not LookupThrottle.objects.exists()
