"""Pacing REST requests under the store's call limit, shared by every worker that talks to the store.

AmeriCommerce allows a store a number of calls per 10-second window, shared by all apps (50 at most; 5,
10 or 20 on small plans), says on every answer how many were used and allowed (`X-AC-Call-Limit: 3/50`),
and answers 429 with `Retry-After` beyond it (docs/americommerce-rest.md#rate-limits, docs/store-budget.md).

`Pacer.acquire()` is called before each request is sent; it waits until the calls sent to this store by
anyone in the last WINDOW seconds (+ a margin for the trip to the store) are fewer than the store's limit,
then records this call. `observe(status, headers)` learns the limit from X-AC-Call-Limit and, on a 429,
stops everyone until Retry-After has passed. Until the store has said its limit, the smallest plan's (5)
is assumed.

Where the budget lives is a `CallBudget`, injected: one small state per store (its recent calls, learned
limit, the time a 429 holds it until, and a few facts shared by its workers such as its statuses), read
and changed only through `update(key, change)`, which applies `change` atomically for every process that
shares the budget. The deployment's budget (Redis or the database, chosen once in settings:
STORE_CALL_BUDGET) is built by stores/platforms/americommerce/budget.py and installed at start-up
(`install_budget`); stores get it
through `connector_for_rest_store`. `LocalBudget`, in this process only, is for what runs without Django
(bare scripts, the sandbox's tests, unit tests) and is used only when no budget is installed or a caller
asks for it by name.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

WINDOW = 10.0
# Calls are spaced as if the window were this much longer: the store counts a call when it arrives, a
# little after we sent it, and the network's jitter must not put one call too many in a window.
MARGIN = 0.5
DEFAULT_LIMIT = 5
MAX_BLOCK = 120.0  # a Retry-After longer than this holds the store's workers this long at most
KEY_TTL = 24 * 3600  # a store nobody called for a day starts afresh (Redis expiry)

State = dict[str, Any]  # {"calls": [sent at, ...], "limit": int, "blocked": until, "facts": {name: [until, value]}}
Change = Callable[[State], Any]


class CallBudget(Protocol):
    """Where the stores' budgets live. `update(key, change)` calls `change(state)` on the store's state (a
    fresh {} the first time), which may modify it in place, stores the result atomically (for every
    process sharing the budget: a change based on a state someone else changed meanwhile is made again on
    the new state) and returns what `change` returned. `read(key)` is the state as it is now."""

    def update(self, key: str, change: Change) -> Any: ...

    def read(self, key: str) -> State: ...


class LocalBudget:
    """A budget in this process only: for bare scripts and tests, never for a deployment's stores."""

    def __init__(self) -> None:
        self._states: dict[str, State] = {}
        self._lock = threading.Lock()

    def update(self, key: str, change: Change) -> Any:
        with self._lock:
            state = self._states.setdefault(key, {})
            return change(state)

    def read(self, key: str) -> State:
        with self._lock:
            return copy.deepcopy(self._states.get(key, {}))


LOCAL_BUDGET = LocalBudget()
_installed: CallBudget | None = None


def install_budget(budget: CallBudget | None) -> None:
    """The deployment's budget (stores.apps at start-up, from settings.STORE_CALL_BUDGET)."""
    global _installed
    _installed = budget


def installed_budget() -> CallBudget:
    """The deployment's budget; the process-local one only where none is installed (Outbound's apps not
    loaded: a bare script)."""
    return _installed if _installed is not None else LOCAL_BUDGET


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
        budget: CallBudget | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        window: float = WINDOW,
        margin: float = MARGIN,
    ) -> None:
        self.key = f"outbound:rest-pace:{key}"
        self.budget = budget if budget is not None else LOCAL_BUDGET
        self.clock, self.sleep = clock, sleep
        self.span = window + margin
        self.waited = 0.0  # seconds this pacer made its caller wait, all told
        self.refused = 0  # 429s this pacer observed

    @property
    def limit(self) -> int:
        return int(self.budget.read(self.key).get("limit") or DEFAULT_LIMIT)

    def acquire(self, max_wait: float | None = None) -> None:
        """Wait for a free call in the store's budget and take it (waits at most `max_wait` seconds, then
        goes ahead: the store's 429 and the caller's deferral are the last line)."""
        give_up = None if max_wait is None else self.clock() + max(0.0, max_wait)
        while True:
            wait = self.budget.update(self.key, self._try_take)
            if wait <= 0:
                return
            if give_up is not None and self.clock() + wait > give_up:
                wait = max(0.0, give_up - self.clock())
                if wait:
                    self.sleep(wait)
                    self.waited += wait
                self.budget.update(self.key, self._take_anyway)
                return
            self.sleep(wait)
            self.waited += wait

    def _recent(self, state: State, now: float) -> list[float]:
        return [t for t in state.get("calls") or [] if now - t < self.span]

    def _try_take(self, state: State) -> float:
        now = self.clock()
        blocked = float(state.get("blocked") or 0)
        if blocked > now:
            return blocked - now
        calls = self._recent(state, now)
        limit = int(state.get("limit") or DEFAULT_LIMIT)
        if len(calls) >= limit:
            return calls[len(calls) - limit] + self.span - now + 0.001
        state["calls"] = [*calls, now]
        return 0.0

    def _take_anyway(self, state: State) -> None:
        now = self.clock()
        state["calls"] = [*self._recent(state, now), now]

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Learn the limit from X-AC-Call-Limit; after a 429, hold every worker until Retry-After."""
        pair = parse_call_limit(headers.get("X-AC-Call-Limit"))
        until = None
        if status == 429:
            self.refused += 1
            retry = headers.get("Retry-After", "")
            seconds = float(retry) if retry.strip().isdigit() else WINDOW
            until = self.clock() + min(seconds, MAX_BLOCK)
        if until is None and (pair is None or pair[1] == self.limit):
            return  # nothing new: no write

        def learn(state: State) -> None:
            if pair is not None:
                state["limit"] = pair[1]
            if until is not None:
                state["blocked"] = max(until, float(state.get("blocked") or 0))

        self.budget.update(self.key, learn)

    # --- facts the store's workers share (its statuses, its storefronts) -------------------------------

    def recall(self, name: str) -> Any:
        """A fact remembered for this store and not expired, or None."""
        fact = (self.budget.read(self.key).get("facts") or {}).get(name)
        return fact[1] if fact and fact[0] > self.clock() else None

    def remember(self, name: str, value: Any, ttl: float) -> None:
        """Keep `value` (JSON: decimals become strings, as every budget stores it) for `ttl` seconds."""
        now = self.clock()
        value = json.loads(json.dumps(value, default=str))

        def keep(state: State) -> None:
            facts = {k: v for k, v in (state.get("facts") or {}).items() if v[0] > now}
            facts[name] = [now + ttl, value]
            state["facts"] = facts

        self.budget.update(self.key, keep)
