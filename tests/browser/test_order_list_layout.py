"""The order list as a merchant reads it (issue 25, items 11, 12, 23, 25), in a real browser, in English
and French:

* at 1366 px the columns a merchant needs (order, date, customer, store, status, ship via, total) fit the
  card: the table does not scroll sideways and Total is on screen (11);
* at 390 px each order is a compact card (number, buyer, items, total, status, one action), well under
  200 px tall, and the search and filters are folded behind a button that opens them, by keyboard too (12);
* a voided order awaiting shipment says "voided — ship again", and its old tracking number is no live link,
  on the list and on the order page; the order page's phone card has no empty "Actions" row (23);
* at 390 px a long tracking number sits on one line, and order numbers do not break (25).

Screenshots at both widths and in both languages land in tests/artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from .conftest import skip_without_chromium
from .test_every_page import open_context, shot

pytestmark = skip_without_chromium

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
LONG_TRACKING = "9400111899223100012345678"  # 25 digits: a USPS IMpb number as carriers print it
VOIDED_TRACKING = "1Z999AA10123456784"


def seed(alice, tenant, store):
    """A busy Awaiting Shipment tab: two stores (one with storefronts), long names, e-mails and services,
    gifts, a partial shipment, an order needing attention, a voided shipment waiting to be shipped again,
    and a shipped order with a long tracking number."""
    from orders.models import Order
    from shipments.services import shipment_create, shipment_void
    from stores.models import Storefront
    from tests.factories import make_detailed_order, make_store

    outlet = make_store(tenant, name="Hutchinson Home & Garden Outlet")
    front = Storefront.objects.create(store=outlet, name="Wholesale storefront")
    now = timezone.now()
    methods = [
        "USPS Priority Mail Express International Flat Rate Envelope",
        "UPS 2nd Day Air A.M.",
        "FedEx International Priority Freight",
        "Free shipping (5-7 business days)",
    ]
    orders = []
    for i in range(8):
        orders.append(
            make_detailed_order(
                outlet if i % 2 else store,
                number=f"100{i:04d}-W",
                sku=f"SKU-{i}",
                order_date=now - dt.timedelta(hours=50 - i),
                email=f"margaret.hutchinson-whitfield{i}@longdomain-example.com",
                ship_to_name="Margaret Hutchinson-Whitfield",
                shipping_method=methods[i % 4],
                order_total=Decimal("12345.67"),
                currency="USD",
                storefront=front if i % 2 else None,
            )
        )
    Order.objects.filter(pk=orders[1].pk).update(needs_attention=True, attention_reason="The store refused")
    partial = orders[2]
    partial.lines.filter(line_key="1").update(quantity=3)
    shipment_create(
        order=partial,
        carrier="UPS",
        tracking_number="1ZPART1",
        user=alice,
        lines={partial.lines.get(line_key="1").pk: 1},
    )
    voided_order = orders[3]
    voided = shipment_create(order=voided_order, carrier="UPS", tracking_number=VOIDED_TRACKING, user=alice)
    shipment_void(shipment=voided, user=alice)
    shipped = make_detailed_order(store, number="2000001-SHIP", order_date=now - dt.timedelta(days=3))
    shipment_create(order=shipped, carrier="USPS", tracking_number=LONG_TRACKING, user=alice)
    return voided_order, shipped


def table_fits(page) -> dict:
    return page.evaluate("""() => {
        const wrap = document.querySelector(".orders-table").closest(".table-wrap");
        const total = document.querySelector(".orders-table tbody td.num");
        const r = total.getBoundingClientRect();
        return {scroll: wrap.scrollWidth, client: wrap.clientWidth, page: document.documentElement.scrollWidth,
                inner: window.innerWidth, totalRight: r.right, wrapRight: wrap.getBoundingClientRect().right};
    }""")


@pytest.fixture
def signed_in(browser, live_server, alice):
    """(page, seeded objects) for a language: alice signed in, the seed above in her tenant."""
    from .conftest import sign_in

    contexts = []

    def open_for(language, tenant, store):
        seeded = seed(alice, tenant, store)
        context, page = open_context(browser, live_server, language)
        contexts.append(context)
        sign_in(page, "alice")
        return page, seeded

    yield open_for
    for context in contexts:
        context.close()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_11_the_columns_a_merchant_needs_fit_at_1366_px(signed_in, tenant_a, store_a, language):
    page, _ = signed_in(language, tenant_a, store_a)
    page.set_viewport_size(LAPTOP)
    page.goto("/orders/?status=awaiting_shipment")
    fits = table_fits(page)
    shot(page, f"order-list-{language}-1366")
    assert fits["scroll"] <= fits["client"], f"the order table scrolls sideways at 1366 px ({language}): {fits}"
    assert fits["page"] <= fits["inner"], fits
    assert fits["totalRight"] <= fits["wrapRight"] + 1, fits
    assert page.locator(".orders-table thead th").count() >= 8  # select, order, date, customer, store, …, total
    assert page.locator("#id_q").is_visible() and page.locator("#id_store").is_visible()  # filters open


@pytest.mark.parametrize("language", ["en", "fr"])
def test_12_a_compact_card_per_order_and_folded_filters_at_390_px(signed_in, tenant_a, store_a, language):
    page, _ = signed_in(language, tenant_a, store_a)
    page.set_viewport_size(PHONE)
    page.goto("/orders/?status=awaiting_shipment")
    shot(page, f"order-list-{language}-390")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    heights = page.evaluate(
        "() => [...document.querySelectorAll('.orders-table tbody tr')].map(r => r.getBoundingClientRect().height)"
    )
    assert len(heights) == 8 and max(heights) <= 200, f"order cards at 390 px ({language}): {heights}"
    card = page.locator(".orders-table tbody tr").first
    for part in (".o-number a", ".o-buyer", ".o-items", ".o-total", ".o-status .badge", ".o-action a"):
        assert card.locator(part).first.is_visible(), part
    for hidden in (".o-date", ".o-store", ".o-ship-via", ".o-email"):
        assert card.locator(hidden).first.is_hidden(), hidden
    # One line for the number, the total and the action each: nothing breaks inside them.
    for part in (".o-number a", ".o-total .nobreak", ".o-action a"):
        assert one_line(card.locator(part).first), f"{part} wraps at 390 px ({language})"
    summary = page.locator("#filters summary")
    assert summary.is_visible() and page.locator("#id_q").is_hidden()
    summary.focus()
    page.keyboard.press("Enter")  # the button opens by keyboard
    assert page.locator("#id_q").is_visible() and page.locator("#id_store").is_visible()
    shot(page, f"order-list-{language}-390-filters-open")
    page.keyboard.press("Enter")
    assert page.locator("#id_q").is_hidden()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_23_a_voided_order_says_ship_again_and_its_old_tracking_is_no_link(signed_in, tenant_a, store_a, language):
    page, (voided_order, _shipped) = signed_in(language, tenant_a, store_a)
    marker = {"en": "Voided — ship again", "fr": "Expédition annulée — à réexpédier"}[language]
    for size in (LAPTOP, PHONE):
        page.set_viewport_size(size)
        page.goto("/orders/?status=awaiting_shipment")
        row = page.locator("tr", has=page.locator(f"a:text-is('#{voided_order.number}')"))
        assert row.locator(".badge", has_text=marker).is_visible(), size
        assert row.locator("del", has_text=VOIDED_TRACKING).is_visible(), size
        assert row.locator(f"a:has-text('{VOIDED_TRACKING}')").count() == 0
        plain = page.locator("tr", has=page.locator("a:text-is('#1000000-W')"))
        assert plain.locator(".badge", has_text=marker).count() == 0
    # The order page at 390 px: the old number is no link, and the voided shipment's card has no empty row.
    page.goto(f"/orders/{voided_order.pk}/")
    shot(page, f"order-voided-{language}-390")
    old = page.locator("#shipments tr.shipment")
    assert old.get_by_text(VOIDED_TRACKING).is_visible()
    assert old.locator(f"a:has-text('{VOIDED_TRACKING}')").count() == 0
    empty_labels = page.evaluate("""() => [...document.querySelectorAll("#shipments td")]
        .filter(td => td.offsetParent !== null && td.textContent.trim() === "").map(td => td.dataset.label)""")
    assert empty_labels == [], f"empty rows on the phone's shipment card: {empty_labels}"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_25_tracking_and_order_numbers_do_not_break_at_390_px(signed_in, tenant_a, store_a, language):
    page, (_voided, shipped) = signed_in(language, tenant_a, store_a)
    page.set_viewport_size(PHONE)
    page.goto(f"/orders/{shipped.pk}/")
    shot(page, f"order-long-tracking-{language}-390")
    number = page.locator("#shipments tr.shipment").get_by_text(LONG_TRACKING)
    assert number.is_visible() and one_line(number), f"{LONG_TRACKING} breaks over two lines at 390 px"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The batch ship form: an order number (with its hyphen) stays on one line, at a laptop's width and a phone's.
    page.set_viewport_size(LAPTOP)
    page.goto("/orders/?status=awaiting_shipment")
    page.locator("#select-page").check()
    page.locator("#batch-form button[name=action][value=ship]").click()
    page.wait_for_load_state()
    links = page.locator("#batch-ship-form tbody th a")
    assert links.count() == 8
    for size in (LAPTOP, PHONE):
        page.set_viewport_size(size)
        shot(page, f"order-batch-form-{language}-{size['width']}")
        for i in range(links.count()):
            assert one_line(links.nth(i)), f"{links.nth(i).inner_text()} breaks at {size['width']} px"


def one_line(locator) -> bool:
    """The element's text sits on one line: its text's boxes (one per line it takes) share one top, and
    together they are no taller than one line."""
    return locator.evaluate("""el => {
        const range = document.createRange();
        range.selectNodeContents(el);
        const rects = [...range.getClientRects()].filter(r => r.width > 0);
        const tops = new Set(rects.map(r => Math.round(r.top)));
        const box = range.getBoundingClientRect();
        const style = getComputedStyle(el);
        const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.5;
        return rects.length > 0 && tops.size === 1 && box.height <= line * 1.4;
    }""")
