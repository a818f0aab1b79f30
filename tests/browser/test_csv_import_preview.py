"""The tracking-import preview in a browser, English and French, 1366 px and 390 px (issue 25: 1, 8, 22):
a French-Excel file whose dates read two ways is asked about (day first offered), the choice is
kept when the preview is opened again, the dates then read "6 déc. 2026", a shared order number is told
apart by its store column; a file with nothing new offers no ship button. Screenshots of each state."""

import codecs
import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone

from .conftest import shoot, sign_in, skip_without_chromium
from .test_every_page import open_context

pytestmark = skip_without_chromium

WIDTHS = {"desktop": 1366, "phone": 390}


def _recent_ambiguous_day() -> dt.date:
    day = timezone.localdate() - dt.timedelta(days=1)
    while not (day.day <= 12 and day.day != day.month):
        day -= dt.timedelta(days=1)
    return day


def _file(day: dt.date) -> bytes:
    rows = [
        "Commande;Boutique;Transporteur;Service;N° de suivi;Date d'expédition;Frais",
        f"WEB-1;;USPS;Priority Mail;9400 1000 0000 0000 0000 00;{day:%d/%m/%Y};7,50",
        f"WEB-2;Acme Outlet;UPS;Standard;1Z999AA10123456784;{day:%d/%m/%Y};",
        f"WEB-2;;UPS;Standard;1Z999AA10123456785;{day:%d/%m/%Y};",
    ]
    return codecs.BOM_UTF8 + ("\r\n".join(rows) + "\r\n").encode()


def _shot(page, name):
    shoot(page, f"csv-import-{name}", full_page=True)


def _no_sideways_scroll(page):
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, (scroll, inner)


def test_the_preview_asks_for_the_date_format_keeps_it_and_shows_dates_as_understood(
    browser, live_server, alice, store_a
):
    from shipments.csv_import import csv_import_create
    from shipments.models import Shipment
    from tests.factories import make_order, make_store

    outlet = make_store(store_a.tenant, name="Acme Outlet")
    ordered = timezone.now() - dt.timedelta(days=60)
    make_order(store_a, number="WEB-1", order_date=ordered)
    make_order(store_a, number="WEB-2", order_date=ordered)
    make_order(outlet, number="WEB-2", order_date=ordered)
    day = _recent_ambiguous_day()
    uploads = {
        language: csv_import_create(tenant=store_a.tenant, raw=_file(day), filename="export-colissimo.csv")
        for language in ("fr", "en")
    }
    for language, record in uploads.items():
        context, page = open_context(browser, live_server, language, {"width": 1366, "height": 900})
        try:
            sign_in(page, "alice")
            url = reverse("portal:tracking_import_preview", args=[record.pk])
            page.goto(url)
            assert page.locator("#date-question").is_visible()
            assert page.locator("#import-confirm").count() == 0
            # Day first is offered (the file's headers are French), for the user to confirm.
            assert page.locator("#id_date_order").input_value() == "dmy"
            assert page.locator("#id_order_number").evaluate("el => el.required")
            for width_name, width in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": 900})
                _no_sideways_scroll(page)
                _shot(page, f"asked-{language}-{width_name}")

            page.set_viewport_size({"width": 1366, "height": 900})
            page.locator("#mapping-update").click()
            page.wait_for_selector("#import-summary")
            page.goto(url)  # opened again: the choices stay
            assert page.locator("#id_date_order").input_value() == "dmy"
            assert page.locator("#id_store").input_value() == "1"
            shown = page.locator("#import-rows td[data-ship-date]").first.inner_text()
            expected = {"en": f"{day.day} {day:%b %Y}", "fr": f"{day.day} "}[language]
            assert shown.startswith(expected) and str(day.year) in shown, shown
            assert page.locator("#import-errors tbody tr").count() == 1  # WEB-2 without its store
            for width_name, width in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": 900})
                _no_sideways_scroll(page)
                _shot(page, f"preview-{language}-{width_name}")
            page.set_viewport_size({"width": 1366, "height": 900})
            if language == "en":
                page.locator("#import-confirm").click()
                page.wait_for_url(re.compile(r"/batches?/"))
                assert Shipment.objects.count() == 2
        finally:
            context.close()

    # The French upload, made before the English one shipped, now has nothing new to ship.
    context, page = open_context(browser, live_server, "fr", {"width": 390, "height": 900})
    try:
        sign_in(page, "alice")
        page.goto(reverse("portal:tracking_import_preview", args=[uploads["fr"].pk]))
        assert page.locator("#nothing-to-ship").is_visible()
        assert page.locator("#import-confirm").count() == 0
        _no_sideways_scroll(page)
        _shot(page, "nothing-to-ship-fr-phone")
    finally:
        context.close()
