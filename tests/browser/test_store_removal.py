"""Issue 25 item 5 in a real browser, at 1366 px and 390 px, in English and French: an owner disconnects a
store from its page through the confirmation page, sees it disconnected, then deletes it by typing its name."""

import re

import pytest

from tests.browser.conftest import shoot
from tests.browser.test_portal_flow import page_for, pytestmark  # noqa: F401  (fixture, marker)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_an_owner_disconnects_then_deletes_a_store(page_for, alice, store_a, language):  # noqa: F811
    from stores.models import Store
    from tests.factories import make_detailed_order

    make_detailed_order(store_a, number="A-KEEP")
    page = page_for("alice")
    if language == "fr":
        page.context.add_cookies([{"name": "django_language", "value": "fr", "url": page.url}])
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/stores/{store_a.pk}/disconnect/")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shoot(page, f"store-disconnect-{language}-{width}", full_page=True)
    page.locator("#store-disconnect button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/stores/{store_a.pk}/(#lifecycle)?$"))
    assert page.locator("#disconnected-note").is_visible() and page.locator("#store-reconnect").is_visible()
    assert Store.objects.get(pk=store_a.pk).disconnected_at is not None
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/stores/{store_a.pk}/#lifecycle")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shoot(page, f"store-disconnected-{language}-{width}")
    page.locator("#store-delete-link").click()
    page.locator("#id_typed_name").fill("Acme")
    page.locator("#store-delete button[type=submit]").click()
    assert page.locator(".field-error, .errorlist, [role=alert]").first.is_visible()
    shoot(page, f"store-delete-refused-{language}-390", full_page=True)
    assert Store.objects.filter(pk=store_a.pk).exists()
    page.locator("#id_typed_name").fill("Acme Main")
    page.locator("#store-delete button[type=submit]").click()
    page.wait_for_url(re.compile(r"/stores/$"))
    assert not Store.objects.filter(pk=store_a.pk).exists()
