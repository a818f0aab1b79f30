"""A hostile webhook receiver (issue 14): a huge or dripping answer costs a few KB and a bounded time."""

import socket
import threading

import pytest

from outbox.services import outbox_relay
from webhooks import services
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_emit, webhook_subscription_create


class FloodingReceiver:
    """Answers 200 with a body of `size` bytes (or one byte every `drip` seconds) and counts what the
    client let it send before hanging up."""

    def __init__(self, size: int, drip: float | None = None):
        self.sent = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        self.size, self.drip = size, drip
        self.done = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        import time

        conn, _ = self.listener.accept()
        conn.settimeout(30)
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {self.size}\r\n\r\n".encode())
        block = b"x" * (1 if self.drip else 65536)
        try:
            while self.sent < self.size:
                conn.sendall(block)
                self.sent += len(block)
                if self.drip:
                    time.sleep(self.drip)
        except OSError:
            pass
        finally:
            conn.close()
            self.listener.close()
            self.done.set()


def deliver(tenant, url):
    webhook_subscription_create(tenant=tenant, url=url, events=["order.updated"])
    webhook_emit(tenant=tenant, event="order.updated", payload={"id": 1})
    outbox_relay(limit=10)
    return WebhookDelivery.objects.get()


@pytest.mark.django_db
def test_a_huge_answer_is_not_read(tenant_a):
    receiver = FloodingReceiver(size=256 * 1024 * 1024)
    delivery = deliver(tenant_a, receiver.url)
    assert receiver.done.wait(30)
    assert delivery.state == "delivered" and delivery.response_excerpt.startswith("xxx")
    # The client hung up after a few KB: what the server got out is what the socket buffers held.
    assert receiver.sent < 64 * 1024 * 1024


@pytest.mark.django_db
def test_a_dripping_answer_is_cut_off_at_the_deadline(tenant_a, monkeypatch):
    monkeypatch.setattr(services, "WEBHOOK_DEADLINE_SECONDS", 1.5)  # room to connect on a loaded machine
    receiver = FloodingReceiver(size=10_000, drip=0.05)
    delivery = deliver(tenant_a, receiver.url)
    assert delivery.state == "delivered"
    assert 0 < len(delivery.response_excerpt) < 100  # 1.5 s of one byte per 50 ms, not the 10,000 bytes
