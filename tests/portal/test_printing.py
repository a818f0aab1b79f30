"""Printing from the portal: packing slips and the pick list of a selection, as PDFs shown inline.

What they prove: a member and a viewer get a PDF (application/pdf, inline, a filename) of exactly their
own selected orders; another tenant's ids in a selection are left out (all foreign: 404); an empty
selection or one over the cap sends the user back with a message; the order page has a "Packing slip"
button posting that one order.
"""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from shipments import printing
from tests.factories import make_detailed_order

pypdf = pytest.importorskip("pypdf")
try:
    import weasyprint  # noqa: F401
except OSError:
    pytest.skip("WeasyPrint's system libraries are not installed", allow_module_level=True)


def text_of(response) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages)


@pytest.mark.parametrize("who", ["alice_client", "bob_client"])
def test_packing_slips_of_the_selection_as_an_inline_pdf(request, who, order_a, store_a, order_b):
    client = request.getfixturevalue(who)
    second = make_detailed_order(store_a, number="A-101", sku="MUG-BLUE")
    response = client.post(reverse("portal:orders_packing_slips"), {"order_ids": [order_a.pk, second.pk, order_b.pk]})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert "packing-slips-" in response["Content-Disposition"] and "-2-orders.pdf" in response["Content-Disposition"]
    text = text_of(response)
    assert "Order #A-100" in text and "Order #A-101" in text and "B-200" not in text and "BRAVO" not in text


def test_the_pick_list_of_one_order(alice_client, order_a):
    response = alice_client.post(reverse("portal:orders_pick_list"), {"order_ids": order_a.pk})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="pick-list-A-100.pdf"' in response["Content-Disposition"]
    assert "MUG-RED" in text_of(response)


def test_a_french_reader_gets_french_documents(alice_client, order_a):
    alice_client.cookies["django_language"] = "fr"
    response = alice_client.post(reverse("portal:orders_pick_list"), {"order_ids": order_a.pk})
    assert "Liste de préparation" in text_of(response)


def test_nothing_selected_goes_back_with_a_message(alice_client, order_a):
    response = alice_client.post(
        reverse("portal:orders_packing_slips"), {"next": "/orders/?status=on_hold"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/orders/?status=on_hold"
    assert "Select at least one order to print." in response.content.decode()


def test_a_foreign_next_is_not_followed(alice_client):
    response = alice_client.post(reverse("portal:orders_pick_list"), {"next": "https://evil.example.com/"})
    assert response.status_code == 302 and response["Location"] == reverse("portal:order_list")


def test_a_selection_over_the_cap_is_refused_in_words(alice_client, order_a, store_a, monkeypatch):
    monkeypatch.setattr(printing, "MAX_PRINT_ORDERS", 1)
    second = make_detailed_order(store_a, number="A-101", sku="MUG-BLUE")
    response = alice_client.post(
        reverse("portal:orders_packing_slips"), {"order_ids": [order_a.pk, second.pk]}, follow=True
    )
    assert "Print at most 1 order at once" in response.content.decode()


def test_printing_is_post_only(alice_client):
    assert alice_client.get(reverse("portal:orders_packing_slips")).status_code == 405


@pytest.mark.parametrize("who", ["alice_client", "bob_client"])
def test_the_order_page_has_a_packing_slip_button(request, who, order_a):
    page = request.getfixturevalue(who).get(reverse("portal:order_detail", args=[order_a.pk])).content.decode()
    form = page.split('id="packing-slip-form"')[0].rsplit("<form", 1)[1] + page.split('id="packing-slip-form"')[1]
    assert reverse("portal:orders_packing_slips") in form and f'value="{order_a.pk}"' in form
    assert 'id="packing-slip-button"' in page


def test_all_matching_prints_every_order_the_filters_match_in_the_lists_order(alice_client, store_a, order_b):
    held = make_detailed_order(store_a, number="H-1", sku="HELD", status="on_hold")
    waiting = [make_detailed_order(store_a, number=f"W-{n}", sku=f"W{n}") for n in range(3)]
    response = alice_client.post(
        reverse("portal:orders_packing_slips"), {"all_matching": "1", "status": "awaiting_shipment", "sort": "oldest"}
    )
    pages = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages]
    numbers = [next(n for n in ("W-0", "W-1", "W-2", "H-1", "B-200") if f"Order #{n}" in page) for page in pages]
    assert numbers == [o.number for o in sorted(waiting, key=lambda o: (o.order_date, o.pk))]
    assert held.number not in numbers


def test_all_matching_with_nothing_matching_says_so(alice_client, order_a):
    response = alice_client.post(
        reverse("portal:orders_pick_list"), {"all_matching": "1", "status": "cancelled"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("portal:order_list") + "?status=cancelled"
    assert "No order matches the list" in response.content.decode()


def test_a_print_request_costs_the_same_queries_for_5_or_50_orders(alice_client, store_a, settings):
    settings.PRINT_INLINE_MAX_ORDERS = 50  # both rendered within the request (bigger ones are print jobs)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_order

    alice_client.get(reverse("portal:dashboard"))  # the session learns its workspace once
    counts = []
    for size in (5, 50):
        ids = [make_order(store_a, lines=2, number=f"S{size}-{n}").pk for n in range(size)]
        with CaptureQueriesContext(connection) as queries:
            response = alice_client.post(reverse("portal:orders_pick_list"), {"order_ids": ids})
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
