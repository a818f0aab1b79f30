"""Issue 26, part 2: one call budget per REST store, shared by every process whatever the broker: in the
database (a row per store, changed by a conditional UPDATE) without Redis, in Redis with it; never a
per-process cache. Two workers, each with its own budget object and its own database connection (threads
standing for processes), drive one sandbox store over HTTP together and never exceed its limit: the
sandbox counts every call and every 429."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from stores.platforms.americommerce.budget import DatabaseBudget, RedisBudget, budget_from_settings
from stores.platforms.americommerce.rest import RestConnector, connector_for_rest_store
from stores.platforms.americommerce.rest.pacing import LocalBudget, Pacer, installed_budget
from tests.factories import connect_sandbox

REDIS_URL = "redis://127.0.0.1:6379/11"


def _redis_budget() -> RedisBudget:
    budget = RedisBudget(REDIS_URL, prefix=f"i26-budget-test:{uuid.uuid4().hex}:")
    try:
        budget.client.ping()
    except Exception:  # noqa: BLE001 - no Redis on this machine
        pytest.skip("no Redis at 127.0.0.1:6379")
    return budget


def _two_workers(server, make_budget) -> None:
    """Two importers of one store, each with its own budget object and connection, at the same time."""
    now = dt.datetime.now(dt.UTC)
    found: list[int] = []
    errors: list[BaseException] = []

    def importer() -> None:
        try:
            with RestConnector(server.rest_base_url, server.rest_token, budget=make_budget(), max_attempts=1) as api:
                found.append(sum(len(p.orders) for p in api.export_pages(now - dt.timedelta(days=90), now)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()  # this thread's own database connection

    threads = [threading.Thread(target=importer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert not errors, errors
    assert found == [30, 30]


# Half a minute each: the store's call limit is counted over 10-second windows (marked slow: started first).
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_workers_share_one_budget_through_the_database(sandbox_factory):
    server = sandbox_factory(orders=30, seed=9, page_size=15)
    server.set_call_limit(5)
    _two_workers(server, DatabaseBudget)
    rest = server.truth(include_orders=False)["rest"]
    assert rest["calls"] >= 12  # enough calls that two budgets of their own would have gone over 5 per 10 s
    assert rest["rejected"] == 0  # no 429: together they never went over
    assert server.store.rest.max_calls_per_window(10.0) <= 5


@pytest.mark.slow
def test_two_workers_share_one_budget_through_redis(sandbox_factory):
    server = sandbox_factory(orders=30, seed=9, page_size=15)
    server.set_call_limit(5)
    shared = _redis_budget()
    _two_workers(server, lambda: RedisBudget(REDIS_URL, prefix=shared.prefix))
    rest = server.truth(include_orders=False)["rest"]
    assert rest["calls"] >= 12 and rest["rejected"] == 0
    assert server.store.rest.max_calls_per_window(10.0) <= 5


@pytest.mark.django_db
def test_stores_get_the_deployments_budget_and_the_limit_it_learned(tenant_a, sandbox_factory, settings):
    """A store's connector paces on the budget chosen in settings (the database here, REDIS_URL unset), and
    what one worker learns (the store's X-AC-Call-Limit) every other reads from there."""
    server = sandbox_factory(orders=5, seed=3)
    server.set_call_limit(7)
    store = connect_sandbox(tenant_a, server, road="rest")
    assert settings.STORE_CALL_BUDGET == "database"
    assert isinstance(installed_budget(), DatabaseBudget)
    with connector_for_rest_store(store) as api:
        assert isinstance(api.pacer.budget, DatabaseBudget)
        api.statuses()
    other = Pacer(store.rest_base_url, budget=DatabaseBudget())  # another process's pacer of the same store
    assert other.limit == 7
    # A process of its own knows nothing (a fresh budget: this process's LOCAL_BUDGET may hold what an earlier test
    # learned of a sandbox that had this port before).
    assert Pacer(store.rest_base_url, budget=LocalBudget()).limit == 5


def test_a_budget_named_wrong_stops_with_a_clear_error(settings):
    settings.STORE_CALL_BUDGET = "memory"
    with pytest.raises(ImproperlyConfigured, match="STORE_CALL_BUDGET='memory' is not one of redis, database"):
        budget_from_settings()
    settings.STORE_CALL_BUDGET, settings.REDIS_URL = "redis", ""
    with pytest.raises(ImproperlyConfigured, match="needs REDIS_URL"):
        budget_from_settings()
