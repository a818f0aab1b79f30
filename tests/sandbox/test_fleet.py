"""One sandbox process serves a fleet of small stores, each under its own path with its own credentials,
without changing anything for its own store."""

import datetime as dt

import pytest
import requests

from sandbox import ENDPOINT_PATH, FLEET_PATH, fleet_credentials


def export(url, auth, params=None):
    end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    query = {
        "action": "export",
        "start_date": "01/01/2000 00:00",
        "end_date": end.strftime("%m/%d/%Y %H:%M"),
        "page": "1",
        **(params or {}),
    }
    return requests.get(url, params=query, auth=auth, timeout=10)


@pytest.fixture
def fleet(sandbox_factory):
    return sandbox_factory(orders=20, seed=4, fleet=3, fleet_options={"orders": 2})


def test_each_fleet_store_has_its_own_path_credentials_and_orders(fleet):
    one, two = export(fleet.fleet_url(1), fleet_credentials(1, 4)), export(fleet.fleet_url(2), fleet_credentials(2, 4))
    assert one.status_code == two.status_code == 200
    assert one.text.count("<Order>") == 2 and one.text != two.text
    assert export(fleet.fleet_url(2), fleet_credentials(1, 4)).status_code == 401  # another store's password
    assert export(fleet.base_url + "/fleet/4" + ENDPOINT_PATH, fleet_credentials(4, 4)).status_code == 404
    counts = requests.get(fleet.base_url + FLEET_PATH, timeout=10).json()
    assert counts["stores"] == 3 and counts["started"] == 2
    assert counts["requests"]["endpoint"] == 3 and counts["requests"]["auth_failed"] == 1


def test_the_servers_own_store_is_unchanged_by_a_fleet(fleet):
    own = export(fleet.endpoint_url, (fleet.username, fleet.password), {"page": "1"})
    assert own.status_code == 200 and own.text.count("<Order>") == 20
    assert fleet.requests_served["endpoint"] == 1
    assert export(fleet.endpoint_url, fleet_credentials(1, 4)).status_code == 401
