"""The connector against the sandbox store over real HTTP on loopback."""

import datetime as dt

import pytest

from stores.connector.client import ConnectionOutcome, StoreClient
from stores.connector.errors import StoreAuthError

FAST = {"base_delay": 0.01, "max_delay": 0.05, "max_retry_after": 0.05, "max_attempts": 8}


def client(server, username=None, password=None, endpoint=None, **options):
    return StoreClient(
        endpoint or server.endpoint_url, username or server.username, password or server.password, **{**FAST, **options}
    )


def test_connection_ok(sandbox):
    assert client(sandbox).test_connection().outcome is ConnectionOutcome.OK


def test_connection_wrong_password(sandbox):
    result = client(sandbox, password="not-the-password").test_connection()
    assert result.outcome is ConnectionOutcome.BAD_CREDENTIALS
    assert "not-the-password" not in result.message


def test_connection_user_not_an_administrator(sandbox):
    result = client(sandbox, username=sandbox.nonadmin_username, password=sandbox.nonadmin_password).test_connection()
    assert result.outcome is ConnectionOutcome.NOT_ADMIN


def test_connection_not_a_shipstation_endpoint(sandbox):
    for endpoint in (sandbox.base_url + "/", sandbox.base_url + "/nope.aspx"):
        outcome = client(sandbox, endpoint=endpoint).test_connection().outcome
        assert outcome is ConnectionOutcome.NOT_AN_ENDPOINT


def test_connection_store_unreachable(sandbox_factory):
    server = sandbox_factory(orders=1)
    endpoint = server.endpoint_url
    server.stop()
    result = StoreClient(endpoint, "u", "p", **FAST).test_connection()
    assert result.outcome is ConnectionOutcome.UNREACHABLE


def walk(server, **options):
    now = dt.datetime.now(dt.UTC)
    with client(server, **options) as c:
        orders = [
            o
            for page in c.export_pages(now - dt.timedelta(days=120), now + dt.timedelta(minutes=1))
            for o in page.orders
        ]
        return orders, c.requests_made


@pytest.mark.slow
def test_export_of_2000_orders_through_30_percent_failures_equals_truth(sandbox_factory):
    server = sandbox_factory(orders=2000, seed=5, page_size=100)
    server.set_faults(rate=0.3, kinds=["429", "500", "drop"], actions="export", retry_after=0)
    orders, requests = walk(server)
    truth = server.truth()["orders"]
    assert sorted(o.order_id for o in orders) == sorted(t["OrderID"] for t in truth)
    assert len(orders) == len({o.order_id for o in orders}) == 2000
    by_id = {o.order_id: o for o in orders}
    for t in truth:
        assert by_id[t["OrderID"]].order_status == t["OrderStatus"]
        assert [i.line_item_id for i in by_id[t["OrderID"]].items] == [i["LineItemID"] for i in t["Items"]]
    assert requests > 20  # the failures were retried


def test_a_401_is_tried_once(sandbox_factory):
    server = sandbox_factory(orders=10)
    with pytest.raises(StoreAuthError), client(server, password="wrong") as c:
        list(c.export_pages(dt.datetime.now(dt.UTC) - dt.timedelta(days=1), dt.datetime.now(dt.UTC)))
    assert c.requests_made == 1
    assert server.requests_served["endpoint"] == 1
