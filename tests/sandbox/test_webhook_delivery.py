"""The sandbox sends order webhooks like the vendor (docs/webhooks.md), to a real receiver over loopback, with
its seeded faults (loss, delay, duplicate, reorder) recorded in the truth."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from sandbox.cli import _delay
from sandbox.rest.render import STATUS_IDS
from sandbox.rest.webhook_delivery import ORDER_EVENTS
from tests.sandbox.conftest import post_notice


class Receiver:
    """A tiny webhook receiver: records (arrival time, path, JSON body); a path under /fail/ answers 500."""

    def __init__(self) -> None:
        self.got: list[tuple[float, str, dict]] = []
        received = self.got

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - stdlib naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                assert self.headers["Content-Type"] == "application/json"
                received.append((time.time(), self.path, json.loads(body)))
                status = 500 if self.path.startswith("/fail/") else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def paths(self) -> list[str]:
        return [path for _, path, _ in self.got]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def api(sandbox, method, path, **kwargs):
    answer = requests.request(
        method, sandbox.rest_base_url + path, headers={"X-AC-Auth-Token": sandbox.rest_token}, timeout=10, **kwargs
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def subscribe(sandbox, url, event="OrderUpdated", store_id=1):
    return api(sandbox, "POST", "/webhooks", json={"event_type": event, "url": url, "store_id": store_id})


def settle(sandbox, expected=None, timeout=8.0):
    """The deliveries once none is still planned (and at least `expected` were recorded)."""
    deadline = time.time() + timeout
    while True:
        deliveries = sandbox.truth(include_orders=False)["webhooks"]["deliveries"]
        done = all(d["state"] != "planned" for d in deliveries) and len(deliveries) >= (expected or 0)
        if done or time.time() > deadline:
            return deliveries
        time.sleep(0.05)


def order_of(sandbox, storefront):
    return next(
        o for o in sandbox.truth()["orders"] if o["Storefront"]["id"] == storefront and o["OrderStatus"] != "Shipped"
    )


def rendered(sandbox, order_id):
    """The order as the REST face renders it (no expand)."""
    return api(sandbox, "GET", "/orders", params={"id": order_id})["orders"][0]


def test_events_for_create_change_status_change_and_ship(sandbox, receiver):
    for store_id in (1, 2, 3):
        for event in ORDER_EVENTS:
            subscribe(sandbox, f"{receiver.base}/{event}", event, store_id)
    added = sandbox.mutate(add=1)["added"][0]
    settle(sandbox, 1)
    assert receiver.paths() == ["/NewOrder"] and receiver.got[0][2] == {"order": rendered(sandbox, added)}

    receiver.got.clear()
    order = order_of(sandbox, 1)
    api(sandbox, "PUT", f"/orders/{order['OrderID']}/status", json={"order_status_id": STATUS_IDS["Cancelled"]})
    settle(sandbox, 4)
    assert sorted(receiver.paths()) == ["/OrderCanceled", "/OrderStatusChanged", "/OrderUpdated"]
    now = rendered(sandbox, order["OrderID"])
    assert all(body["order"] == now for _, _, body in receiver.got)
    changed = next(body for _, path, body in receiver.got if path == "/OrderStatusChanged")
    assert changed["old_status"]["name"] == order["OrderStatus"] and changed["new_status"]["name"] == "Cancelled"

    receiver.got.clear()
    shipped = order_of(sandbox, 2)
    assert post_notice(sandbox, shipped["OrderNumber"]).status_code == 200  # the XML face's shipnotify
    settle(sandbox, 7)
    assert sorted(receiver.paths()) == ["/OrderShipped", "/OrderStatusChanged", "/OrderUpdated"]

    receiver.got.clear()
    api(sandbox, "POST", "/order_shipments", json={"order_id": int(order["OrderID"]), "tracking_numbers": "1Z1"})
    sandbox.mutate(order_ids=[shipped["OrderID"]])  # a change through the control path
    deliveries = settle(sandbox, 9)
    assert receiver.paths()[:2] == ["/OrderUpdated", "/OrderUpdated"]
    assert [body["order"]["id"] for _, path, body in receiver.got if path == "/OrderUpdated"][:2] == [
        int(order["OrderID"]),
        int(shipped["OrderID"]),
    ]
    assert {d["state"] for d in deliveries} == {"sent"} and {d["http_status"] for d in deliveries} == {200}


def test_store_id_filtering_and_an_unsubscribed_url_gets_nothing(sandbox, receiver):
    subscribe(sandbox, f"{receiver.base}/two", store_id=2)
    gone = subscribe(sandbox, f"{receiver.base}/gone", store_id=1)
    api(sandbox, "DELETE", f"/webhooks/{gone['id']}")
    one, two = order_of(sandbox, 1), order_of(sandbox, 2)
    sandbox.mutate(order_ids=[one["OrderID"], two["OrderID"]])
    deliveries = settle(sandbox, 1)
    # Every delivery the sandbox planned is settled and each is one request (never retried): the log below
    # is everything that was or will be sent, so nothing else can arrive.
    assert receiver.paths() == ["/two"] and receiver.got[0][2]["order"]["id"] == int(two["OrderID"])
    assert [(d["order_id"], d["url"]) for d in deliveries] == [(int(two["OrderID"]), f"{receiver.base}/two")]


def test_loss_drops_silently_and_records_it(sandbox, receiver):
    subscribe(sandbox, f"{receiver.base}/h")
    sandbox.store.control({"webhooks": {"loss": 1.0}})
    changed = sandbox.mutate(order_ids=[order_of(sandbox, 1)["OrderID"]])["changed"]
    deliveries = settle(sandbox, 1)
    assert receiver.got == []  # the only delivery planned was dropped (settle: none is still planned)
    assert [(d["state"], d["order_id"]) for d in deliveries] == [("dropped", int(changed[0]["OrderID"]))]
    assert sandbox.truth(include_orders=False)["webhooks"]["faults"]["loss"] == 1.0


def test_duplicate_sends_twice(sandbox, receiver):
    subscribe(sandbox, f"{receiver.base}/h")
    sandbox.set_webhook_faults(duplicate=1.0)
    sandbox.mutate(order_ids=[order_of(sandbox, 1)["OrderID"]])
    deliveries = settle(sandbox, 2)
    assert len(receiver.got) == 2 and receiver.got[0][2] == receiver.got[1][2]
    assert [d["duplicate"] for d in deliveries] == [False, True]


def test_reorder_holds_a_delivery_back_behind_later_ones(sandbox, receiver, monkeypatch):
    # Held long enough that it goes out behind the second, never on its own, however slow the machine.
    monkeypatch.setattr("sandbox.rest.webhook_delivery.HOLD_SECONDS", 30.0)
    subscribe(sandbox, f"{receiver.base}/h")
    first, second, third = [o["OrderID"] for o in sandbox.truth()["orders"] if o["Storefront"]["id"] == 1][:3]
    sandbox.set_webhook_faults(reorder=1.0)
    sandbox.mutate(order_ids=[first])
    sandbox.set_webhook_faults(reorder=0.0)
    time.sleep(0.2)
    sandbox.mutate(order_ids=[second])
    sandbox.mutate(order_ids=[third])
    deliveries = settle(sandbox, 3)
    assert [body["order"]["id"] for _, _, body in receiver.got] == [int(second), int(first), int(third)]
    assert [d["held"] for d in deliveries] == [True, False, False]


def test_a_held_delivery_with_nothing_after_it_goes_after_a_second(sandbox, receiver):
    subscribe(sandbox, f"{receiver.base}/h")
    sandbox.set_webhook_faults(reorder=1.0)
    sandbox.mutate(order_ids=[order_of(sandbox, 1)["OrderID"]])
    (delivery,) = settle(sandbox, 1)
    assert delivery["state"] == "sent" and delivery["sent_at"] - delivery["planned_at"] >= 1.0


def test_delay_and_the_receivers_failures_are_recorded_not_retried(sandbox, receiver):
    subscribe(sandbox, f"{receiver.base}/slow")
    subscribe(sandbox, f"{receiver.base}/fail/h")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{s.getsockname()[1]}/h"
    subscribe(sandbox, refused)
    sandbox.store.control({"webhooks": {"delay": [0.5, 0.6]}})
    sandbox.mutate(order_ids=[order_of(sandbox, 1)["OrderID"]])
    deliveries = settle(sandbox, 3)
    by_url = {d["url"]: d for d in deliveries}
    slow = by_url[f"{receiver.base}/slow"]
    assert slow["state"] == "sent" and slow["sent_at"] - slow["planned_at"] >= 0.5
    arrived = next(t for t, path, _ in receiver.got if path == "/slow")
    assert arrived - slow["planned_at"] >= 0.5
    assert by_url[f"{receiver.base}/fail/h"]["state"] == "failed"
    assert by_url[f"{receiver.base}/fail/h"]["http_status"] == 500
    assert by_url[refused]["state"] == "failed" and "refused" in by_url[refused]["error"]
    # Not retried: one delivery per subscription in the sandbox's log (all settled), one request received.
    assert sorted(d["url"] for d in deliveries) == sorted(by_url) and len(deliveries) == 3
    assert receiver.paths().count("/fail/h") == 1


def test_faults_are_checked_and_seeded(sandbox_factory):
    store = sandbox_factory(orders=5).store
    with pytest.raises(ValueError):
        store.set_webhook_faults(loss=1.5)
    with pytest.raises(ValueError):
        store.set_webhook_faults(delay=[2, 1])
    assert store.set_webhook_faults(delay=2)["delay"] == [2.0, 2.0]
    assert _delay("0.5..2") == (0.5, 2.0) and _delay("3") == (3.0, 3.0)
    answer = requests.post(
        sandbox_factory(orders=5).base_url + "/_sandbox/control", json={"webhooks": {"loss": 7}}, timeout=5
    )
    assert answer.status_code == 400 and "webhook_loss" in answer.json()["error"]
