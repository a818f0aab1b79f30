"""Playwright driving Debian's Chromium, headless, for the browser suite.

One Chromium per test session (per xdist worker; the browser tests run on one, tests/conftest.py), started
on first use; each test connects to it and gets fresh contexts of its own (cookies, storage), closed when it
ends. Screenshots land in tests/artifacts/screenshots/ when asked for (`pytest --screenshots`), and for each
page a failing browser test has open (failed-<test>-<n>.png)."""

import re
import subprocess
import time
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


_ASKED = {"screenshots": False}


@pytest.fixture(autouse=True)
def _screenshots_option(request):
    _ASKED["screenshots"] = bool(request.config.getoption("screenshots", default=False))


def screenshots_asked() -> bool:
    return _ASKED["screenshots"]


def shoot(target, name: str, **options) -> None:
    """A screenshot of a page or a locator as tests/artifacts/screenshots/<name>.png, when asked for."""
    if not screenshots_asked():
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    target.screenshot(path=str(SHOTS / f"{name}.png"), **options)


@pytest.fixture(scope="session")
def chromium_cdp(tmp_path_factory):
    """The session's Chromium, headless, listening for the DevTools protocol on a port of its own choosing
    (it writes the port to DevToolsActivePort in its profile)."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    process = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--remote-debugging-port=0",
            "--remote-debugging-address=127.0.0.1",
            f"--user-data-dir={profile}",
            "--no-sandbox",
            "--disable-gpu",
            # What Playwright passes to a browser it launches (chromiumSwitches), so that pages behave as
            # they did: no background throttling of a page in another context, no scrollbars in layout.
            "--disable-field-trial-config",
            "--disable-background-networking",
            "--disable-background-timer-throttling",
            "--disable-backgrounding-occluded-windows",
            "--disable-renderer-backgrounding",
            "--disable-back-forward-cache",
            "--disable-breakpad",
            "--disable-component-extensions-with-background-pages",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--disable-features=AvoidUnnecessaryBeforeUnloadCheckSync,DestroyProfileOnBrowserClose,HttpsUpgrades,"
            "HttpsFirstBalancedModeAutoEnable,LensOverlay,MediaRouter,PaintHolding,ThirdPartyStoragePartitioning,"
            "AvoidCorsURLLoaderRestartOnRedirect,OptimizationHints,NetworkTimeServiceQuerying",
            "--allow-pre-commit-input",
            "--disable-hang-monitor",
            "--disable-ipc-flooding-protection",
            "--disable-popup-blocking",
            "--disable-prompt-on-repost",
            "--force-color-profile=srgb",
            "--metrics-recording-only",
            "--no-first-run",
            "--no-default-browser-check",
            "--password-store=basic",
            "--use-mock-keychain",
            "--no-service-autorun",
            "--disable-search-engine-choice-screen",
            "--disable-sync",
            "--hide-scrollbars",
            "--mute-audio",
            "--blink-settings=primaryHoverType=2,availableHoverTypes=2,primaryPointerType=4,availablePointerTypes=4",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    active = profile / "DevToolsActivePort"
    try:
        for _ in range(1200):  # up to a minute on a loaded machine: wait for the file the browser writes
            if active.exists() and len(active.read_text().split()) == 2:
                break
            if process.poll() is not None:
                pytest.fail(f"{CHROMIUM} exited ({process.returncode}) before it listened")
            time.sleep(0.05)
        else:
            pytest.fail(f"{CHROMIUM} did not write {active.name}")
        port, path = active.read_text().split()
        yield f"ws://127.0.0.1:{port}{path}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def browser(chromium_cdp):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.connect_over_cdp(chromium_cdp)
        default = browser.contexts[:1]  # the browser's own context: the tests open theirs
        yield browser
        for context in browser.contexts:
            if context not in default:
                context.close()
        # With Playwright's event loop running, the ORM calls in the test used a connection of their own
        # (Django keys connections by async context); close it here, inside that context, or it outlives
        # the test and blocks the test database's teardown.
        from django.db import connections

        connections.close_all()
        browser.close()  # disconnects; the session's Chromium goes on


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    browser = getattr(item, "funcargs", {}).get("browser")
    if report.when == "call" and report.failed and browser is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "-", item.name)
        pages = [page for context in browser.contexts for page in context.pages if page.url != "about:blank"]
        for number, page in enumerate(pages, 1):
            try:
                page.screenshot(path=str(SHOTS / f"failed-{name}-{number}.png"), full_page=True)
            except Exception as exc:  # noqa: BLE001 - the failure's own report matters more than its picture
                report.sections.append(("screenshot", f"no screenshot of {page.url}: {exc}"))
    return report


def sign_in(page, username, password=PASSWORD):
    import re

    page.goto("/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(re.compile(r"/$"))
