"""The store's clock: real UTC now (or a fixed start) moving forward with real time, plus `advance()`."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


def to_epoch(value: datetime | str | float | int | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


class Clock:
    """An offset clock. `frozen=True` stops it following real time (only `advance()` moves it)."""

    def __init__(self, start: datetime | str | float | int | None = None, *, frozen: bool = False) -> None:
        started = to_epoch(start)
        self.start: float = float(int(time.time())) if started is None else started
        self.frozen = frozen
        self._t0 = time.monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            running = 0.0 if self.frozen else time.monotonic() - self._t0
            return self.start + running + self._offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the store's clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()
