"""Store behaviours: window precision, sort order, and where an order changed during paging goes."""

import pytest
import requests

from sandbox import BEHAVIOURS

from .conftest import FIXED_NOW, export, export_all, orders_of


def _minute(iso: str) -> str:
    return f"{iso[5:7]}/{iso[8:10]}/{iso[:4]} {iso[11:16]}"


def _ids(orders):
    return [o.findtext("OrderID") for o in orders]


def _store(sandbox_factory, **behaviour):
    return sandbox_factory(orders=60, seed=5, page_size=10, now=FIXED_NOW, frozen_clock=True, **behaviour)


@pytest.mark.parametrize("precision", BEHAVIOURS["window_precision"])
def test_window_precision_decides_whether_the_end_minute_includes_its_seconds(sandbox_factory, precision):
    server = _store(sandbox_factory, window_precision=precision)
    server.advance(21)
    changed = server.mutate(change=1)["changed"][0]["OrderID"]  # LastModified 12:00:21
    window = {"start_date": "03/01/2025 12:00", "end_date": "03/01/2025 12:00"}
    served = changed in _ids(export_all(server, **window))
    assert served == (precision == "minute")
    assert changed in _ids(export_all(server, start_date="03/01/2025 12:00", end_date="03/01/2025 12:01"))


def test_an_exact_store_includes_both_ends_to_the_second(sandbox_factory):
    server = _store(sandbox_factory, window_precision="exact")
    server.advance(60)
    changed = server.mutate(change=1)["changed"][0]["OrderID"]  # LastModified 12:01:00 exactly
    assert changed in _ids(export_all(server, start_date="03/01/2025 12:01", end_date="03/01/2025 12:01"))


def test_descending_sort_serves_the_newest_first_over_the_same_set(sandbox_factory):
    up = _ids(export_all(_store(sandbox_factory)))
    server = _store(sandbox_factory, sort="desc")
    down = _ids(export_all(server))
    assert down == up[::-1] and len(down) == 60
    stamps = [o["LastModified"] for o in server.truth()["orders"]]
    first_page = orders_of(export(server, 1))[1]
    assert _minute(max(stamps)) == first_page[0].findtext("LastModified")


WINDOW = {"start_date": "01/01/2000 00:00", "end_date": "03/01/2025 12:00"}  # ends at the clock's start


def _walk_with_a_change(server):
    """Page 1, then the store changes the first order it served, then the rest of the walk."""
    page1 = _ids(orders_of(export(server, 1, **WINDOW))[1])
    server.advance(120)  # the change lands past end_date
    server.mutate(order_ids=[page1[0]])
    pages = orders_of(export(server, 2, **WINDOW))[0]
    rest = []
    for page in range(2, pages + 1):
        rest += _ids(orders_of(export(server, page, **WINDOW))[1])
    return page1, rest


@pytest.mark.parametrize("sort", BEHAVIOURS["sort"])
def test_a_change_during_paging_moves_the_order_to_the_window_end(sandbox_factory, sort):
    server = _store(sandbox_factory, sort=sort, change_during_paging="to_end")
    before = _ids(export_all(server, **WINDOW))
    page1, rest = _walk_with_a_change(server)
    if sort == "asc":
        assert rest[-1] == page1[0]  # served again, last
        assert set(before) - set(page1 + rest) == {before[10]}  # the order that slid onto page 1
    else:
        assert rest == before[10:]  # it stays first, on the page already served: nothing shifts
    assert len(page1 + rest) == 60


@pytest.mark.parametrize("sort", BEHAVIOURS["sort"])
def test_a_change_during_paging_moves_the_order_out_of_the_window(sandbox_factory, sort):
    server = _store(sandbox_factory, sort=sort, change_during_paging="out")
    before = _ids(export_all(server, **WINDOW))
    page1, rest = _walk_with_a_change(server)
    assert page1[0] not in rest
    assert set(before) - set(page1 + rest) == {before[10]}  # one order hidden at the page boundary


def test_out_holds_even_inside_the_bounds_and_a_new_walk_sees_the_change(sandbox_factory):
    server = _store(sandbox_factory, change_during_paging="out")
    wide = {"start_date": "01/01/2000 00:00", "end_date": "12/31/2099 23:59"}
    page1 = _ids(orders_of(export(server, 1, **wide))[1])
    server.mutate(order_ids=[page1[0]])
    assert orders_of(export(server, 2, **wide))[0] == 6  # 59 orders: the changed one left the window
    assert page1[0] in _ids(export_all(server, **wide))  # a new walk starts at page 1 and sees it


def test_behaviour_through_python_control_and_truth(sandbox_factory):
    server = _store(sandbox_factory)
    assert server.truth()["behaviour"] == {
        "window_precision": "minute",
        "sort": "asc",
        "change_during_paging": "to_end",
    }
    assert server.set_behaviour(sort="desc")["sort"] == "desc"
    response = requests.post(
        server.base_url + "/_sandbox/control",
        json={"behaviour": {"window_precision": "exact", "change_during_paging": "out"}},
        timeout=10,
    )
    assert response.status_code == 200
    assert server.truth(include_orders=False)["behaviour"] == {
        "window_precision": "exact",
        "sort": "desc",
        "change_during_paging": "out",
    }
    bad = requests.post(server.base_url + "/_sandbox/control", json={"behaviour": {"sort": "random"}}, timeout=10)
    assert bad.status_code == 400 and "sort must be one of asc, desc" in bad.json()["error"]
    assert server.truth(include_orders=False)["behaviour"]["sort"] == "desc"  # nothing half-applied
    with pytest.raises(ValueError):
        server.set_behaviour(window_precision="seconds")
