"""Printing in a real browser: select orders on the list, print their pick list, and look at the PDF.

Chromium posts the list's form to the print view (the buttons open the PDF in a new tab); the test reads
the PDF that came back: its text (pypdf: locations in order) and its first page drawn as an image
(pypdfium2), saved beside the screenshots and checked to be a page with ink on it where the header and the
rows are. The order page's "Packing slip" button gives that one order's slip.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from .conftest import SHOTS, screenshots_asked, shoot, sign_in, skip_without_chromium

pytestmark = skip_without_chromium
pypdf = pytest.importorskip("pypdf")
pdfium = pytest.importorskip("pypdfium2")
try:
    import weasyprint  # noqa: F401
except OSError:
    pytest.skip("WeasyPrint's system libraries are not installed", allow_module_level=True)

LOCATIONS = ["C-1", "A-10", "B-3", "A-2", "B-20", "A-1"]


def seed_orders(store):
    from tests.factories import make_line, make_order

    orders = []
    for n, location in enumerate(LOCATIONS):
        order = make_order(store, lines=0, number=f"PK-{n}", ship_to={"name": f"Buyer {n}", "city": "Austin"})
        make_line(
            order,
            line_key="1",
            position=0,
            sku=f"SKU-{location}",
            name=f"Item at {location}",
            quantity=n + 1,
            warehouse_location=location,
        )
        orders.append(order)
    return orders


def pdf_from(context, page, url_part, click):
    """The PDF the server answers when `click` posts to `url_part`. Read on its way to the browser (a route
    that forwards the request and passes the answer on): Chromium hands PDFs to its viewer, whose page is
    what the response event would give."""
    answers = []

    def forward(route):
        response = route.fetch()
        answers.append((response.status, response.headers.get("content-type"), response.body()))
        route.fulfill(response=response)

    context.route(re.compile(re.escape(url_part)), forward)
    click()
    for _ in range(300):
        if answers:
            break
        page.wait_for_timeout(100)
    context.unroute(re.compile(re.escape(url_part)))
    assert answers, f"no answer from {url_part}"
    status, content_type, body = answers[0]
    assert status == 200 and content_type == "application/pdf"
    return body


def ink(image, box) -> float:
    """The share of dark pixels in `box` (left, top, right, bottom) of a PIL image."""
    region = image.crop(box).convert("L")
    histogram = region.histogram()  # 256 counts of grey levels
    return sum(histogram[:160]) / sum(histogram)


def test_print_the_pick_list_of_selected_orders_and_look_at_it(browser, live_server, alice, store_a):
    orders = seed_orders(store_a)
    context = browser.new_context(
        viewport={"width": 1360, "height": 900}, base_url=live_server.url, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, "alice")
    page.goto("/orders/?status=awaiting_shipment")
    for order in orders[:5]:  # the sixth is not selected
        page.locator(f"input.row-select[value='{order.pk}']").check()
    pdf = pdf_from(context, page, "/orders/print/pick-list/", lambda: page.locator("#batch-pick-list").click())

    text = " ".join(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    found = re.findall(r"\b([A-C]-\d+) SKU-", text)
    assert found == ["A-2", "A-10", "B-3", "B-20", "C-1"], text
    assert "SKU-A-1 " not in text and "5 orders" in text

    drawn = pdfium.PdfDocument(pdf)[0].render(scale=1.5).to_pil()
    if screenshots_asked():
        SHOTS.mkdir(parents=True, exist_ok=True)
        drawn.save(SHOTS / "print-pick-list.png")
    width, height = drawn.size
    assert width < height  # a portrait page
    assert ink(drawn, (0, 0, width, height // 12)) > 0.01  # the title and its rule
    rows = ink(drawn, (0, height // 12, width, height // 3))
    assert rows > 0.01  # the five rows
    # Below the rows, the five orders' barcodes (issue 32: the pack station scans them), and nothing below those.
    assert ink(drawn, (0, height // 3, width, height * 2 // 3)) > 0.01
    assert ink(drawn, (0, height * 2 // 3, width, height - height // 12)) < 0.001
    context.close()


def test_the_order_pages_packing_slip_button(browser, live_server, alice, store_a):
    order = seed_orders(store_a)[0]
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, base_url=live_server.url, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, "alice")
    page.goto(f"/orders/{order.pk}/")
    button = page.locator("#packing-slip-button")
    assert button.is_visible()
    assert page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")[0] <= 390
    SHOTS.mkdir(parents=True, exist_ok=True)
    shoot(page, "print-order-page-phone")
    pdf = pdf_from(context, page, "/orders/print/packing-slips/", button.click)
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Packing slip" in text and "Order #PK-0" in text and "Item at C-1" in text
    context.close()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_big_selection_prints_through_a_job_page_that_follows_it(
    browser, live_server, alice, store_a, language, monkeypatch, settings
):
    """More than PRINT_INLINE_MAX_ORDERS orders: the print button opens the job's page (no PDF rendered in
    that request); its bar moves as the worker reports progress (polled, no reload), then the page shows the
    download, which is the PDF. With JavaScript off the page refreshes itself. 1366 px and 390 px."""
    from django.utils import timezone

    from shipments import print_jobs
    from shipments.models import PrintJob
    from tests.factories import make_order

    from .test_every_page import LAPTOP, PHONE, open_context

    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}  # the job waits for a worker: this test is it
    queued = []
    monkeypatch.setattr(print_jobs, "enqueue", queued.append)
    orders = [make_order(store_a, lines=2, number=f"BJ-{n:02d}") for n in range(settings.PRINT_INLINE_MAX_ORDERS + 2)]
    context, page = open_context(browser, live_server, language, viewport=LAPTOP)
    page.set_default_timeout(30_000)
    sign_in(page, "alice")
    page.goto("/orders/?status=awaiting_shipment")
    page.locator("#select-page").check()
    with context.expect_page() as opened:
        page.locator("#batch-packing-slips").click()  # the button opens a new tab, as for a PDF
    job_page = opened.value
    job_page.wait_for_load_state()
    job = PrintJob.objects.get()
    assert job_page.url.endswith(f"/print-jobs/{job.pk}/") and queued == [job.pk]
    assert job.total == len(orders) and job.language == language

    # The worker is on it: 10 of 12 rendered. The page's script polls the status and moves the bar.
    PrintJob.objects.filter(pk=job.pk).update(state="running", done=10, lease_until=timezone.now() + dt.timedelta(60))
    job_page.locator('#print-progress[value="10"]').wait_for()  # <progress>.value reflects its attribute
    assert job_page.locator("#print-job-download").count() == 0
    for viewport, name in ((LAPTOP, "1366"), (PHONE, "phone")):
        job_page.set_viewport_size(viewport)
        assert job_page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")[0] <= viewport["width"]
        shoot(job_page, f"print-job-running-{language}-{name}", full_page=True)

    PrintJob.objects.filter(pk=job.pk).update(lease_until=None)
    print_jobs.print_job_run(job.pk, worker="browser-test")  # the worker finishes: the page shows the download
    download = job_page.locator("#print-job-download")
    download.wait_for()
    for viewport, name in ((LAPTOP, "1366"), (PHONE, "phone")):
        job_page.set_viewport_size(viewport)
        assert job_page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")[0] <= viewport["width"]
        shoot(job_page, f"print-job-ready-{language}-{name}", full_page=True)
    answer = context.request.get(download.get_attribute("href"))
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    pages = pypdf.PdfReader(io.BytesIO(answer.body())).pages
    assert len(pages) == len(orders)
    if screenshots_asked():
        SHOTS.mkdir(parents=True, exist_ok=True)
        pdfium.PdfDocument(answer.body())[0].render(scale=1.5).to_pil().save(SHOTS / f"print-job-slip-{language}.png")
    context.close()


def test_a_job_page_without_javascript_refreshes_itself_until_the_job_is_done(browser, live_server, alice, store_a):
    from shipments.models import PrintJob

    job = PrintJob.objects.create(
        tenant=store_a.tenant, kind="pick_list", order_ids=[1], total=250, done=120, state="running"
    )
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, base_url=live_server.url, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, "alice")
    page.goto(f"/print-jobs/{job.pk}/")
    assert page.locator("#print-progress").get_attribute("value") == "120"
    PrintJob.objects.filter(pk=job.pk).update(state="failed", error="Gave up after 5 attempts: MemoryError: ")
    page.locator("#print-job-failed").wait_for()  # the <noscript> refresh brought the failure in
    assert "MemoryError" in page.locator("#print-job-failed").inner_text()
    shoot(page, "print-job-failed-en-phone", full_page=True)
    context.close()
