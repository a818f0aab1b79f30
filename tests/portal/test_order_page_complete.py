"""The order page shows everything the order holds: bill-to, requested warehouse, custom fields, line
totals and subtotal, weights in the store's unit, Outbound's internal notes, and a hold with its reason;
the ship form says which lines it leaves off; orders skipped for no ship-to address are listed."""

from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from orders.models import OrderStatus, SkippedOrder
from orders.selectors import skipped_order_list
from orders.weights import weight_convert
from tests.factories import make_detailed_order as make_order


def _page(client, order):
    response = client.get(reverse("portal:order_detail", args=[order.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_order_page_shows_bill_to_warehouse_custom_fields_and_totals(alice_client, store_a):
    order = make_order(
        store_a,
        number="A-7",
        requested_warehouse="East DC",
        custom_field_1="PO 4471",
        custom_field_2="Rush",
        custom_field_3="Dept 9",
        bill_to={
            "name": "Bill Payer",
            "company": "Payer & Co",
            "address1": "9 Bank Rd",
            "city": "Dallas",
            "state": "TX",
            "postal_code": "75201",
            "country": "US",
        },
    )
    body = _page(alice_client, order)
    bill = body.split('id="bill-to"')[1].split("</section>")[0]
    for text in ["Bill Payer", "Payer &amp; Co", "9 Bank Rd", "Dallas"]:
        assert text in bill, text
    for text in ["East DC", "PO 4471", "Rush", "Dept 9"]:
        assert text in body, text
    assert "42.00" in body  # the mug line: 2 × 21.00
    subtotal = body.split('id="items-subtotal"')[1].split("</tr>")[0]
    assert "47.00" in subtotal  # 42.00 + the e-book's 5.00; the coupon is no item


def test_weights_shown_in_the_store_unit_with_the_original_on_hover(alice_client, store_a):
    store_a.settings.default_weight_unit = "Ounces"
    store_a.settings.save()
    body = _page(alice_client, make_order(store_a))
    assert '<span class="converted" title="As sent by the store: 1.5 Pounds">24 Ounces</span>' in body
    assert '<span class="converted" title="As sent by the store: 0.75 Pounds">12 Ounces</span>' in body


def test_weight_convert():
    assert weight_convert(Decimal("1"), "Pounds", "Grams") == Decimal("453.592")
    assert weight_convert(Decimal("16"), "Ounces", "Pounds") == Decimal("1.000")
    assert weight_convert(Decimal("2"), "", "Pounds") == Decimal("2")
    assert weight_convert(None, "Pounds", "Grams") is None


def test_member_puts_an_order_on_hold_with_a_reason_and_releases_it(alice_client, order_a):
    assert 'id="hold-button"' in _page(alice_client, order_a)
    response = alice_client.post(reverse("portal:order_hold", args=[order_a.pk]), {"reason": "Address to check"})
    assert response.status_code == 302
    order_a.refresh_from_db()
    assert order_a.status == OrderStatus.ON_HOLD and order_a.hold_reason == "Address to check"
    body = _page(alice_client, order_a)
    assert "Address to check" in body and 'id="release-button"' in body and 'id="hold-button"' not in body
    alice_client.post(reverse("portal:order_release", args=[order_a.pk]))
    order_a.refresh_from_db()
    assert order_a.status == OrderStatus.AWAITING_SHIPMENT and order_a.hold_reason == ""


def test_hold_without_a_reason_is_refused_and_changes_nothing(alice_client, order_a):
    response = alice_client.post(reverse("portal:order_hold", args=[order_a.pk]), {"reason": "  "})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    order_a.refresh_from_db()
    assert order_a.status == OrderStatus.AWAITING_SHIPMENT


def test_release_of_an_order_not_on_hold_says_so(alice_client, order_a):
    response = alice_client.post(reverse("portal:order_release", args=[order_a.pk]), follow=True)
    assert "This order is not on hold." in response.content.decode()


def test_internal_notes_are_saved_and_shown_to_viewers(alice_client, bob_client, order_a):
    alice_client.post(reverse("portal:order_notes", args=[order_a.pk]), {"outbound_notes": "Pack with care"})
    order_a.refresh_from_db()
    assert order_a.outbound_notes == "Pack with care"
    assert order_a.events.filter(kind="notes").exists()
    assert "Pack with care" in _page(bob_client, order_a)


def test_ship_form_says_which_lines_it_leaves_off(alice_client, order_a):
    body = alice_client.get(reverse("portal:order_ship", args=[order_a.pk])).content.decode()
    note = body.split('id="left-off-note"')[1].split("</p>")[0]
    assert "Recipe e-book" in note and "e-product" in note


def _skip(store, number, reason="no_ship_to"):
    return SkippedOrder.objects.create(
        store=store,
        external_id=number,
        number=number,
        reason=reason,
        store_status="Pickup",
        modified_at=timezone.now(),
        content_hash="x",
    )


def test_orders_skipped_for_no_ship_to_are_listed_under_the_store(alice_client, store_a, store_b, tenant_a):
    _skip(store_a, "S-1")
    _skip(store_a, "S-2", reason="unmapped_status")
    _skip(store_b, "S-B")
    body = alice_client.get(reverse("portal:store_skipped", args=[store_a.pk])).content.decode()
    assert "#S-1" in body and "no ship-to address" in body and store_a.url in body
    assert "#S-2" not in body and "#S-B" not in body
    settings_page = alice_client.get(reverse("portal:store_settings", args=[store_a.pk])).content.decode()
    assert reverse("portal:store_skipped", args=[store_a.pk]) in settings_page
    assert [s.number for s in skipped_order_list(tenant=tenant_a, store_id=store_b.pk)] == []


def test_outsider_cannot_list_skipped_orders(charlie_client, store_a):
    _skip(store_a, "S-1")
    assert charlie_client.get(reverse("portal:store_skipped", args=[store_a.pk])).status_code == 404
