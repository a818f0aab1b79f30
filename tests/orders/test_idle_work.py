"""A scheduled-check batch waiting for its next slot does the work registered for it (orders.importing.idle)
instead of only sleeping: on a small cluster, a real-time fetch does not wait behind sleeping batches."""

from __future__ import annotations

import pytest

from orders.importing import idle


class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.naps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.naps.append(seconds)
        self.now += seconds


@pytest.fixture
def registry(monkeypatch):
    work = []
    monkeypatch.setattr(idle, "_work", work)
    return work


def test_with_nothing_to_do_the_batch_naps_until_its_slot(registry):
    time = FakeTime()
    calls = []
    idle.register_idle_work(lambda budget: calls.append(budget) or False)
    idle.pass_time(2.0, sleep=time.sleep, clock=time.clock)
    assert time.now == pytest.approx(2.0) and time.naps == [0.5, 0.5, 0.5, 0.5]
    assert calls == [2.0, 1.5, 1.0, 0.5]  # each asked with the seconds left


def test_work_is_asked_again_at_once_while_it_finds_some_and_never_past_the_slot(registry):
    time = FakeTime()

    def fetch(budget):  # three pieces of work of 0.4 s, then nothing
        if fetch.left:
            fetch.left -= 1
            time.now += 0.4
            return True
        return False

    fetch.left = 3
    idle.register_idle_work(fetch)
    idle.pass_time(1.5, sleep=time.sleep, clock=time.clock)
    assert fetch.left == 0 and time.naps == [pytest.approx(0.3)] and time.now == pytest.approx(1.5)


def test_a_failing_piece_of_work_is_logged_and_the_wait_goes_on(registry, caplog):
    time = FakeTime()

    def broken(budget):
        raise RuntimeError("boom")

    idle.register_idle_work(broken)
    idle.register_idle_work(broken)  # registered once
    idle.pass_time(1.0, sleep=time.sleep, clock=time.clock)
    assert time.now == pytest.approx(1.0) and len(registry) == 1
    assert "while a check batch waits failed" in caplog.text


def test_the_hooks_app_registers_its_fetch():
    from hooks.services import hooks_fetch_while_waiting

    assert hooks_fetch_while_waiting in idle._work
