"""The export window: LastModified, UTC, both ends inclusive to the minute, live between pages."""

import calendar
import time

from .conftest import export, export_all, orders_of


def _minute(iso: str) -> str:
    return f"{iso[5:7]}/{iso[8:10]}/{iso[:4]} {iso[11:16]}"


def _ids(orders):
    return [o.findtext("OrderID") for o in orders]


def test_window_ends_are_inclusive_at_minute_precision(frozen):
    order = frozen.truth()["orders"][3]
    minute = _minute(order["LastModified"])
    same = export_all(frozen, start_date=minute, end_date=minute)
    assert order["OrderID"] in _ids(same)
    epoch = calendar.timegm(time.strptime(minute, "%m/%d/%Y %H:%M"))
    before = time.strftime("%m/%d/%Y %H:%M", time.gmtime(epoch - 60))
    after = time.strftime("%m/%d/%Y %H:%M", time.gmtime(epoch + 60))
    assert order["OrderID"] not in _ids(export_all(frozen, start_date=after, end_date=after))
    assert order["OrderID"] not in _ids(export_all(frozen, start_date=before, end_date=before))


def test_a_mutated_order_leaves_the_window_and_shifts_later_pages(frozen):
    window = {"start_date": "01/01/2000 00:00", "end_date": "03/01/2025 12:00"}  # ends at the clock's start
    before = _ids(export_all(frozen, **window))
    page1 = _ids(orders_of(export(frozen, 1, **window))[1])
    frozen.advance(120)
    frozen.mutate(order_ids=[page1[0]])
    seen = page1 + _ids(export_all(frozen, **window))[10:]
    assert before[10] not in seen  # the order that slid onto page 1 is never served in this pass
    assert set(before) - set(seen) == {before[10]}


def test_last_modified_never_runs_ahead_of_the_clock(sandbox):
    sandbox.mutate(change=20, add=5)
    now = sandbox.truth()["clock"]["now"]
    assert max(o["LastModified"] for o in sandbox.truth()["orders"]) <= now


def test_new_orders_appear_at_the_end_of_the_window(frozen):
    frozen.advance(60)
    added = frozen.mutate(add=2)["added"]
    assert _ids(export_all(frozen))[-2:] == added
