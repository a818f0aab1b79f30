"""The standing cast: alice (tenant A owner), bob (tenant A viewer), charlie (tenant B owner)."""

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


def pytest_collection_modifyitems(config, items):
    """Tests marked `exhaustive` (every store behaviour of an expensive test, the long property runs) run
    only when slow tests are asked for (`pytest -m slow`); the default run keeps a representative share."""
    if "slow" in (config.getoption("markexpr") or ""):
        return
    drop = [item for item in items if item.get_closest_marker("exhaustive")]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = [item for item in items if not item.get_closest_marker("exhaustive")]


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
    if _CONTRACT is not None and (_CONTRACT.validated["response"] or _CONTRACT.violations):
        validated = _CONTRACT.validated
        terminalreporter.write_line(
            f"acapi.yaml contract: {validated['response']} answers and {validated['request']} connector requests "
            f"validated, {len(_CONTRACT.violations)} violations"
        )
