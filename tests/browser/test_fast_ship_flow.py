"""Issue 17 item 4 in a real browser: keyboard shortcuts on the order list and an order's page, the ship
form pre-filled from the shipping-method table, and "Ship & next" walking the Awaiting Shipment queue."""

import datetime as dt
import re

from django.utils import timezone

from tests.browser.test_portal_flow import page_for, pytestmark  # noqa: F401  (fixture, marker)


def test_shortcuts_prefill_and_ship_and_next(page_for, alice, store_a):  # noqa: F811
    from orders.models import OrderStatus
    from shipments.method_mapping import shipping_method_mapping_set
    from tests.factories import make_detailed_order

    now = timezone.now()
    orders = {
        n: make_detailed_order(store_a, number=n, shipping_method="Express", order_date=now - dt.timedelta(days=d))
        for n, d in (("OLD", 3), ("MID", 2), ("NEW", 1))
    }
    shipping_method_mapping_set(store=store_a, requested_method="Express", carrier="FedEx", service="2Day")
    page = page_for("alice")
    page.goto("/orders/?status=awaiting_shipment")

    # j / k choose rows; x without checkboxes does nothing; typing in the search box is left alone.
    rows = page.locator("table.orders-table tbody tr")
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert "kbd-current" in (rows.nth(1).get_attribute("class") or "")
    page.keyboard.press("k")
    assert "kbd-current" in (rows.nth(0).get_attribute("class") or "")
    page.keyboard.press("x")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.type") == "search"
    page.keyboard.type("jk")
    assert page.locator("main input[type=search]").input_value() == "jk"
    assert "kbd-current" in (rows.nth(0).get_attribute("class") or "")
    page.locator("main input[type=search]").fill("")
    page.locator("main input[type=search]").evaluate("el => el.blur()")

    # ? opens the help dialog; Escape closes it.
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    assert dialog.is_visible()
    page.keyboard.press("Escape")
    assert not dialog.is_visible()

    # s ships the chosen row: the ship form carries the list's query and starts from the table.
    with page.expect_navigation(url=re.compile(rf"/orders/{orders['OLD'].pk}/ship/\?status=awaiting_shipment")):
        page.keyboard.press("s")
    assert page.locator("#id_carrier").input_value() == "FedEx"
    assert page.locator("#id_service").input_value() == "2Day"
    assert page.locator("#prefill-note").is_visible()

    # Ship & next: the next order of the queue opens, oldest first.
    page.locator("#id_tracking_number").fill("TRACK-OLD")
    with page.expect_navigation(url=re.compile(rf"/orders/{orders['MID'].pk}/ship/")):
        page.get_by_role("button", name="Ship & next").click()
    assert page.get_by_text("next in the queue: MID").is_visible()
    orders["OLD"].refresh_from_db()
    assert orders["OLD"].status == OrderStatus.SHIPPED
    page.locator("#id_tracking_number").fill("TRACK-MID")
    with page.expect_navigation(url=re.compile(rf"/orders/{orders['NEW'].pk}/ship/")):
        page.get_by_role("button", name="Ship & next").click()

    # An order's page opened from the list: k goes to the list's previous order, s to the ship form.
    page.goto(f"/orders/{orders['NEW'].pk}/?status=&sort=oldest")
    with page.expect_navigation(url=re.compile(rf"/orders/{orders['MID'].pk}/\?")):
        page.keyboard.press("k")
    page.goto(f"/orders/{orders['NEW'].pk}/?status=awaiting_shipment")
    with page.expect_navigation(url=re.compile(rf"/orders/{orders['NEW'].pk}/ship/")):
        page.keyboard.press("s")
