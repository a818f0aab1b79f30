"""Playwright driving Debian's Chromium, headless, for the browser suite. Screenshots land in
tests/artifacts/screenshots/."""

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
PASSWORD = "pw-for-tests-1"

skip_without_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed")


@pytest.fixture(autouse=True)
def allow_orm_beside_playwright(monkeypatch):
    # Playwright's sync API runs an event loop in this thread, so Django would refuse the (synchronous)
    # ORM calls below. Set only for these tests: left in os.environ it would leak into subprocesses
    # such as `check --deploy`, which rightly fails on it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        # With Playwright's event loop running, the ORM calls in the test used a connection of their own
        # (Django keys connections by async context); close it here, inside that context, or it outlives
        # the test and blocks the test database's teardown.
        from django.db import connections

        connections.close_all()
        browser.close()


def sign_in(page, username, password=PASSWORD):
    import re

    page.goto("/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(re.compile(r"/$"))
