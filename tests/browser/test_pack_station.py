"""Issue 32's acceptance in a real browser, with the keyboard alone: orders driven through the pack page as a
USB scanner drives it (Playwright's keyboard.type, then Enter; never a mouse event: the page counts them). A
slip opens its order; each item ticks one unit; a wrong item, an extra unit and an unknown code are refused
(the large red message, the count unchanged); a member without the grant cannot skip verification (refused)
and, granted, can (logged with them, a ZPL label downloaded); every order ends with one label and one
shipment bought from the carrier sandbox. ~5 orders by default; 50 under `pytest -m slow`."""

from __future__ import annotations

import os

import pytest

from .conftest import PASSWORD, shoot, skip_without_chromium

pytestmark = skip_without_chromium

# Every mouse or pointer event the page sees (none may come: the packer's hands are on the scanner). And the
# PDFs the page sends to print: headless Chromium has no print dialog (printing a PDF frame there crashes the
# page), so the page's own hook for a print bridge ("outbound:print") takes them, as QZ Tray would.
COUNT_MOUSE = """
window.__mouse = 0;
["mousedown", "mouseup", "mousemove", "pointerdown", "pointerup", "wheel", "contextmenu"].forEach(
    (type) => window.addEventListener(type, () => { window.__mouse += 1; }, true));
window.__printed = [];
document.addEventListener("outbound:print", (e) => {
    if (e.detail.format === "pdf") { window.__printed.push(e.detail.url); e.preventDefault(); }
});
"""


def keyboard_sign_in(browser, live_server, username, language="en", viewport=None):
    context = browser.new_context(
        viewport=viewport or {"width": 1024, "height": 768},
        base_url=live_server.url,
        locale={"en": "en-US", "fr": "fr-FR"}[language],
    )
    host = live_server.url.split("//", 1)[1].split(":")[0]
    context.add_cookies([{"name": "django_language", "value": language, "domain": host, "path": "/"}])
    context.add_init_script(COUNT_MOUSE)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto("/login/")
    page.locator("#id_username").focus()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto("/pack/")
    page.wait_for_selector("#pack-form[data-idle=true]")
    assert page.evaluate("document.activeElement.id") == "pack-code"  # ready to scan, nothing clicked
    return context, page


def scan(page, code):
    """What a scanner does: types the code fast and presses Enter; then the page's answer."""
    page.keyboard.type(code, delay=0)
    page.evaluate("document.getElementById('pack-form').removeAttribute('data-idle')")
    page.keyboard.press("Enter")
    page.wait_for_selector("#pack-form[data-idle=true]", state="attached")
    return page.locator("#pack-message").get_attribute("data-kind"), page.locator("#pack-message").inner_text()


def press_button(page, element_id):
    """Tab from the scan box to a button, then Enter: the keyboard's way to press it."""
    page.locator("#pack-code").focus()
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            break
    else:
        pytest.fail(f"Tab never reached #{element_id}")
    page.evaluate("document.getElementById('pack-form').removeAttribute('data-idle')")
    page.keyboard.press("Enter")
    page.wait_for_selector("#pack-form[data-idle=true]", state="attached")
    return page.locator("#pack-message").get_attribute("data-kind"), page.locator("#pack-message").inner_text()


def packed(page) -> int:
    return int(page.locator("#pack-progress").get_attribute("data-done"))


def wait_for_label(page):
    page.wait_for_function(
        "() => !document.getElementById('pack-last').hidden && document.getElementById('pack-order').hidden"
    )
    return page.locator("#pack-message").inner_text()


@pytest.mark.parametrize(
    "orders",
    [
        pytest.param(5, id="5-orders"),
        pytest.param(50, id="50-orders", marks=[pytest.mark.slow, pytest.mark.exhaustive]),
    ],
)
def test_orders_packed_with_the_keyboard_alone_each_get_one_label(
    browser, live_server, alice, tenant_a, store_a, carrier_sandbox, orders
):
    from carriers.gateway import forget_all_tokens
    from labels.models import LabelPurchase, PurchaseState
    from orders.rules import services as rule_services
    from packing.models import ScanEvent, ScanResult
    from packing.services import pack_profile_set
    from shipments.models import Shipment
    from stores.models import Role
    from tests import factories
    from tests.factories import make_product
    from tests.labels.conftest import label_setup
    from tests.packing.conftest import make_pack_order

    forget_all_tokens()
    accounts = label_setup(tenant_a, store_a, carrier_sandbox)
    preset = rule_services.preset_save(
        tenant=tenant_a, name="UPS Ground", carrier_account=accounts["UPS"], service="ups_ground"
    )
    numbers = [f"K-{n:03d}" for n in range(1, orders + 1)]
    made = [make_pack_order(store_a, number=number, preset=preset) for number in numbers]
    make_product(store_a, sku="SPOON-9")  # a product of the store that is on no order here
    dave = factories.make_user("dave", password=PASSWORD)
    factories.make_member(tenant_a, dave, Role.MEMBER)
    pack_profile_set(tenant=tenant_a, user=dave, label_format="zpl")  # dave's station prints ZPL

    context, page = keyboard_sign_in(browser, live_server, "alice")
    *by_alice, last = numbers
    for index, number in enumerate(by_alice):
        kind, words = scan(page, number.lower() if index == 1 else number)  # typed, in lower case, once
        assert kind == "ok" and page.locator("#pack-order-title").inner_text() == f"Order {number}", words
        if index == 0:
            assert scan(page, "MUG-RED")[0] == "ok" and packed(page) == 1
            assert "pack-flash" in page.locator("#pack-lines tr").first.get_attribute("class")
            kind, words = scan(page, "SPOON-9")
            assert kind == "refused" and "Wrong item" in words and packed(page) == 1
            assert page.locator("#pack-message.pack-refused").is_visible()
            shoot(page, "pack-wrong-item-en-1024", full_page=True)
            kind, words = scan(page, "NO-SUCH-CODE")
            assert kind == "refused" and "Unknown code" in words and packed(page) == 1
            assert scan(page, "012345678905")[0] == "ok" and packed(page) == 2  # the store's UPC
            kind, words = scan(page, "MUG-RED")
            assert kind == "refused" and "Extra unit" in words and packed(page) == 2
            page.set_viewport_size({"width": 390, "height": 844})
            shoot(page, "pack-extra-unit-en-390", full_page=True)
            page.set_viewport_size({"width": 1024, "height": 768})
            scan(page, "TEA-GREEN")
        else:
            for code in ("MUG-RED", "012345678905", "TEA-GREEN"):
                scan(page, code)
        assert "Label bought" in wait_for_label(page)
        printed = page.evaluate("window.__printed")
        assert len(printed) == index + 1 and page.request.get(printed[-1]).headers["content-type"] == "application/pdf"
        assert page.evaluate("document.activeElement.id") == "pack-code"  # ready for the next slip
    shoot(page, "pack-label-bought-en-1024", full_page=True)
    assert page.evaluate("window.__mouse") == 0
    context.close()

    # Dave, a member: skipping is refused until an owner grants it; then it is logged with him.
    context, page = keyboard_sign_in(browser, live_server, "dave")
    scan(page, last)
    kind, words = press_button(page, "pack-skip")
    assert kind == "refused" and "may not skip" in words and packed(page) == 0
    pack_profile_set(tenant=tenant_a, user=dave, may_skip=True)
    with page.expect_download() as download:
        press_button(page, "pack-skip")
        wait_for_label(page)
    assert download.value.suggested_filename.endswith(".zpl")
    assert page.evaluate("window.__mouse") == 0
    context.close()

    for order in made:
        assert LabelPurchase.objects.filter(order=order, state=PurchaseState.BOUGHT).count() == 1, order.number
        assert Shipment.objects.filter(order=order).count() == 1, order.number
    assert len(carrier_sandbox.labels_sold()) == orders
    skip = ScanEvent.objects.get(order=made[-1], result=ScanResult.SKIPPED)
    assert skip.user == dave and ScanEvent.objects.filter(order=made[-1], result=ScanResult.SKIP_REFUSED).count() == 1
    first = list(ScanEvent.objects.filter(order=made[0]).values_list("result", flat=True))
    assert first == ["slip", "ok", "wrong_item", "unknown", "ok", "extra_unit", "ok", "label"]


def test_the_open_order_and_a_refusal_pass_axe_in_both_languages(browser, live_server, alice, tenant_a, store_a):
    """The page's states the every-page test cannot reach (an order open, a red refusal): axe, no sideways
    scroll at 1024 and 390 px, French throughout."""
    from tests.browser.test_every_page import axe_script, serious_violations
    from tests.packing.conftest import make_pack_order

    axe_path = axe_script()
    if axe_path is None:
        if os.environ.get("CI"):
            pytest.fail("axe-core could not be fetched")
        pytest.skip("axe-core could not be fetched")
    make_pack_order(store_a, number="AX-1")
    for language, refusal in (("en", "Unknown code"), ("fr", "Code inconnu")):
        context, page = keyboard_sign_in(browser, live_server, "alice", language)
        scan(page, "AX-1")
        scan(page, "MUG-RED")
        kind, words = scan(page, "ZZZ-404")
        assert kind == "refused" and refusal in words
        for width, height in ((1024, 768), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            shoot(page, f"pack-open-{language}-{width}", full_page=True)
            size = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert size[0] <= size[1], f"{language} {width} px: {size}"
            assert serious_violations(page, axe_path) == []
        if language == "fr":
            text = page.locator("main").inner_text()
            assert "Scan an item" not in text and "units packed" not in text and "Order AX-1" not in text
            assert "Commande AX-1" in text
        context.close()
