"""The contract check itself: the vendor file is untouched, and the collector does find violations."""

from __future__ import annotations

import hashlib
import json

from tests.contract.acapi import SPEC_PATH, SPEC_SHA256
from tests.contract.collector import Collector


def test_the_vendor_file_is_byte_for_byte_as_published():
    assert hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest() == SPEC_SHA256


def exchange(path="/api/v1/orders", method="GET", status=200, body=None, request_body=b"", agent="Outbound/1.0"):
    return {
        "method": method,
        "url": "http://127.0.0.1:1" + path,
        "body": request_body,
        "headers": {"User-Agent": agent, "X-AC-Auth-Token": "t", "Content-Type": "application/json"},
        "status": status,
        "response_headers": {"Content-Type": "application/json"},
        "response_body": json.dumps(body if body is not None else {"total_count": 0, "orders": []}).encode(),
    }


def test_it_reports_answers_and_requests_that_break_the_file():
    collector = Collector()
    collector(exchange())  # fine
    collector(exchange(body={"total_count": "many", "orders": []}))  # total_count must be an integer
    collector(exchange(body={"total_count": 1, "orders": [{"id": 1, "items": [{"quantity": "two"}]}]}))
    collector(exchange(path="/api/v1/orders/1/ship", method="POST"))  # no such path in the file
    collector(
        exchange(
            path="/api/v1/order_shipments",
            method="POST",
            body={"id": 1},
            request_body=json.dumps({"order_id": "not a number"}).encode(),
        )
    )
    found = collector.drain()
    wheres = [(v.kind, v.where) for v in found]
    assert ("response", "GET /api/v1/orders -> 200") in wheres
    assert len([w for w in wheres if w == ("response", "GET /api/v1/orders -> 200")]) == 2
    assert any(kind == "request" and "/orders/1/ship" in where for kind, where in wheres)
    assert ("request", "POST /api/v1/order_shipments -> 200") in wheres
    assert collector.validated["response"] >= 1


def test_nulls_amounts_and_postal_codes_read_as_the_docs_show_them():
    collector = Collector()
    order = {
        "id": 1,
        "subtotal": 22.95,
        "shipping_total": 4.5,
        "from_subscription_id": None,
        "items": [{"id": 2, "price": 9.99, "weight": 1.25, "product_id": None}],
    }
    collector(exchange(body={"total_count": 1, "orders": [order]}))
    collector(
        exchange(
            path="/api/v1/order_addresses",
            body={"total_count": 1, "order_addresses": [{"id": 1, "postal_code": "SW1A 1AA"}]},
        )
    )
    assert collector.drain() == []


def test_webhook_subscriptions_are_validated_too():
    # Fix-up 8: /webhooks and /webhooks/{id} (docs/webhooks.md), absent from the file as published.
    collector = Collector()
    hook = {"id": 1, "event_type": "NewOrder", "url": "https://h.example/", "failure_type": "Ignore", "store_id": 1}
    collector(exchange(path="/api/v1/webhooks", body={"total_count": 1, "webhooks": [hook]}))
    collector(exchange(path="/api/v1/webhooks/1", method="PUT", body=hook, request_body=json.dumps(hook).encode()))
    assert collector.drain() == []
    collector(exchange(path="/api/v1/webhooks", body={"total_count": 1, "webhooks": [{**hook, "store_id": "one"}]}))
    collector(
        exchange(
            path="/api/v1/webhooks",
            method="POST",
            body=hook,
            request_body=json.dumps({**hook, "failure_type": "Sometimes"}).encode(),
        )
    )
    wheres = [(v.kind, v.where) for v in collector.drain()]
    assert ("response", "GET /api/v1/webhooks -> 200") in wheres
    assert ("request", "POST /api/v1/webhooks -> 200") in wheres
