"""Issue 30's API: /api/v1/tags/, /api/v1/presets/, /api/v1/rules/ (preview, reorder), the orders' `?tag=`,
their tags and choices, tagging and presets on a selection, re-applying the rules; tenant scoping (outsiders get
404 or nothing), read-only keys, a malformed rule refused with the field named; webhooks' payloads unchanged."""

from __future__ import annotations

import pytest
from django.utils import timezone

from api.serializers import OrderDetailSerializer
from carriers.services import carrier_account_create
from orders.models import OrderEvent, OrderTag, Rule
from orders.rules import services as rules
from tests.factories import make_order


@pytest.fixture
def graph(tenant_a, store_a, order_a):
    account = carrier_account_create(tenant=tenant_a, carrier="UPS", client_id="id", client_secret="s")
    preset = rules.preset_save(tenant=tenant_a, name="Small UPS", carrier_account=account, service="ups_ground")
    tag = rules.tag_save(tenant=tenant_a, name="gift", color="red")
    rule = rules.rule_save(
        tenant=tenant_a,
        name="All gifts",
        conditions=[{"field": "gift", "op": "is", "value": True}],
        actions=[{"type": "add_tags", "tags": [tag.pk]}],
    )
    return {"account": account, "preset": preset, "tag": tag, "rule": rule, "order": order_a}


def test_tags_presets_and_rules_are_listed_for_their_tenant_only(api_a, api_b, graph):
    for path, name in (("tags", "gift"), ("presets", "Small UPS"), ("rules", "All gifts")):
        assert [r["name"] for r in api_a.get(f"/api/v1/{path}/").json()["results"]] == [name]
        assert api_b.get(f"/api/v1/{path}/").json()["results"] == []


def test_an_outsider_cannot_read_an_orders_choices(api_b, graph):
    assert api_b.get(f"/api/v1/orders/{graph['order'].pk}/choices/").status_code == 404


@pytest.mark.parametrize("path", ["tags", "presets", "rules"])
@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_outsider_gets_404(api_b, graph, path, method):
    pk = {"tags": graph["tag"], "presets": graph["preset"], "rules": graph["rule"]}[path].pk
    assert getattr(api_b, method)(f"/api/v1/{path}/{pk}/", {}, format="json").status_code == 404


def test_an_outsider_cannot_tag_preset_or_reapply_another_tenants_orders(api_b, tenant_b, graph):
    theirs = rules.tag_save(tenant=tenant_b, name="theirs")
    order = graph["order"]
    response = api_b.post("/api/v1/orders/tags/", {"orders": [order.pk], "add": [theirs.pk]}, format="json")
    assert response.status_code == 200 and response.json() == {"orders": 0}
    response = api_b.post("/api/v1/orders/reapply-rules/", {"orders": [order.pk]}, format="json")
    assert response.json() == {"changed": 0, "unchanged": 0, "skipped": 0}
    response = api_b.post("/api/v1/orders/preset/", {"orders": [order.pk], "preset": graph["preset"].pk}, format="json")
    assert response.status_code == 400  # another tenant's preset does not exist for them
    assert not OrderTag.objects.exists() and not OrderEvent.objects.filter(order=order).exists()
    rule = {"name": "x", "conditions": [], "actions": [{"type": "add_tags", "tags": [graph["tag"].pk]}]}
    response = api_b.post("/api/v1/rules/", rule, format="json")
    assert response.status_code == 400 and "no such tag" in response.json()["error"]["message"]


def test_a_malformed_rule_is_refused_with_the_field_named(api_a, graph):
    body = {
        "name": "Broken",
        "conditions": [{"field": "wieght", "op": "lt", "value": 1}],
        "actions": [{"type": "add_tags", "tags": [graph["tag"].pk]}],
    }
    response = api_a.post("/api/v1/rules/", body, format="json")
    assert response.status_code == 400
    assert "“wieght” is not a field" in response.json()["error"]["details"]["conditions"][0]
    assert Rule.objects.count() == 1


def test_tagging_filtering_and_the_choices_on_the_order(api_a, store_a, graph):
    order, other = graph["order"], make_order(store_a)
    tag = graph["tag"]
    response = api_a.post("/api/v1/orders/tags/", {"orders": [order.pk], "add": [tag.pk]}, format="json")
    assert response.json() == {"orders": 1}
    listed = api_a.get(f"/api/v1/orders/?tag={tag.pk}").json()
    assert [o["id"] for o in listed["results"]] == [order.pk] and listed["results"][0]["tags"] == [tag.pk]
    assert {o["id"] for o in api_a.get("/api/v1/orders/").json()["results"]} == {order.pk, other.pk}
    detail = api_a.get(f"/api/v1/orders/{order.pk}/choices/").json()
    assert detail["tags"] == [tag.pk] and detail["choices"]["tags"][str(tag.pk)]["by"] == "person"
    assert "tags" not in api_a.get(f"/api/v1/orders/{order.pk}/").json()  # the detail is the webhooks' payload
    response = api_a.post(
        "/api/v1/orders/preset/", {"orders": [order.pk, other.pk], "preset": graph["preset"].pk}, format="json"
    )
    assert response.json() == {"orders": 2}
    assert api_a.get(f"/api/v1/orders/{other.pk}/choices/").json()["shipping_preset"] == graph["preset"].pk


def test_webhook_payloads_are_unchanged(graph):
    fields = set(OrderDetailSerializer(graph["order"]).data)
    assert not fields & {"tags", "choices", "shipping_preset", "rules_error"}


def test_reapply_and_preview(api_a, store_a, graph):
    gift = make_order(store_a, is_gift=True, order_date=timezone.now())
    response = api_a.post("/api/v1/orders/reapply-rules/", {"orders": [gift.pk, graph["order"].pk]}, format="json")
    assert response.json() == {"changed": 1, "unchanged": 1, "skipped": 0}
    assert list(OrderTag.objects.values_list("order_id", flat=True)) == [gift.pk]
    body = {
        "name": "Gifts",
        "conditions": [{"field": "gift", "op": "is", "value": True}],
        "actions": [{"type": "preset", "preset": graph["preset"].pk}],
    }
    found = api_a.post("/api/v1/rules/preview/", body, format="json").json()
    assert found["matched"] == 1 and [o["id"] for o in found["sample"]] == [gift.pk]


def test_a_read_only_key_cannot_write(api_a_read, graph):
    assert api_a_read.post("/api/v1/tags/", {"name": "x"}, format="json").status_code == 403
    response = api_a_read.post("/api/v1/orders/tags/", {"orders": [graph["order"].pk], "add": [1]}, format="json")
    assert response.status_code == 403


def test_reorder(api_a, tenant_a, graph):
    second = rules.rule_save(
        tenant=tenant_a, name="Second", conditions=[], actions=[{"type": "add_tags", "tags": [graph["tag"].pk]}]
    )
    assert api_a.post("/api/v1/rules/reorder/", {"ids": [second.pk]}, format="json").status_code == 204
    assert [r["name"] for r in api_a.get("/api/v1/rules/").json()["results"]] == ["Second", "All gifts"]


def test_mark_orders_for_a_person_and_filter_by_person_and_preset(api_a, api_b, store_a, tenant_a, alice, graph):
    from tests.factories import make_user

    order, other = graph["order"], make_order(store_a)
    response = api_a.post("/api/v1/orders/assignee/", {"orders": [order.pk], "assignee": alice.pk}, format="json")
    assert response.status_code == 200 and response.json() == {"orders": 1}
    listed = api_a.get(f"/api/v1/orders/?assignee={alice.pk}").json()["results"]
    assert [(o["id"], o["assignee"]) for o in listed] == [(order.pk, alice.pk)]
    choices = api_a.get(f"/api/v1/orders/{order.pk}/choices/").json()
    assert choices["assignee"] == alice.pk and choices["choices"]["assignee"]["by"] == "person"
    rules.orders_preset_set(tenant=tenant_a, orders=[other], preset=graph["preset"], actor="x")
    listed = api_a.get(f"/api/v1/orders/?shipping_preset={graph['preset'].pk}").json()["results"]
    assert [o["id"] for o in listed] == [other.pk]
    # Not a member: refused, nothing changed; null: nobody.
    stranger = make_user()
    response = api_a.post("/api/v1/orders/assignee/", {"orders": [other.pk], "assignee": stranger.pk}, format="json")
    assert response.status_code == 400 and "No such person" in response.json()["error"]["message"]
    response = api_a.post("/api/v1/orders/assignee/", {"orders": [order.pk], "assignee": None}, format="json")
    assert (
        response.json() == {"orders": 1} and api_a.get(f"/api/v1/orders/{order.pk}/choices/").json()["assignee"] is None
    )
    # An outsider: marks none of tenant A's orders, finds none by A's person.
    response = api_b.post("/api/v1/orders/assignee/", {"orders": [order.pk], "assignee": None}, format="json")
    assert response.json() == {"orders": 0}
    assert api_b.get(f"/api/v1/orders/?assignee={alice.pk}").json()["results"] == []


def test_a_read_only_key_cannot_mark_orders(api_a_read, graph):
    response = api_a_read.post(
        "/api/v1/orders/assignee/", {"orders": [graph["order"].pk], "assignee": None}, format="json"
    )
    assert response.status_code == 403
