"""The sandbox sends the order webhooks like the vendor (its webhooks.md; docs/americommerce-rest.md#webhooks):
when an order is created or changed, each subscription of a matching event type on the order's storefront
(`store_id`) gets a POST of `{"order": <the order as GET /api/v1/orders/{id} renders it, no expand>}`
(OrderStatusChanged also carries `old_status` and `new_status`, as the docs list), Content-Type
application/json, with the vendor's 3-second timeout. The vendor does not sign webhooks, and with
failure_type Ignore (the default) a failed delivery (timeout, refused, an error status) is recorded and
never retried.

Events per change: NewOrder when an order is placed; OrderUpdated on any change; OrderStatusChanged when the
status changes, and then OrderCanceled / OrderShipped when the new status is a cancelled / shipped one. One
change can fire several events, as on the vendor.

Faults (seeded from the store's seed; `SandboxStore.set_webhook_faults`, the control key "webhooks", the CLI):
    loss       probability a delivery is silently dropped (recorded "dropped", never sent)
    delay      [min, max] seconds a delivery waits before it is sent (uniform)
    duplicate  probability a delivery is sent twice
    reorder    probability a delivery is held back until a delivery planned after it has been sent (or for
               1 s when none comes; so at 1.0 every delivery is late by 1 s and their order is kept)

Deliveries are planned on the thread that changed the order (under the store lock, so the payload is the order
as that change left it) and sent by one background sender thread per process from a bounded queue: never on a
request thread. `truth()["webhooks"]["deliveries"]` records each: event, order id, webhook id, url, state
(planned, sent, failed, dropped, overflow), HTTP status or error, and real times (epoch seconds).
"""

from __future__ import annotations

import heapq
import itertools
import json
import queue
import random
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

TIMEOUT_SECONDS = 3.0  # docs/webhooks.md: "the timeout is intentionally short (3 seconds)"
QUEUE_MAX = 10_000
HOLD_SECONDS = 1.0  # a held-back delivery with nothing after it goes out after this long
DELIVERIES_KEPT = 100_000  # the truth keeps this many deliveries per store (the oldest go first)
ORDER_EVENTS = ("NewOrder", "OrderUpdated", "OrderStatusChanged", "OrderCanceled", "OrderShipped")


def events_for(*, created: bool, old_status: Any, new_status: Any) -> list[str]:
    """The vendor's order events for one change (statuses are catalog.OrderStatus, old None when created)."""
    if created:
        return ["NewOrder"]
    events = ["OrderUpdated"]
    if old_status is not None and old_status.name != new_status.name:
        events.append("OrderStatusChanged")
        if new_status.is_cancelled:
            events.append("OrderCanceled")
        if new_status.is_shipped:
            events.append("OrderShipped")
    return events


def _probability(name: str, value: Any) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"webhook_{name} must be between 0 and 1")
    return value


@dataclass
class WebhookFaults:
    loss: float = 0.0
    delay: tuple[float, float] = (0.0, 0.0)
    duplicate: float = 0.0
    reorder: float = 0.0

    def describe(self) -> dict[str, Any]:
        return {"loss": self.loss, "delay": list(self.delay), "duplicate": self.duplicate, "reorder": self.reorder}


@dataclass
class Delivery:
    record: dict[str, Any]
    body: bytes
    due: float
    held: bool = False
    seq: int = 0
    log: WebhookLog | None = field(default=None, repr=False)


class WebhookLog:
    """One store's webhook faults and deliveries. Planning happens under the store's lock."""

    def __init__(self, seed: int) -> None:
        self.faults = WebhookFaults()
        self._rng = random.Random(f"{seed}:webhooks")
        self._ids = itertools.count(1)
        self._lock = threading.Lock()  # the records are updated by the sender thread too
        self.deliveries: list[dict[str, Any]] = []
        self.counts: dict[str, int] = {}

    def set(
        self,
        loss: float | None = None,
        delay: float | list[float] | tuple[float, float] | None = None,
        duplicate: float | None = None,
        reorder: float | None = None,
    ) -> dict[str, Any]:
        """Change only the faults given (delay: seconds, or [min, max]); returns them all."""
        faults = self.faults
        if delay is not None:
            low, high = (delay, delay) if isinstance(delay, int | float) else tuple(delay)
            if not 0 <= float(low) <= float(high):
                raise ValueError("webhook_delay must be 0 <= min <= max seconds")
            faults.delay = (float(low), float(high))
        if loss is not None:
            faults.loss = _probability("loss", loss)
        if duplicate is not None:
            faults.duplicate = _probability("duplicate", duplicate)
        if reorder is not None:
            faults.reorder = _probability("reorder", reorder)
        return faults.describe()

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "faults": self.faults.describe(),
                "counts": dict(self.counts),
                "deliveries": [dict(d) for d in self.deliveries],
            }

    def _count(self, state: str) -> None:
        self.counts[state] = self.counts.get(state, 0) + 1

    def update(self, record: dict[str, Any], **changes: Any) -> None:
        with self._lock:
            record.update(changes)
            self._count(changes["state"])

    def plan(self, event: str, order_id: int, subscription: dict[str, Any], payload: dict[str, Any]) -> None:
        """Plan the delivery of one event to one subscription (with this store's faults) and queue it."""
        now = time.time()
        rng, faults = self._rng, self.faults
        dropped = rng.random() < faults.loss
        copies = 2 if rng.random() < faults.duplicate else 1
        wait = rng.uniform(*faults.delay) if faults.delay[1] > 0 else 0.0
        held = rng.random() < faults.reorder
        body = json.dumps(payload, ensure_ascii=False).encode()
        for copy in range(1 if dropped else copies):
            record = {
                "id": next(self._ids),
                "event": event,
                "order_id": order_id,
                "webhook_id": subscription["id"],
                "url": subscription["url"],
                "updated_at": payload["order"]["updated_at"],
                "state": "dropped" if dropped else "planned",
                "duplicate": copy > 0,
                "held": held,
                "planned_at": now,
                "due_at": now + wait,
                "sent_at": None,
                "http_status": None,
                "error": None,
            }
            with self._lock:
                self.deliveries.append(record)
                del self.deliveries[:-DELIVERIES_KEPT]
                self._count(record["state"])
            if not dropped and not SENDER.submit(Delivery(record, body, now + wait, held=held, log=self)):
                self.update(record, state="overflow", error="the sandbox's webhook queue is full")


class Sender:
    """The process's one webhook sender: a thread taking deliveries from a bounded queue, sending each when due."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Delivery] = queue.Queue(maxsize=QUEUE_MAX)
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, delivery: Delivery) -> bool:
        delivery.seq = next(self._seq)
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
                self._thread.start()
        try:
            self._queue.put_nowait(delivery)
        except queue.Full:
            return False
        return True

    def _run(self) -> None:
        pending: list[tuple[float, int, Delivery]] = []  # (due, seq): sent in that order
        held: list[tuple[float, Delivery]] = []  # (deadline, delivery): waiting for a later one to go first
        while True:
            wakes = [pending[0][0]] if pending else []
            wakes += [deadline for deadline, _ in held]
            timeout = max(0.0, min(wakes) - time.time()) if wakes else None
            try:
                delivery = self._queue.get(timeout=timeout)
                heapq.heappush(pending, (delivery.due, delivery.seq, delivery))
                continue  # take everything already queued before sending anything
            except queue.Empty:
                pass
            now = time.time()
            for entry in [e for e in held if e[0] <= now]:  # nothing came after it in time: it goes now
                held.remove(entry)
                heapq.heappush(pending, (now, entry[1].seq, entry[1]))
            if not pending or pending[0][0] > now:
                continue
            _, _, delivery = heapq.heappop(pending)
            if delivery.held:
                delivery.held = False
                held.append((now + HOLD_SECONDS, delivery))
                continue
            self._send(delivery)
            for entry in [e for e in held if e[1].seq < delivery.seq]:  # a later one went first: release
                held.remove(entry)
                heapq.heappush(pending, (delivery.due, entry[1].seq, entry[1]))  # right after it

    @staticmethod
    def _send(delivery: Delivery) -> None:
        # The url is http or https (sandbox/rest/webhooks.py checks it on subscribing).
        request = urllib.request.Request(  # noqa: S310
            delivery.record["url"],
            data=delivery.body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "AmeriCommerce-Sandbox-Webhooks"},
        )
        sent_at = time.time()
        status: int | None = None
        error: str | None = None
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 - http(s) only
                status = answer.status
                answer.read()
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"HTTP {exc.code}"
        except (OSError, ValueError) as exc:  # refused, timed out, reset, a bad URL
            error = f"{type(exc).__name__}: {exc}"
        assert delivery.log is not None
        delivery.log.update(
            delivery.record,
            state="sent" if error is None else "failed",
            sent_at=sent_at,
            http_status=status,
            error=error,
        )


SENDER = Sender()
