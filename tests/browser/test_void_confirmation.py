"""The void confirmation, in a real browser: before the merchant confirms, it says the store keeps the
old shipment and tracking, the re-shipment sends the new tracking, and the buyer may have the old e-mail."""

import re

from tests.browser.test_portal_flow import page_for, pytestmark  # noqa: F401  (fixture, marker)


def test_the_void_dialog_warns_before_anything_is_voided(page_for, alice, store_a):  # noqa: F811
    from shipments.models import Shipment, ShipmentState
    from shipments.services import shipment_create
    from tests.factories import make_detailed_order

    order = make_detailed_order(store_a, number="A-VOID")
    shipment = shipment_create(order=order, carrier="UPS", tracking_number="1ZOLD")
    Shipment.objects.filter(pk=shipment.pk).update(store_update_state="sent")  # the store has it
    page = page_for("alice")
    page.goto(f"/orders/{order.pk}/")
    messages = []

    def answer(dialog, accept):
        messages.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.get_by_role("button", name="Void").click()
    assert "keep showing this shipment and its tracking number" in messages[0]
    assert "re-shipment sends the new tracking" in messages[0]
    assert "buyer may already have the e-mail with the old tracking number" in messages[0]
    shipment.refresh_from_db()
    assert shipment.state != ShipmentState.VOIDED  # dismissed: nothing happened

    page.once("dialog", lambda d: answer(d, True))
    with page.expect_navigation(url=re.compile(rf"/orders/{order.pk}/$")):
        page.get_by_role("button", name="Void").click()
    assert page.get_by_text("Shipment voided.").first.is_visible()
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.VOIDED
