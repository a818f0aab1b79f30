"""The deployment's store call budget (stores/platforms/americommerce/rest/pacing.py), chosen once in settings
(STORE_CALL_BUDGET) and installed when the platform is loaded (connection.py): in Redis when it is
configured, otherwise in the database. Never in a per-process cache: every worker process of every
cluster paces one store together (docs/store-budget.md).

Both apply a change the same way, optimistically: read the store's state and its version, compute, and
write only if nobody wrote in between (Redis: WATCH/MULTI; the database: UPDATE … WHERE version = the one
read, on SQLite and PostgreSQL alike); otherwise read again and recompute. No lock is held while a caller
waits or talks to the store, and a worker killed mid-change leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, IntegrityError, OperationalError, connections
from django.utils import timezone

from .rest.pacing import KEY_TTL, CallBudget, Change, State

BACKENDS = ("redis", "database")
LOCKED_PATIENCE = 30.0  # seconds a budget change waits for a locked SQLite database before giving up


def _conflict_pause() -> None:
    time.sleep(random.uniform(0.0, 0.005))  # two writers that met: not in step again


class DatabaseBudget:
    """A row per store (StoreCallBudget), changed by a conditional UPDATE on its version.

    On PostgreSQL, on a connection of its own per thread, in autocommit, never the caller's: a change is
    committed at once whatever transaction the caller is in, so it never holds the row for another process
    (nor for the caller's own prefetch thread) until that transaction ends. On SQLite (one writer at a time
    anyway) a process's threads share its main thread's connection, one change at a time."""

    def __init__(self) -> None:
        self._local = threading.local()  # a thread's connection goes with the thread
        self._shared = None  # SQLite: the main thread's connection, shared by the process's threads
        self._lock = threading.RLock()

    @staticmethod
    def _pk(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def _cursor(self):
        default = connections[DEFAULT_DB_ALIAS]
        if default.vendor == "sqlite":
            # SQLite has one writer at a time anyway: the process's threads share the main thread's connection
            # (as Django's live server shares an in-memory database), one change at a time.
            if self._shared is None and threading.current_thread() is threading.main_thread():
                default.inc_thread_sharing()
                self._shared = default
            conn = self._shared or default
            return conn, conn.cursor()
        conn = getattr(self._local, "connection", None)
        if conn is None:
            conn = self._local.connection = connections.create_connection(DEFAULT_DB_ALIAS)
        return conn, conn.cursor()

    def read(self, key: str) -> State:
        with self._lock:
            return self._read(key)

    def _read(self, key: str) -> State:
        _, cursor = self._cursor()
        with cursor:
            cursor.execute("SELECT state FROM stores_storecallbudget WHERE key = %s", [self._pk(key)])
            row = cursor.fetchone()
        return json.loads(row[0]) if row and row[0] else {}

    def update(self, key: str, change: Change) -> Any:
        give_up = time.monotonic() + LOCKED_PATIENCE
        while True:
            try:
                with self._lock:
                    return self._update(key, change)
            except OperationalError as exc:
                # SQLite: another writer holds the database (past its busy timeout, or at once with a shared
                # cache): wait a moment and change the budget as it then is.
                if "locked" not in str(exc) or time.monotonic() > give_up:
                    raise
                time.sleep(random.uniform(0.005, 0.05))

    def _update(self, key: str, change: Change) -> Any:
        pk = self._pk(key)
        conn, cursor = self._cursor()
        with cursor:
            while True:
                cursor.execute("SELECT version, state FROM stores_storecallbudget WHERE key = %s", [pk])
                row = cursor.fetchone()
                now = conn.ops.adapt_datetimefield_value(timezone.now())
                if row is None:
                    state: State = {}
                    result = change(state)
                    try:
                        cursor.execute(
                            "INSERT INTO stores_storecallbudget (key, site, version, state, updated_at) "
                            "VALUES (%s, %s, 1, %s, %s)",
                            [pk, key, json.dumps(state), now],
                        )
                        return result
                    except IntegrityError:  # another process made the row first: change it as it is
                        _conflict_pause()
                        continue
                version, raw = row
                state = json.loads(raw) if raw else {}
                before = json.dumps(state, sort_keys=True)
                result = change(state)
                if json.dumps(state, sort_keys=True) == before:
                    return result  # a look only (no room yet): nothing to write
                cursor.execute(
                    "UPDATE stores_storecallbudget SET version = %s, state = %s, updated_at = %s "
                    "WHERE key = %s AND version = %s",
                    [version + 1, json.dumps(state), now, pk, version],
                )
                if cursor.rowcount:
                    return result
                _conflict_pause()


class RedisBudget:
    """A key per store holding its state as JSON, changed in a WATCH/MULTI transaction."""

    def __init__(self, url: str, prefix: str = "outbound:budget:") -> None:
        import redis

        self._redis = redis
        self.client = redis.Redis.from_url(url)
        self.prefix = prefix

    def read(self, key: str) -> State:
        raw = self.client.get(self.prefix + key)
        return json.loads(raw) if raw else {}

    def update(self, key: str, change: Change) -> Any:
        name = self.prefix + key
        with self.client.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(name)
                    raw = pipe.get(name)
                    state = json.loads(raw) if raw else {}
                    result = change(state)
                    if raw and json.dumps(state) == raw.decode():
                        pipe.unwatch()
                        return result  # a look only (no room yet): nothing to write
                    pipe.multi()
                    pipe.set(name, json.dumps(state), ex=KEY_TTL)
                    pipe.execute()
                    return result
                except self._redis.WatchError:
                    _conflict_pause()


def budget_from_settings() -> CallBudget:
    """The budget STORE_CALL_BUDGET names (config/settings.py checks the value; this refuses a wrong one
    set later, e.g. by a test's override)."""
    backend = settings.STORE_CALL_BUDGET
    if backend == "database":
        return DatabaseBudget()
    if backend == "redis":
        if not settings.REDIS_URL:
            raise ImproperlyConfigured("STORE_CALL_BUDGET=redis needs REDIS_URL.")
        return RedisBudget(settings.REDIS_URL)
    raise ImproperlyConfigured(f"STORE_CALL_BUDGET={backend!r} is not one of {', '.join(BACKENDS)}.")
