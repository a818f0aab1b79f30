"""Pacing REST requests under the store's call limit, shared by every worker that talks to the store.

AmeriCommerce allows a store a number of calls per 10-second window, shared by all apps (50 at most; 5,
10 or 20 on small plans), says on every answer how many were used and allowed (`X-AC-Call-Limit: 3/50`),
and answers 429 with `Retry-After` beyond it (docs/americommerce-rest.md#rate-limits).

`Pacer.acquire()` is called before each request is sent; it waits until the calls sent to this store by
anyone in the last WINDOW seconds (+ a margin for the trip to the store) are fewer than the store's limit,
then records this call. The calls and the learned limit live in Django's cache under the store's key, so
workers in several threads or processes (Redis when configured: every worker sees the same keys) share one
budget; a small lock key (cache.add, atomic in Redis and in the local-memory cache) guards each update.
`observe(status, headers)` learns the limit from X-AC-Call-Limit and, on a 429, stops everyone until
Retry-After has passed. Until the store has said its limit, the smallest plan's (5) is assumed.

Without Django settings (a bare script) a process-local cache is used.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

WINDOW = 10.0
# Calls are spaced as if the window were this much longer: the store counts a call when it arrives, a
# little after we sent it, and the network's jitter must not put one call too many in a window.
MARGIN = 0.5
DEFAULT_LIMIT = 5
LOCK_TTL = 5  # seconds; a worker that dies holding the lock delays the others this long at most
KEY_TTL = 24 * 3600


class _LocalCache:
    """The few cache calls the pacer makes, in this process only."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[Any, float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str) -> Any:
        value = self._data.get(key)
        if value is None or value[1] < time.monotonic():
            self._data.pop(key, None)
            return None
        return value[0]

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            value = self._live(key)
            return default if value is None else value

    def set(self, key: str, value: Any, timeout: float) -> None:
        with self._lock:
            self._data[key] = (value, time.monotonic() + timeout)

    def add(self, key: str, value: Any, timeout: float) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            self._data[key] = (value, time.monotonic() + timeout)
            return True

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)


_LOCAL = _LocalCache()


def default_cache() -> Any:
    try:
        from django.conf import settings

        if settings.configured:
            from django.core.cache import cache

            return cache
    except ImportError:  # pragma: no cover - Django is always installed with Outbound
        pass
    return _LOCAL


def parse_call_limit(value: str | None) -> tuple[int, int] | None:
    """`3/50` -> (3, 50); None when absent or not in that form."""
    if not value or "/" not in value:
        return None
    used, _, allowed = value.partition("/")
    try:
        pair = int(used.strip()), int(allowed.strip())
    except ValueError:
        return None
    return pair if pair[1] > 0 else None


class Pacer:
    def __init__(
        self,
        key: str,
        *,
        cache: Any = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        window: float = WINDOW,
        margin: float = MARGIN,
    ) -> None:
        self.key = f"outbound:rest-pace:{key}"
        self.cache = cache if cache is not None else default_cache()
        self.clock, self.sleep = clock, sleep
        self.span = window + margin
        self.waited = 0.0  # seconds this pacer made its caller wait, all told

    # --- the shared state ----------------------------------------------------------------------

    def _locked(self, update: Callable[[], Any]) -> Any:
        token = uuid.uuid4().hex
        lock = self.key + ":lock"
        deadline = time.monotonic() + LOCK_TTL * 2
        while not self.cache.add(lock, token, LOCK_TTL):
            if time.monotonic() > deadline:
                break  # a dead holder: go ahead rather than stall (the lock expires anyway)
            self.sleep(0.005)
        try:
            return update()
        finally:
            if self.cache.get(lock) == token:
                self.cache.delete(lock)

    @property
    def limit(self) -> int:
        return int(self.cache.get(self.key + ":limit") or DEFAULT_LIMIT)

    def acquire(self, max_wait: float | None = None) -> None:
        """Wait for a free call in the store's budget and take it (waits at most `max_wait` seconds, then
        goes ahead: the store's 429 and the transport's retry are the last line)."""
        give_up = None if max_wait is None else self.clock() + max(0.0, max_wait)
        while True:
            wait = self._locked(self._try_take)
            if wait <= 0:
                return
            if give_up is not None and self.clock() + wait > give_up:
                wait = max(0.0, give_up - self.clock())
                if wait:
                    self.sleep(wait)
                    self.waited += wait
                self._locked(self._take_anyway)
                return
            self.sleep(wait)
            self.waited += wait

    def _recent(self, now: float) -> list[float]:
        calls = self.cache.get(self.key + ":calls") or []
        return [t for t in calls if now - t < self.span]

    def _try_take(self) -> float:
        now = self.clock()
        blocked = float(self.cache.get(self.key + ":blocked") or 0)
        if blocked > now:
            return blocked - now
        calls = self._recent(now)
        limit = self.limit
        if len(calls) >= limit:
            return calls[len(calls) - limit] + self.span - now + 0.001
        calls.append(now)
        self.cache.set(self.key + ":calls", calls, KEY_TTL)
        return 0.0

    def _take_anyway(self) -> None:
        now = self.clock()
        calls = self._recent(now)
        calls.append(now)
        self.cache.set(self.key + ":calls", calls, KEY_TTL)

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Learn the limit from X-AC-Call-Limit; after a 429, hold every worker until Retry-After."""
        pair = parse_call_limit(headers.get("X-AC-Call-Limit"))
        if pair is not None and pair[1] != self.limit:
            self.cache.set(self.key + ":limit", pair[1], KEY_TTL)
        if status == 429:
            retry = headers.get("Retry-After", "")
            seconds = float(retry) if retry.strip().isdigit() else WINDOW
            until = self.clock() + min(seconds, 120.0)
            self._locked(lambda: self.cache.set(self.key + ":blocked", until, KEY_TTL))
