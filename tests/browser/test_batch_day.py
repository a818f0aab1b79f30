"""The batch day in a real browser: filter Awaiting Shipment, select 20 orders, print their pick list, ship
all 20 with tracking numbers pasted from the carrier's software, submit the same batch again (nothing
ships twice), export the shipments CSV and compare it with the database.

The pick list is h17b's view (portal:orders_pick_list); in a branch without it the walk runs every other
step and then skips, naming the missing view.
"""

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from .conftest import SHOTS, shoot, sign_in, skip_without_chromium

pytestmark = skip_without_chromium


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, f"batch-day-{name}", full_page=True)


def seed(store):
    """25 orders awaiting shipment (oldest first: B-00 … B-24), each with a line in a warehouse location,
    and two that the Awaiting Shipment tab leaves out."""
    from tests.factories import make_detailed_order

    now = timezone.now()
    locations = ["C-03-1", "A-01-2", "B-07-4", "A-01-1", "D-10-2"]
    for i in range(25):
        order = make_detailed_order(
            store, number=f"B-{i:02d}", sku=f"SKU-{i % 5}", order_date=now - dt.timedelta(hours=100 - i)
        )
        order.lines.filter(line_key="1").update(warehouse_location=locations[i % 5])
    make_detailed_order(store, number="HELD-1", status="on_hold", order_date=now - dt.timedelta(days=30))
    make_detailed_order(store, number="UNPAID-1", status="awaiting_payment", order_date=now - dt.timedelta(days=30))
    return locations


def pick_list_step(page, selected_ids, locations) -> str:
    """Print the pick list of the selection; "" when done, else why it was not run."""
    try:
        url = reverse("portal:orders_pick_list")
    except NoReverseMatch:
        return (
            "the pick list step needs portal:orders_pick_list (h17b's packing slips and pick lists), "
            "not merged in this branch"
        )
    assert page.locator("#batch-pick-list").is_visible()
    token = page.locator("#batch-form input[name=csrfmiddlewaretoken]").input_value()
    body = "&".join(
        [f"csrfmiddlewaretoken={token}", "status=awaiting_shipment"] + [f"order_ids={pk}" for pk in selected_ids]
    )
    response = page.request.post(
        url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded", "Referer": page.url}
    )
    assert response.ok
    if not response.headers["content-type"].startswith("application/pdf"):
        # More than PRINT_INLINE_MAX_ORDERS: a print job, its page followed; the worker (inline in the suite)
        # has rendered it by now and the page's download is the PDF.
        assert re.search(r"/print-jobs/\d+/$", response.url), response.url
        response = page.request.get(response.url + "download/")
        assert response.ok and response.headers["content-type"].startswith("application/pdf")
    pypdf = pytest.importorskip("pypdf")
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.body())).pages)
    positions = [text.find(location) for location in sorted(set(locations))]
    assert -1 not in positions and positions == sorted(positions), "the pick list is sorted by location"
    return ""


def test_batch_day(browser, live_server, alice, store_a, tenant_a):
    from shipments.models import Batch, Shipment

    locations = seed(store_a)
    context = browser.new_context(
        viewport={"width": 1360, "height": 900}, base_url=live_server.url, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, "alice")
        page.goto(reverse("portal:order_list"))
        page.locator(".status-tabs a", has_text="Awaiting Shipment").click()
        page.wait_for_url(re.compile(r"status=awaiting_shipment"))
        numbers = [t.strip().lstrip("#") for t in page.locator(".orders-table tbody th a").all_inner_texts()]
        assert numbers == [f"B-{i:02d}" for i in range(25)]  # oldest first, the held and unpaid ones left out

        # Select 20 (the first 20 rows).
        boxes = page.locator("input.row-select")
        for i in range(20):
            boxes.nth(i).check()
        assert page.locator("#selected-count").inner_text().startswith("20")
        shot(page, "01-selected")
        selected_ids = [boxes.nth(i).get_attribute("value") for i in range(20)]

        skipped_pick_list = pick_list_step(page, selected_ids, locations)

        # Ship all 20 with pasted tracking numbers.
        page.locator("#batch-ship").click()
        page.wait_for_url(re.compile(r"/orders/batch/$"))
        rows = page.locator("#batch-ship-form tbody tr")
        assert rows.count() == 20
        tracking = [f"1ZBATCH{i:04d}" for i in range(20)]
        page.locator("#id_tracking_paste").fill("\n".join(tracking))
        page.locator("#id_service").fill("Ground")
        shot(page, "02-ship-form")
        form_data = page.evaluate(
            "() => new URLSearchParams(new FormData(document.getElementById('batch-ship-form'))).toString()"
        )
        page.locator("#batch-ship-submit").click()
        page.wait_for_url(re.compile(r"/batches/\d+/$"))
        assert page.locator('#batch-outcomes tr[data-outcome="shipped"]').count() == 20
        shot(page, "03-result")
        shipped = {s.order.number: s.tracking_number for s in Shipment.objects.select_related("order")}
        assert shipped == {f"B-{i:02d}": tracking[i] for i in range(20)}

        # The same batch submitted again (a double click, a resent form): nothing ships twice.
        again = page.request.post(
            reverse("portal:orders_batch_ship"),
            data=form_data,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Referer": page.url},
        )
        assert again.ok and again.url == page.url
        assert Shipment.objects.count() == 20 and Batch.objects.get().submissions == 2
        page.reload()
        assert page.locator("#batch-resubmitted").is_visible()
        assert page.locator('#batch-outcomes tr[data-outcome="shipped"]').count() == 20

        # Export the shipments CSV from the list and compare it with the database.
        page.goto(reverse("portal:order_list"))
        with page.expect_download() as download:
            page.locator("#export-shipments").click()
        text = open(download.value.path(), encoding="utf-8-sig").read()
        exported = {
            (r["order_number"], r["tracking_number"], r["carrier"], r["service"], r["ship_date"], r["state"])
            for r in csv.DictReader(io.StringIO(text))
        }
        in_db = {
            (s.order.number, s.tracking_number, s.carrier, s.service, s.ship_date.isoformat(), s.state)
            for s in Shipment.objects.for_tenant(tenant_a).select_related("order")
        }
        assert exported == in_db and len(exported) == 20
        assert {row[2] for row in exported} == {"USPS"}  # the form's first carrier, shared by every row
    finally:
        context.close()
    if skipped_pick_list:
        pytest.skip(f"every other step passed; {skipped_pick_list}")
