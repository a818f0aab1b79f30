"""The standing cast: alice (tenant A owner), bob (tenant A viewer), charlie (tenant B owner)."""

from pathlib import Path

import pytest

from stores.models import Role
from tests import factories

pytest_plugins = ["sandbox.pytest_plugin"]

PASSWORD = "pw-for-tests-1"


@pytest.fixture
def tenant_a(db):
    return factories.make_tenant("Acme Goods")


@pytest.fixture
def tenant_b(db):
    return factories.make_tenant("Bravo Supplies")


@pytest.fixture
def alice(tenant_a):
    user = factories.make_user("alice", password=PASSWORD)
    factories.make_member(tenant_a, user, Role.OWNER)
    return user


@pytest.fixture
def bob(tenant_a):
    user = factories.make_user("bob", password=PASSWORD)
    factories.make_member(tenant_a, user, Role.VIEWER)
    return user


@pytest.fixture
def charlie(tenant_b):
    user = factories.make_user("charlie", password=PASSWORD)
    factories.make_member(tenant_b, user, Role.OWNER)
    return user


@pytest.fixture
def operator(db):
    return factories.make_user("operator", password=PASSWORD, is_staff=True, is_superuser=True)


@pytest.fixture
def store_a(tenant_a):
    return factories.make_store(tenant_a, name="Acme Main")


@pytest.fixture
def store_b(tenant_b):
    return factories.make_store(tenant_b, name="Bravo Shop")


# --- tiers: what a test needs, so that a developer can run `pytest -m unit` in seconds and CI runs on
# PostgreSQL only what can behave differently there (docs/testing.md#run-once). ---------------------------

TIERS = ("unit", "server", "browser", "db", "workers")
# Directories whose tests are of one tier whatever they ask for: the browser suite; the sandbox (a store of
# its own, no database of Outbound's); the demo command (subprocesses with databases of their own).
DIRECTORY_TIERS = {"browser": "browser", "sandbox": "server", "demo": "server"}
# Files that start real worker processes (qcluster) against the test database.
WORKER_FILES = {
    "test_import_workers.py",
    "test_import_workers_hostile.py",
    "test_print_jobs_production.py",
    "test_batch_workers.py",
}
# Files whose tests that need no database run manage.py or makemessages in a subprocess (seconds each).
SUBPROCESS_FILES = {"test_checks.py", "test_i18n_a11y.py"}
# Fixtures that start a real server (HTTP over loopback) in the test.
SERVER_FIXTURES = {"live_server", "sandbox", "sandbox_factory", "store_server", "carriers", "server", "shop"}
DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback"}


def pytest_configure(config):
    _live_server_answers_at_once()
    config.pluginmanager.register(LongTestsFirst(), "outbound-long-tests-first")


class LongTestsFirst:
    """The long tests first (docs/testing.md#parallel): the ones marked `slow` and the `workers` tier that are
    in no xdist group start before the other tests, so that a pass does not end on one worker running a long
    test while the other idles. pytest-xdist hands out the groups first, the largest first, then the other
    tests in collection order, in which pytest-django had put every transactional test (the real clusters,
    the flood) last. After pytest-django's ordering, hence trylast."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items):
        items.sort(key=lambda item: not _long_and_alone(item))


def _live_server_answers_at_once():
    """The live server (pytest-django's `live_server`: Django's threaded WSGI server) writes an answer's
    headers and its body in two sends; with Nagle's algorithm on, the body waited for the client's delayed
    ACK of the headers, about 40 ms per request on a kept-alive connection (the webhook flood's 2,000 posts:
    over a minute and a half of waiting). TCP_NODELAY on its connections, as the sandbox store's server can
    have: the same answers, sent at once."""
    import socket

    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test.testcases import LiveServerThread

    class NoDelayServer(ThreadedWSGIServer):
        def get_request(self):
            request, address = super().get_request()
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return request, address

    LiveServerThread.server_class = NoDelayServer


def pytest_addoption(parser):
    parser.addoption(
        "--screenshots",
        action="store_true",
        help="save the browser suite's screenshots in tests/artifacts/screenshots/ (a failing browser test saves "
        "its open pages anyway)",
    )
    parser.addoption(
        "--every-seed",
        action="store_true",
        help="run every seed of the generated cases marked split_seeds on this database (by default SQLite runs "
        "the even seeds and PostgreSQL the odd ones, so that the two CI passes share them)",
    )


def tier_of(item) -> str:
    parts = item.path.parts[len(Path(__file__).parent.parts) :]
    if parts and parts[0] in DIRECTORY_TIERS:
        return DIRECTORY_TIERS[parts[0]]
    if item.path.name in WORKER_FILES:
        return "workers"
    names = set(getattr(item, "fixturenames", ()))
    if item.get_closest_marker("django_db") or names & DB_FIXTURES:
        return "db"
    if names & SERVER_FIXTURES or item.path.name in SUBPROCESS_FILES:
        return "server"
    return "unit"


def xdist_group_of(item, tier: str) -> str | None:
    """Under `pytest -n … --dist loadgroup` (make test), the tests of a group run on one worker: the browser
    suite (one Chromium), and the tests of a module that share a module- or class-scoped fixture (set up
    once, not once per worker)."""
    if tier == "browser":
        return "browser"
    info = getattr(item, "_fixtureinfo", None)
    for defs in info.name2fixturedefs.values() if info else ():
        if any(d.scope in ("module", "class", "package") and d.baseid.endswith(".py") for d in defs):
            return item.nodeid.split("::", 1)[0]
    return None


def _long_and_alone(item) -> bool:
    if item.get_closest_marker("xdist_group"):
        return False
    return bool(item.get_closest_marker("slow") or item.get_closest_marker("workers"))


def _seed_runs_here(item, vendor: str) -> bool:
    seed = getattr(item, "callspec", None) and item.callspec.params.get("seed")
    return seed is None or seed % 2 == (0 if vendor == "sqlite" else 1)


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by the tiers' markers
def pytest_collection_modifyitems(config, items):
    """Each test gets its tier's marker. Tests marked `exhaustive` (every store behaviour of an expensive
    test, the long property runs) run only when slow tests are asked for (`pytest -m slow`); the default run
    keeps a representative share. The generated cases marked `split_seeds` run their even seeds on SQLite and
    their odd seeds on PostgreSQL (all of them with --every-seed)."""
    from django.db import connection

    for item in items:
        tier = tier_of(item)
        item.add_marker(getattr(pytest.mark, tier))
        item.user_properties.append(("tier", tier))  # in the JUnit XML, and counted in the summary below
        group = xdist_group_of(item, tier)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
    slow = "slow" in (config.getoption("markexpr") or "")
    every_seed = slow or config.getoption("every_seed")
    keep, drop = [], []
    for item in items:
        if not slow and item.get_closest_marker("exhaustive"):
            drop.append(item)
        elif not every_seed and item.get_closest_marker("split_seeds") and not _seed_runs_here(item, connection.vendor):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_report_header(config):
    from django.conf import settings

    db = settings.DATABASES["default"]
    return f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or ''} {db.get('NAME')}"


# --- the REST road's contract: every exchange with the sandbox's REST face against acapi.yaml ---------------

_CONTRACT = None


def _contract():
    global _CONTRACT
    if _CONTRACT is None:
        from sandbox.rest import OBSERVERS
        from tests.contract.collector import Collector

        _CONTRACT = Collector()
        OBSERVERS.append(_CONTRACT)
    return _CONTRACT


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A test that renders in French (a request with Accept-Language: fr, or translation.activate) leaves
    French active in its thread; the next test in the same thread starts in the default language again."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def rest_contract():
    """Fails the test whose exchanges with the sandbox's REST face (answers, and the connector's requests)
    violate acapi.yaml (tests/contract/collector.py)."""
    collector = _contract()
    yield collector
    violations = collector.drain()
    if violations:
        pytest.fail("acapi.yaml contract violated:\n" + "\n".join(str(v) for v in violations[:10]), pytrace=False)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    tiers: dict[str, int] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            when = getattr(report, "when", None)
            if when == "call" or (when == "setup" and report.outcome != "passed"):
                tier = dict(getattr(report, "user_properties", ())).get("tier", "?")
                tiers[tier] = tiers.get(tier, 0) + 1
    if tiers:
        counts = ", ".join(f"{tier} {tiers[tier]}" for tier in sorted(tiers))
        terminalreporter.write_line(f"tests run by tier: {counts} (total {sum(tiers.values())})")
    if _CONTRACT is not None and (_CONTRACT.validated["response"] or _CONTRACT.violations):
        validated = _CONTRACT.validated
        terminalreporter.write_line(
            f"acapi.yaml contract: {validated['response']} answers and {validated['request']} connector requests "
            f"validated, {len(_CONTRACT.violations)} violations"
        )
