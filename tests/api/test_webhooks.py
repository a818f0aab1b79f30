"""Webhooks: subscriptions, the signed delivery (checked with independent code), the log, the test event."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from outbox.models import OutboxMessage
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.services import webhook_emit, webhook_subscription_create


class Receiver:
    """A loopback HTTP server that records what it is sent."""

    def __init__(self, status=200):
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def verify(secret: str, header: str, body: bytes) -> bool:
    """The recipe from api/WEBHOOKS.md, written out independently of api.services."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def test_create_returns_the_secret_once(api_a, receiver):
    response = api_a.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["shipment.created"]}, format="json")
    assert response.status_code == 201 and response.json()["secret"].startswith("whsec_")
    assert "secret" not in api_a.get(f"/api/v1/webhooks/{response.json()['id']}/").json()


def test_unknown_event_is_a_400(api_a, receiver):
    response = api_a.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["order.eaten"]}, format="json")
    assert response.status_code == 400 and not WebhookSubscription.objects.exists()


def test_private_webhook_urls_are_refused(api_a, settings):
    settings.ALLOW_PRIVATE_STORE_HOSTS = False
    response = api_a.post(
        "/api/v1/webhooks/", {"url": "http://169.254.169.254/latest", "events": ["order.updated"]}, format="json"
    )
    assert response.status_code == 400 and "url" in response.json()["error"]["details"]


def test_event_is_delivered_signed_and_logged(tenant_a, receiver, django_capture_on_commit_callbacks):
    subscription, secret = webhook_subscription_create(tenant=tenant_a, url=receiver.url, events=["order.updated"])
    with django_capture_on_commit_callbacks(execute=True):
        webhook_emit(tenant=tenant_a, event="order.updated", payload={"id": 7, "number": "N7"})
    headers, body = receiver.requests[0]
    assert verify(secret, headers["Outbound-Signature"], body)
    assert json.loads(body)["data"] == {"id": 7, "number": "N7"} and json.loads(body)["event"] == "order.updated"
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.state == "delivered" and delivery.attempts == 1 and delivery.response_status == 200


def test_a_tampered_body_does_not_verify(tenant_a, receiver, django_capture_on_commit_callbacks):
    _, secret = webhook_subscription_create(tenant=tenant_a, url=receiver.url, events=["order.updated"])
    with django_capture_on_commit_callbacks(execute=True):
        webhook_emit(tenant=tenant_a, event="order.updated", payload={"total": "1.00"})
    headers, body = receiver.requests[0]
    assert not verify(secret, headers["Outbound-Signature"], body.replace(b"1.00", b"9.00"))


def test_only_subscribed_events_of_the_tenant_are_sent(tenant_a, tenant_b, receiver):
    webhook_subscription_create(tenant=tenant_a, url=receiver.url, events=["shipment.created"])
    webhook_subscription_create(tenant=tenant_b, url=receiver.url, events=["order.updated"])
    assert webhook_emit(tenant=tenant_a, event="order.updated", payload={}) == []
    assert len(webhook_emit(tenant=tenant_b, event="order.updated", payload={})) == 1


def test_a_failing_receiver_is_retried_through_the_outbox(tenant_a, django_capture_on_commit_callbacks):
    failing = Receiver(status=503)
    try:
        subscription, _ = webhook_subscription_create(tenant=tenant_a, url=failing.url, events=["order.updated"])
        with django_capture_on_commit_callbacks(execute=True):
            webhook_emit(tenant=tenant_a, event="order.updated", payload={})
    finally:
        failing.stop()
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.state == "pending" and delivery.attempts == 1 and "503" in delivery.error
    assert OutboxMessage.objects.get(kind="webhook").state == "pending"


def test_send_test_event(api_a, tenant_a, receiver, django_capture_on_commit_callbacks):
    subscription, secret = webhook_subscription_create(tenant=tenant_a, url=receiver.url, events=["order.updated"])
    with django_capture_on_commit_callbacks(execute=True):
        response = api_a.post(f"/api/v1/webhooks/{subscription.pk}/test/")
    assert response.status_code == 202
    headers, body = receiver.requests[0]
    assert json.loads(body)["event"] == "ping" and verify(secret, headers["Outbound-Signature"], body)
    log = api_a.get(f"/api/v1/webhook-deliveries/?subscription={subscription.pk}").json()["results"]
    assert log[0]["state"] == "delivered"


@pytest.mark.parametrize("method,suffix", [("get", ""), ("patch", ""), ("delete", ""), ("post", "test/")])
def test_outsider_gets_404(api_b, tenant_a, receiver, method, suffix):
    subscription, _ = webhook_subscription_create(tenant=tenant_a, url=receiver.url, events=["order.updated"])
    assert getattr(api_b, method)(f"/api/v1/webhooks/{subscription.pk}/{suffix}").status_code == 404


def test_outsider_cannot_read_the_delivery_log(api_b, tenant_a, receiver):
    subscription, _ = webhook_subscription_create(tenant=tenant_a, url=receiver.url, events=["order.updated"])
    delivery = webhook_emit(tenant=tenant_a, event="order.updated", payload={})[0]
    assert api_b.get(f"/api/v1/webhook-deliveries/{delivery.pk}/").status_code == 404
    assert api_b.get("/api/v1/webhook-deliveries/").json()["results"] == []


@pytest.mark.parametrize("method,suffix", [("patch", ""), ("delete", ""), ("post", "test/")])
def test_read_only_key_cannot_write(api_a_read, tenant_a, receiver, method, suffix):
    subscription, _ = webhook_subscription_create(tenant=tenant_a, url=receiver.url, events=["order.updated"])
    response = getattr(api_a_read, method)(
        f"/api/v1/webhooks/{subscription.pk}/{suffix}", {"is_active": False}, format="json"
    )
    assert response.status_code == 403
    assert WebhookSubscription.objects.get().is_active and not WebhookDelivery.objects.exists()


def test_read_only_key_cannot_subscribe(api_a_read, receiver):
    response = api_a_read.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["order.updated"]}, format="json")
    assert response.status_code == 403 and not WebhookSubscription.objects.exists()
