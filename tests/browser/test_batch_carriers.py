"""Issue 25 items 4, 14, 19, 20 in a real browser, English and French, at 1366 and 390 px: the batch ship
form starts each row from its order's requested method and flags, as the carriers change, a row whose
carrier is not the one asked for; screenshots of the pages these items changed (batch form, ship form,
order page, dashboard)."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from .conftest import screenshots_asked, shoot, sign_in, skip_without_chromium
from .test_every_page import open_context

pytestmark = skip_without_chromium

WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def seed(store):
    from shipments.method_mapping import shipping_method_mapping_set
    from tests.factories import make_detailed_order, make_shipment

    now = timezone.now()
    shipping_method_mapping_set(store=store, requested_method="Ground saver", carrier="UPS", service="Ground")
    shipping_method_mapping_set(store=store, requested_method="Standard", carrier="USPS", service="")
    orders = {
        number: make_detailed_order(
            store, number=number, shipping_method=method, order_date=now - dt.timedelta(hours=50 - i)
        )
        for i, (number, method) in enumerate(
            [
                ("MAPPED-1", "Ground saver"),
                ("NAMED-1", "FedEx 2Day"),
                ("PLAIN-1", "Free shipping"),
                ("STD-1", "Standard"),
            ]
        )
    }
    shipped = make_detailed_order(store, number="DONE-1", order_date=now - dt.timedelta(days=3))
    make_shipment(shipped, tracking_number="1ZSHOT", ship_date=timezone.localdate())
    return orders, shipped


def shots(page, name, language):
    if not screenshots_asked():  # pytest --screenshots
        return
    for width, size in WIDTHS.items():
        page.set_viewport_size(size)
        page.evaluate("window.scrollTo(0, 0)")
        shoot(page, f"issue25-{name}-{language}-{width}", full_page=True)
    page.set_viewport_size(WIDTHS["desktop"])


def row(page, number):
    return page.locator("#batch-ship-form tr.batch-row", has=page.locator(f"a:text-is('#{number}')"))


@pytest.mark.parametrize("language", ["en", "fr"])
def test_batch_rows_follow_the_requested_method_and_flag_another_carrier(
    browser, live_server, alice, store_a, tenant_a, language
):
    orders, shipped = seed(store_a)
    context, page = open_context(browser, live_server, language, WIDTHS["desktop"])
    try:
        sign_in(page, "alice")
        shots(page, "dashboard", language)
        page.goto(reverse("portal:order_list") + "?status=awaiting_shipment")
        page.locator("#select-page").check()
        page.locator("#batch-ship").click()
        page.wait_for_url(re.compile(r"/orders/batch/$"))

        mapped, named, plain = row(page, "MAPPED-1"), row(page, "NAMED-1"), row(page, "PLAIN-1")
        assert mapped.locator("select").input_value() == "UPS"
        assert mapped.locator("input[name^=service_]").input_value() == "Ground"
        assert plain.locator("select").input_value() == ""
        # The default (the first carrier) is not the FedEx the order asked for: flagged, in words.
        assert page.locator("#id_carrier").input_value() != "FedEx"
        assert named.locator(".carrier-flag").is_visible()
        assert "FedEx" in named.locator(".carrier-flag").inner_text()
        assert not mapped.locator(".carrier-flag").is_visible() and not plain.locator(".carrier-flag").is_visible()
        shots(page, "batch-ship-flagged", language)

        # The default set to FedEx: the FedEx order is no longer flagged. A mapped row changed by hand is.
        page.locator("#id_carrier").select_option("FedEx")
        named.locator(".carrier-flag").wait_for(state="hidden")
        mapped.locator("select").select_option("DHL")
        mapped.locator(".carrier-flag").wait_for(state="visible")
        assert "UPS" in mapped.locator(".carrier-flag").inner_text()
        assert "carrier-differs" in (mapped.get_attribute("class") or "")
        mapped.locator("select").select_option("UPS")
        mapped.locator(".carrier-flag").wait_for(state="hidden")

        # The single ship form of an order whose mapping has no service: the banner says only the carrier.
        page.goto(reverse("portal:order_ship", args=[orders["STD-1"].pk]))
        banner = page.locator("#prefill-note").inner_text()
        assert ("service" not in banner.split(";")[0]) if language == "en" else ("aucun service" in banner)
        assert page.locator("#id_service").input_value() == ""
        shots(page, "ship-form", language)

        page.goto(reverse("portal:order_detail", args=[shipped.pk]))
        shots(page, "order-page", language)
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_dashboard_without_shipments_says_so(browser, live_server, alice, store_a, tenant_a, language):
    from orders.models import OrderStatus
    from tests.factories import make_order

    make_order(store_a, status=OrderStatus.SHIPPED)  # shipped in the store: not one of Outbound's
    make_order(store_a, order_date=timezone.now() - dt.timedelta(days=4))
    context, page = open_context(browser, live_server, language, WIDTHS["desktop"])
    try:
        sign_in(page, "alice")
        assert page.locator("#ship-time-empty").is_visible()
        assert page.locator("#shipped-outside-note").is_visible()
        assert page.locator("#chart-ship-time svg").count() == 0
        shots(page, "dashboard-no-shipments", language)
    finally:
        context.close()
