"""The JSON control endpoint drives the same operations as the Python methods."""

import threading

import requests

from .conftest import export, export_all, orders_of


def _control(server, payload):
    return requests.post(server.base_url + "/_sandbox/control", json=payload, timeout=10)


def test_control_mutates_advances_and_resizes_pages(frozen):
    response = _control(frozen, {"advance": 30, "page_size": 25, "mutate": {"change": 4, "add": 2}})
    assert response.status_code == 200
    body = response.json()
    assert body["now"] == "2025-03-01T12:00:30Z" and len(body["mutate"]["changed"]) == 4
    assert frozen.truth()["order_count"] == 62
    assert orders_of(export(frozen))[0] == 3


def test_control_sets_and_resets_faults(frozen):
    assert _control(frozen, {"faults": {"sequence": ["503"], "actions": "export"}}).status_code == 200
    assert export(frozen).status_code == 503
    _control(frozen, {"faults": {"down": True}})
    _control(frozen, {"webhooks": {"loss": 0.5, "delay": [1, 2], "duplicate": 0.1, "reorder": 0.2}})
    _control(frozen, {"reset_faults": True})
    assert export(frozen).status_code == 200
    faults = frozen.truth(include_orders=False)["webhooks"]["faults"]
    assert faults == {"loss": 0.0, "delay": [0.0, 0.0], "duplicate": 0.0, "reorder": 0.0}


def test_control_refuses_unknown_operations(frozen):
    assert _control(frozen, {"explode": 1}).status_code == 400
    assert _control(frozen, {"mutate": {"order_ids": [1]}}).status_code == 400


def test_truth_needs_no_credentials_and_can_skip_orders(frozen):
    truth = requests.get(frozen.base_url + "/_sandbox/truth?orders=0", timeout=10).json()
    assert "orders" not in truth and truth["order_count"] == 60


def test_concurrent_clients_get_consistent_pages(sandbox):
    expected = export(sandbox, page=2).content
    results = []

    def fetch():
        results.append(export(sandbox, page=2).content)

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 8


def test_a_stopped_store_refuses_connections(sandbox_factory):
    server = sandbox_factory(orders=5)
    session = requests.Session()
    assert session.get(server.base_url + "/", timeout=5).status_code == 200
    server.stop()
    try:
        session.get(server.base_url + "/", timeout=5)
    except requests.ConnectionError:
        return
    raise AssertionError("a stopped sandbox still answered")


def test_hide_leaves_orders_out_of_the_next_export_requests(frozen):
    """The knob that lets a test lose an order from a walk (the reconciliation sweep's test needs it)."""
    ids = [o.findtext("OrderID") for o in export_all(frozen)]
    hidden = ids[3]
    assert frozen.hide_orders([hidden], requests=2) == {hidden: 2}
    assert frozen.truth(include_orders=False)["hidden"] == {hidden: 2}
    first = [o.findtext("OrderID") for o in orders_of(export(frozen))[1]]
    assert first == ids[:3] + ids[4:11]  # the later orders move up a place, as on a store that lost it
    assert hidden not in [o.findtext("OrderID") for o in orders_of(export(frozen))[1]]
    assert hidden in [o.findtext("OrderID") for o in orders_of(export(frozen))[1]]  # two requests spent
    assert frozen.truth(include_orders=False)["hidden"] == {}


def test_control_hides_orders(frozen):
    ids = [o.findtext("OrderID") for o in export_all(frozen)]
    response = _control(frozen, {"hide": {"order_ids": ids[:2], "requests": 1}})
    assert response.status_code == 200 and response.json()["hide"] == {ids[0]: 1, ids[1]: 1}
    assert [o.findtext("OrderID") for o in orders_of(export(frozen))[1]] == ids[2:12]
    _control(frozen, {"hide": {"order_ids": ids[:2], "requests": 5}})
    assert _control(frozen, {"hide": {"order_ids": ids[:2], "requests": 0}}).json()["hide"] == {}  # shown again
    assert [o.findtext("OrderID") for o in orders_of(export(frozen))[1]] == ids[:10]
    assert _control(frozen, {"hide": {"order_ids": ids[:1], "requests": -1}}).status_code == 400
