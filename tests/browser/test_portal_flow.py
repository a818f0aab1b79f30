"""The merchant's day in a real browser: Playwright driving Debian's Chromium, headless.

Sign in, connect the sandbox store through the wizard (a wrong password first), watch the first
import finish, find an order by SKU, ship it, see the store update succeed, switch a notification
off; then charlie, in another tenant, sees none of it. Screenshots land in tests/artifacts/screenshots/.
"""

import datetime as dt
import re

import pytest

from .conftest import PASSWORD, SHOTS, shoot, skip_without_chromium

pytestmark = skip_without_chromium


@pytest.fixture
def page_for(browser, live_server):
    contexts = []

    def open_page(username):
        context = browser.new_context(viewport={"width": 1360, "height": 900}, base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/login/")
        page.get_by_label("Username or e-mail").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/$"))
        return page

    yield open_page
    for context in contexts:
        context.close()


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("load")
    page.evaluate("window.scrollTo(0, 0)")  # the sticky sidebar would otherwise float mid-page
    shoot(page, f"{name}", full_page=True)


def test_merchant_connects_imports_ships_and_charlie_sees_nothing(page_for, alice, charlie, sandbox):
    from orders.models import Order, OrderLine

    page = page_for("alice")
    shot(page, "01-dashboard-empty")

    # The wizard: the ShipStation add-on's road (the API-token road is the other choice), then a wrong
    # password, then the right one.
    page.get_by_role("link", name="Connect a store").first.click()
    shot(page, "02-wizard-prepare")
    page.get_by_role("link", name="Continue with the ShipStation add-on").click()
    page.get_by_label("Store name").fill("Sandbox Store")
    page.get_by_label("Store URL").fill(sandbox.base_url)
    page.get_by_label("Username").fill(sandbox.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Test connection").click()
    result = page.locator("#connection-result")
    assert "username or password is wrong" in result.inner_text()
    shot(page, "03-wizard-wrong-password")
    page.get_by_label("Password").fill(sandbox.password)
    page.get_by_role("button", name="Test connection").click()
    page.wait_for_url(re.compile(r"/stores/connect/mapping/$"))
    assert page.get_by_label("Awaiting Shipment").input_value().startswith("New")
    page.get_by_label("Import orders modified since").fill((dt.date.today() - dt.timedelta(days=3 * 365)).isoformat())
    shot(page, "04-wizard-mapping")
    page.get_by_role("button", name="Connect and start the first import").click()
    page.wait_for_url(re.compile(r"/stores/\d+/"))

    # The first import finishes on the progress bar (sync mode may have finished it already).
    first_run = page.locator("tr.run").first
    first_run.locator(".progress-bar.progress-succeeded").wait_for(timeout=60_000)
    assert "Succeeded" in first_run.locator(".js-state").inner_text()
    assert first_run.locator(".progress").get_attribute("aria-valuenow") == "100"
    assert int(first_run.locator(".js-created").inner_text().replace(",", "")) > 0
    shot(page, "05-settings")

    # The bar is live: a run the page found running moves as the worker reports pages, then finishes.
    from orders.models import ImportRun

    store_id = int(re.search(r"/stores/(\d+)/", page.url).group(1))
    live = ImportRun.objects.create(store_id=store_id, trigger="schedule", state="running", pages_done=1, pages_total=4)
    page.goto(f"/stores/{store_id}/?watch={live.pk}")
    bar = page.locator(f'tr[data-run="{live.pk}"] .progress')
    assert bar.get_attribute("aria-valuenow") == "25"
    shot(page, "05b-settings-import-running")
    ImportRun.objects.filter(pk=live.pk).update(pages_done=3)
    page.wait_for_function(f"""() => document.querySelector('tr[data-run="{live.pk}"] .progress')
                                   .getAttribute('aria-valuenow') === '75'""")
    ImportRun.objects.filter(pk=live.pk).update(pages_done=4, state="succeeded", orders_seen=7)
    page.locator(f'tr[data-run="{live.pk}"] .progress-bar.progress-succeeded').wait_for()

    # Find a shippable order by SKU, open it, ship it.
    line = (
        OrderLine.objects.filter(
            order__status="awaiting_shipment",
            is_shippable=True,
            is_adjustment=False,
            order__tenant__memberships__user=alice,
        )
        .exclude(sku="")
        .select_related("order")
        .order_by("order__number")
        .first()
    )
    assert line is not None, "the sandbox import produced no shippable order"
    order = line.order
    page.get_by_role("link", name="Orders", exact=True).click()
    page.wait_for_url(re.compile(r"/orders/$"))
    shot(page, "06-order-list")
    page.get_by_label("Search").fill(line.sku)
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/orders/\?"))
    shot(page, "06b-order-search")
    page.get_by_role("link", name=f"#{order.number}", exact=True).click()
    page.wait_for_url(re.compile(rf"/orders/{order.pk}/\?"))  # the list's query comes along (Ship & next)
    shot(page, "07-order")
    page.locator("#ship-button").click()
    page.get_by_label("Carrier", exact=True).select_option("UPS")
    page.get_by_label("Service").fill("Ground")
    shot(page, "08-ship-form")
    page.get_by_role("button", name="Record shipment and update the store").click()
    assert "This field is required." in page.locator("#ship-form").inner_text()  # no tracking number yet
    shot(page, "08b-ship-form-errors")
    page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    page.get_by_role("button", name="Record shipment and update the store").click()
    page.wait_for_url(re.compile(rf"/orders/{order.pk}/$"))
    shipment_row = page.locator("tr.shipment").first
    assert "1Z999AA10123456784" in shipment_row.inner_text()
    assert "Sent" in shipment_row.locator(".js-store-update").inner_text()
    assert sandbox.store.shipnotify_log["recorded"] >= 1
    shot(page, "09-order-shipped")

    # Switch the delivery notice off.
    page.goto(f"/stores/{store_id}/#notifications")
    page.get_by_label("Send delivery notice e-mails").uncheck()
    page.locator("#save-notifications").click()
    page.wait_for_url(re.compile(rf"/stores/{store_id}/"))
    assert not page.get_by_label("Send delivery notice e-mails").is_checked()
    order.store.settings.refresh_from_db()
    assert order.store.settings.send_delivery_notice is False

    # Branding: the real shipment e-mail follows what is typed.
    page.get_by_label("Company name").fill("Acme Outfitters")
    preview = page.frame_locator("#email-frame")
    preview.get_by_text("Acme Outfitters").first.wait_for()
    assert "1Z999AA10123456784" in preview.locator("body").inner_text()
    shot(page, "09b-settings-branding-preview")
    page.goto("/")
    shot(page, "10-dashboard")
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("heading", name="Tableau de bord").wait_for()
    shot(page, "10b-dashboard-fr")
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/orders/{order.pk}/")
    shot(page, "11-order-mobile")

    # Charlie, in another tenant, sees none of it.
    other = page_for("charlie")
    assert "Sandbox Store" not in other.content()
    other.goto("/orders/")
    assert order.number not in other.locator("main").inner_text()
    for url in [f"/orders/{order.pk}/", f"/stores/{store_id}/", f"/orders/{order.pk}/ship/"]:
        assert other.goto(url).status == 404
    other.goto(f"/orders/?q={line.sku}")
    assert f"#{order.number}" not in other.content()
    assert Order.objects.filter(pk=order.pk, status="shipped").exists() or order.lines.count() > 1
