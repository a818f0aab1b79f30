"""Work a scheduled-check batch does while it waits for its next slot, instead of only sleeping.

A batch task waits inside its worker for each slot (orders.importing.schedule): on a 2-worker cluster two
batches can hold both workers asleep for up to 40 s a minute, and a task queued behind them (a real-time
fetch) waits as long. So a waiting batch runs the work registered here in the meantime, each piece given
the seconds left before the slot and expected to return within them:

    register_idle_work(fn)    fn(budget_seconds) -> bool: True when it did something (asked again at once),
                              False when it had nothing to do (the batch naps IDLE_POLL_SECONDS, then asks)
    pass_time(seconds)        the batch's wait: the registered work, or naps, until the time is up

Apps above orders register their work in AppConfig.ready (hooks: a store's waiting real-time fetch); orders
imports none of them. One piece's error is logged and never costs the batch its checks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 0.5  # a waiting batch asks for work twice a second (one small query each time)

_work: list[Callable[[float], bool]] = []


def register_idle_work(fn: Callable[[float], bool]) -> None:
    if fn not in _work:
        _work.append(fn)


def pass_time(seconds: float, *, sleep=time.sleep, clock=time.monotonic) -> None:
    end = clock() + seconds
    while (left := end - clock()) > 0:
        busy = False
        for fn in list(_work):
            try:
                busy = bool(fn(left)) or busy
            except Exception:  # noqa: BLE001  (the batch's checks come first)
                log.exception("Work done while a check batch waits failed")
            if (left := end - clock()) <= 0:
                return
        if not busy:
            sleep(min(left, IDLE_POLL_SECONDS))
