"""The sandbox's `/api/v1/webhooks` (docs/webhooks.md): subscriptions kept in the store's truth, with the same
list, paging and error conventions as the REST face's other resources (tests/conftest.py validates every
answer here against acapi.yaml with fix-up 8)."""

from __future__ import annotations

import requests

HOOK = {
    "event_type": "NewOrder",
    "url": "https://outbound.example/hooks/americommerce/abc/",
    "failure_type": "Ignore",
    "store_id": 1,
    "cache_length": "NoCache",
    "fallback_url": None,
}


def call(sandbox, method, path="/webhooks", token=None, **kwargs):
    headers = {"X-AC-Auth-Token": sandbox.rest_token if token is None else token}
    return requests.request(method, sandbox.rest_base_url + path, headers=headers, timeout=10, **kwargs)


def test_create_read_update_delete_and_the_truth(sandbox):
    created = call(sandbox, "POST", json=HOOK)
    assert created.status_code == 200
    hook = created.json()
    assert isinstance(hook["id"], int) and {k: hook[k] for k in HOOK} == HOOK
    second = call(sandbox, "POST", json={**HOOK, "event_type": "OrderUpdated", "store_id": 2}).json()
    assert second["id"] != hook["id"]

    assert call(sandbox, "GET", f"/webhooks/{hook['id']}").json() == hook
    listed = call(sandbox, "GET").json()
    assert listed["total_count"] == 2 and [h["id"] for h in listed["webhooks"]] == [hook["id"], second["id"]]
    assert call(sandbox, "GET", params={"event_type": "OrderUpdated"}).json()["webhooks"] == [second]

    changed = call(sandbox, "PUT", f"/webhooks/{hook['id']}", json={"url": "https://elsewhere.example/h"})
    assert changed.status_code == 200
    assert changed.json() == {**hook, "url": "https://elsewhere.example/h"}

    truth = sandbox.truth(include_orders=False)["webhooks"]["subscriptions"]
    assert [(h["id"], h["url"], h["store_id"]) for h in truth] == [
        (hook["id"], "https://elsewhere.example/h", 1),
        (second["id"], HOOK["url"], 2),
    ]

    assert call(sandbox, "DELETE", f"/webhooks/{hook['id']}").status_code == 200
    assert call(sandbox, "GET", f"/webhooks/{hook['id']}").status_code == 404
    assert call(sandbox, "DELETE", f"/webhooks/{hook['id']}").status_code == 404
    assert call(sandbox, "PUT", f"/webhooks/{hook['id']}", json={"url": "https://x.example/"}).status_code == 404
    assert [h["id"] for h in sandbox.truth(include_orders=False)["webhooks"]["subscriptions"]] == [second["id"]]


def test_paging_like_the_other_resources(sandbox):
    for n in range(5):
        assert call(sandbox, "POST", json={**HOOK, "url": f"https://h.example/{n}"}).status_code == 200
    first = call(sandbox, "GET", params={"count": 2}).json()
    assert first["total_count"] == 5 and len(first["webhooks"]) == 2 and "next_page" in first
    second = requests.get(first["next_page"], headers={"X-AC-Auth-Token": sandbox.rest_token}, timeout=10).json()
    assert [h["url"] for h in second["webhooks"]] == ["https://h.example/2", "https://h.example/3"]
    assert call(sandbox, "GET", params={"count": 2, "page": 9}).status_code == 404


def test_bad_subscriptions_get_a_clear_400_and_change_nothing(sandbox):
    for bad, words in (
        ({**HOOK, "event_type": "OrderPlace"}, "event_type"),
        ({**HOOK, "url": "ftp://x.example/"}, "url"),
        ({k: v for k, v in HOOK.items() if k != "url"}, "url is required"),
        ({**HOOK, "store_id": 99}, "store_id"),
        ({**HOOK, "failure_type": "Fallback"}, "fallback_url"),
        ({**HOOK, "cache_length": "Forever"}, "cache_length"),
        ({**HOOK, "colour": "red"}, "colour"),
    ):
        answer = call(sandbox, "POST", json=bad)
        assert answer.status_code == 400 and words in answer.json()["details"], (bad, answer.text)
    assert call(sandbox, "POST", data=b"not json").status_code == 400
    hook = call(sandbox, "POST", json=HOOK).json()
    assert call(sandbox, "PUT", f"/webhooks/{hook['id']}", json={"store_id": 0}).status_code == 400
    assert call(sandbox, "GET", f"/webhooks/{hook['id']}").json() == hook
    assert call(sandbox, "GET", "/webhooks/nope").status_code == 404
    assert sandbox.truth(include_orders=False)["webhooks"]["subscriptions"] == [hook]


def test_webhooks_need_the_system_scope_and_a_token(sandbox):
    # The limited token has read_orders only (sandbox/rest/__init__.py); webhooks are the store's settings.
    assert call(sandbox, "GET", token="nope").status_code == 401
    refused = call(sandbox, "POST", token=sandbox.rest_limited_token, json=HOOK)
    assert refused.status_code == 403 and "system" in refused.json()["details"]
    assert call(sandbox, "GET", token=sandbox.rest_limited_token).status_code == 403
    orders_only = "orders-only-token"
    sandbox.store.control({"rest": {"tokens": {orders_only: ["orders", "read_orders"]}}})
    assert call(sandbox, "POST", token=orders_only, json=HOOK).status_code == 403
    assert sandbox.truth(include_orders=False)["webhooks"]["subscriptions"] == []
