"""The REST road's call limit: a store driven by two importers at once never sees more calls per 10 seconds
than its X-AC-Call-Limit allows (the sandbox counts every call it accepts), and a 429 holds everyone."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from stores.platforms.americommerce.rest import RestConnector
from stores.platforms.americommerce.rest.pacing import DEFAULT_LIMIT, LocalBudget, Pacer, parse_call_limit


# Half a minute each: the store's call limit is counted over 10-second windows (marked slow: started first).
@pytest.mark.slow
def test_two_importers_of_one_store_stay_under_its_call_limit(sandbox_factory):
    server = sandbox_factory(orders=40, seed=9, page_size=20)
    server.set_call_limit(5)
    now = dt.datetime.now(dt.UTC)
    found: list[set[str]] = []
    errors: list[BaseException] = []

    def importer() -> None:
        try:
            with RestConnector(server.rest_base_url, server.rest_token, max_attempts=1) as connector:
                found.append(
                    {
                        o.order_id
                        for page in connector.export_pages(now - dt.timedelta(days=90), now)
                        for o in page.orders
                    }
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=importer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(found) == 2 and all(len(f) == 40 for f in found)
    rest = server.truth(include_orders=False)["rest"]
    assert rest["calls"] >= 12  # enough calls that an unpaced pair would have gone far over 5 per 10 s
    assert rest["rejected"] == 0  # no 429: nobody went over
    assert server.store.rest.max_calls_per_window(10.0) <= 5


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_pacer_learns_the_limit_spaces_calls_and_stops_after_a_429():
    clock = FakeClock()
    budget = LocalBudget()
    a = Pacer("shop", budget=budget, clock=clock, sleep=clock.sleep)
    b = Pacer("shop", budget=budget, clock=clock, sleep=clock.sleep)  # another worker, same store
    assert a.limit == DEFAULT_LIMIT
    a.acquire()
    a.observe(200, {"X-AC-Call-Limit": "1/3"})
    assert b.limit == 3
    b.acquire()
    a.acquire()
    assert clock.now == 1000.0
    b.acquire()  # the fourth call within the window waits for the first to leave it
    assert clock.now == pytest.approx(1000.0 + 10.5, abs=0.01)
    a.observe(429, {"Retry-After": "7", "X-AC-Call-Limit": "3/3"})
    before = clock.now
    b.acquire()  # the 429 holds every worker of the store until Retry-After has passed
    assert clock.now >= before + 7
    assert parse_call_limit("12/50") == (12, 50) and parse_call_limit("x") is None and parse_call_limit("1/0") is None
