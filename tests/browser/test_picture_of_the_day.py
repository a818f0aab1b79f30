"""Issue 17 item 6 in a real browser: the dashboard's picture of the day with a month of orders, and the
pre-filled ship form, at desktop and phone width, in English and French (screenshots in
tests/artifacts/screenshots/). The charts need no JavaScript: they are SVG drawn by the server."""

import datetime as dt
import random

from django.utils import timezone

from .conftest import SHOTS, shoot, skip_without_chromium
from .test_every_page import DESKTOP, PHONE, open_context, sign_in

pytestmark = skip_without_chromium


def _a_month_of_orders(store):
    from shipments.method_mapping import shipping_method_mapping_set
    from shipments.models import Shipment
    from shipments.services import shipment_create
    from tests.factories import make_order

    rng = random.Random(17)
    now = timezone.now()
    for day in range(30):
        for _ in range(rng.randint(2, 9)):
            order = make_order(
                store, order_date=now - dt.timedelta(days=day, hours=rng.randint(0, 20)), shipping_method="UPS Ground"
            )
            if day >= 3 or rng.random() < 0.3:
                hours = rng.choice([4, 8, 20, 30, 50])
                shipped_at = min(order.order_date + dt.timedelta(hours=hours), now)
                shipment = shipment_create(
                    order=order, carrier="UPS", service="Ground", ship_date=timezone.localtime(shipped_at).date()
                )
                Shipment.objects.filter(pk=shipment.pk).update(created_at=shipped_at)
    # One order surely late whatever the hour the test runs at (the random ones of two days ago are late only
    # before the hour they were placed at).
    make_order(store, order_date=now - dt.timedelta(days=4), shipping_method="UPS Ground")
    shipping_method_mapping_set(store=store, requested_method="UPS Ground", carrier="UPS", service="Ground")
    return make_order(store, order_date=now - dt.timedelta(hours=2), shipping_method="UPS Ground", lines=2)


def test_dashboard_and_ship_form_read_at_both_widths_in_both_languages(browser, live_server, alice, store_a):
    order = _a_month_of_orders(store_a)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for language in ("en", "fr"):
        context, page = open_context(browser, live_server, language)
        sign_in(page, "alice")
        for name, path in (("dashboard", "/"), ("ship", f"/orders/{order.pk}/ship/?status=awaiting_shipment")):
            page.goto(path)
            for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                page.set_viewport_size(viewport)
                if name == "dashboard":
                    assert page.locator("#chart-days svg rect.bar-received").count() == 30
                    assert page.locator("#chart-waiting .bar-late").count() == 1
                    page.locator("#chart-waiting details summary").click()
                    assert page.locator("#table-waiting").is_visible()
                else:
                    assert page.locator("#id_carrier").input_value() == "UPS"
                scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                assert scroll <= inner, f"{name} ({language}, {width}) scrolls sideways: {scroll} > {inner}"
                shoot(page, f"17c-{name}-{language}-{width}", full_page=True)
                if name == "dashboard":
                    shoot(page.locator(".insights"), f"17c-charts-{language}-{width}")
                if name == "dashboard":
                    page.reload()
        context.close()
