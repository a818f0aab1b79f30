"""A long-running process settles its heap once (core.heap): what start-up loaded leaves the full collections."""

import gc
import os

from core import heap
from ops.heartbeat import settle_worker_heap


def test_settle_freezes_what_is_alive_once_per_process(monkeypatch):
    monkeypatch.setattr(heap, "_settled_in", set())
    before = gc.get_freeze_count()
    alive = [object() for _ in range(1000)], {"kept": [1, 2, 3]}
    try:
        assert heap.settle() is True
        assert gc.get_freeze_count() >= before + 2  # this test's objects among them
        assert heap.settle() is False  # once per process
        assert os.getpid() in heap._settled_in
    finally:
        gc.unfreeze()  # the rest of the suite's process as it was
    assert alive


def test_a_task_run_inline_does_not_settle(monkeypatch):
    calls = []
    monkeypatch.setattr(heap, "settle", lambda: calls.append(1) or True)
    assert settle_worker_heap(proc_name="MainProcess") is None  # the test settings run tasks inline
    assert calls == []
    monkeypatch.setattr("ops.heartbeat.running_inline", lambda proc_name: False)
    assert settle_worker_heap(proc_name="Process-1:1") is True and calls == [1]
