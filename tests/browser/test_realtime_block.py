"""Issue 16: the store page's real-time block in a real browser: on (with the warning that events have
stopped) and off (with its reason), desktop and 390 px, English and French; nothing scrolls sideways.
Screenshots: tests/artifacts/screenshots/realtime-*.png."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from hooks.models import HookStats
from hooks.services import SCOPE_MISSING, token_hash
from orders.models import ImportRun, ImportState, ImportTrigger
from stores.services import store_create
from tests import factories

from .conftest import PASSWORD, SHOTS, shoot, sign_in, skip_without_chromium
from .test_every_page import DESKTOP, PHONE, open_context

pytestmark = [skip_without_chromium, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_real_time_block_on_and_off(browser, live_server, alice, tenant_a, language, settings):
    settings.PUBLIC_BASE_URL = ""
    on = store_create(tenant=tenant_a, name="Acme REST", url="https://shop.example.com", road="rest", api_token="t")
    off = store_create(tenant=tenant_a, name="Acme Limited", url="https://two.example.com", road="rest", api_token="t")
    settings.PUBLIC_BASE_URL = live_server.url
    now = timezone.now()
    factories.import_state_set(on, last_checked_at=now - dt.timedelta(minutes=1))
    factories.realtime_set(on, token_hash=token_hash("x"), subscription_ids=[1])
    HookStats.objects.create(store=on, last_event_at=now - dt.timedelta(hours=2), events_received=12)
    ImportRun.objects.create(
        store=on, trigger=ImportTrigger.SCHEDULE, state=ImportState.SUCCEEDED, finished_at=now, orders_updated=4
    )
    factories.realtime_set(off, message=SCOPE_MISSING)

    context, page = open_context(browser, live_server, language)
    sign_in(page, "alice", PASSWORD)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for store, name in ((on, "on"), (off, "off")):
        for size, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
            page.set_viewport_size(size)
            page.goto(reverse("portal:store_settings", args=[store.pk]))
            block = page.locator("#realtime")
            text = block.inner_text()
            if name == "on":
                assert ("Temps réel : activé" if language == "fr" else "Real time: on") in text
                assert page.locator("#realtime-quiet").is_visible()
            else:
                assert ("«\u00a0system\u00a0»" if language == "fr" else "'system' scope") in text
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            block.scroll_into_view_if_needed()
            shoot(page, f"realtime-{name}-{language}-{label}")
    context.close()
