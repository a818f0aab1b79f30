"""Issue 30 in the portal: the order list's tag filter and counts, its batch choices (tag, preset, re-apply), the
order page's choices and why, the rules editor (a malformed rule refused with the field named; the preview over
today's orders), tags and presets pages; an outsider's choices change nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from carriers.services import carrier_account_create
from orders.models import OrderTag, Rule
from orders.rules import services as rules
from tests.factories import make_order


@pytest.fixture
def setup(tenant_a, store_a):
    account = carrier_account_create(tenant=tenant_a, carrier="USPS", client_id="id", client_secret="s")
    return {
        "tag": rules.tag_save(tenant=tenant_a, name="vip", color="purple"),
        "preset": rules.preset_save(tenant=tenant_a, name="Small USPS", carrier_account=account, service="usps_ga"),
        "orders": [make_order(store_a, number=f"T-{i}", is_gift=i == 0, order_date=timezone.now()) for i in range(3)],
    }


def test_tag_filter_counts_and_batch_choices(alice_client, setup):
    tag, preset, orders = setup["tag"], setup["preset"], setup["orders"]
    url = reverse("portal:orders_choices")
    picked = [o.pk for o in orders[:2]]
    response = alice_client.post(url, {"order_ids": picked, "choice": "tag_add", "tag": tag.pk})
    assert response.status_code == 302
    assert set(OrderTag.objects.values_list("order_id", flat=True)) == set(picked)
    page = alice_client.get(reverse("portal:order_list"), {"tag": tag.pk})
    body = page.content.decode()
    assert page.context["total"] == 2 and "T-0" in body and "T-1" in body and "T-2" not in body
    assert [t[2] for t in page.context["tabs"] if t[0] == ""] == [2]
    alice_client.post(url, {"all_matching": "1", "tag": tag.pk, "choice": "preset", "preset": preset.pk})
    chosen = dict(type(orders[0]).objects.values_list("pk", "shipping_preset_id"))
    assert chosen == {orders[0].pk: preset.pk, orders[1].pk: preset.pk, orders[2].pk: None}  # the tag's orders
    alice_client.post(url, {"order_ids": [orders[0].pk], "choice": "tag_remove", "tag": tag.pk})
    assert set(OrderTag.objects.values_list("order_id", flat=True)) == {orders[1].pk}


def test_order_page_shows_the_choice_and_why(alice_client, tenant_a, setup):
    order = setup["orders"][0]
    rules.rule_save(
        tenant=tenant_a,
        name="Gifts",
        conditions=[{"field": "gift", "op": "is", "value": True}],
        actions=[{"type": "preset", "preset": setup["preset"].pk}, {"type": "add_tags", "tags": [setup["tag"].pk]}],
    )
    alice_client.post(reverse("portal:orders_choices"), {"order_ids": [order.pk], "choice": "reapply"})
    body = alice_client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    assert "Small USPS" in body and "by rule “Gifts”" in body and "vip" in body
    assert "Shipping preset “Small USPS” chosen by rule “Gifts”." in body


def test_the_method_mapping_chooses_the_preset_when_nothing_else_did(alice_client, tenant_a, store_a, setup):
    from shipments.method_mapping import shipping_method_mapping_set

    order = make_order(store_a, number="M-1", shipping_method="Cheap Shipping", order_date=timezone.now())
    shipping_method_mapping_set(store=store_a, requested_method="Cheap Shipping", carrier="USPS", service="usps_ga")
    alice_client.post(reverse("portal:orders_choices"), {"order_ids": [order.pk], "choice": "reapply"})
    order.refresh_from_db()
    assert order.shipping_preset == setup["preset"]
    body = alice_client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    assert "by the method mapping “Cheap Shipping” → USPS usps_ga" in body
    assert "Shipping preset “Small USPS” chosen by the method mapping “Cheap Shipping” → USPS usps_ga." in body
    # A person's choice wins over the mapping, and a re-apply keeps it.
    rules.orders_preset_set(tenant=tenant_a, orders=[order], preset=None, actor="alice")
    alice_client.post(reverse("portal:orders_choices"), {"order_ids": [order.pk], "choice": "reapply"})
    order.refresh_from_db()
    assert order.shipping_preset is None and order.choices["preset"]["by"] == "person"


def test_rules_editor_refuses_a_malformed_rule_and_previews(alice_client, setup):
    url = reverse("portal:rule_new")
    data = {
        "rule-name": "Broken",
        "rule-match": "all",
        "rule-enabled": "on",
        "cond-0-field": "wieght",
        "cond-0-op": "lt",
        "cond-0-value": "1",
        "rule-add_tags": [setup["tag"].pk],
    }
    response = alice_client.post(url, data)
    assert response.status_code == 400 and "“wieght” is not a field" in response.content.decode()
    assert response.context["row_errors"] == [
        "condition 1: field: “wieght” is not a field a rule can test (store, storefront, shipping_method, country, "
        "state, postal_code, residential, weight, item_count, order_total, sku, product, tag, buyer_note, gift)"
    ]
    # No action: refused in words, nothing stored.
    response = alice_client.post(url, {**data, "cond-0-field": "gift", "cond-0-op": "is", "rule-add_tags": []})
    assert response.status_code == 400 and "at least one action" in response.content.decode()
    response = alice_client.post(url, {**data, "cond-0-field": "weight", "cond-0-value": "heavy"})
    assert response.status_code == 400 and "condition 1 (weight): value: expected a number" in response.content.decode()
    assert not Rule.objects.exists()
    data.update({"cond-0-field": "gift", "cond-0-op": "is", "cond-0-value": "yes"})
    response = alice_client.post(url, {**data, "preview": "1"})
    assert response.context["preview"]["matched"] == 1 and "T-0" in response.content.decode()
    assert not Rule.objects.exists()
    response = alice_client.post(url, data)
    assert response.status_code == 302 and Rule.objects.get().name == "Broken"
    rule = Rule.objects.get()
    assert rule.conditions == [{"field": "gift", "op": "is", "value": True}]
    assert rule.actions == [{"type": "add_tags", "tags": [setup["tag"].pk]}]
    assert alice_client.get(reverse("portal:rule_index")).status_code == 200


def test_rules_editor_adds_and_removes_condition_rows_without_javascript(alice_client, alice, tenant_a, store_a, setup):
    """Every condition and action through the form's rows and fields, names for ids; "Add a condition" and
    "Remove" are plain POSTs that save nothing; the stored rule reads back as the same rows."""
    from orders.models import Product

    mug = Product.objects.create(store=store_a, sku="MUG", name="Mug")
    url = reverse("portal:rule_new")
    rows = [
        ("store", "is", store_a.name, "lb"),
        ("storefront", "is_not", "Outlet", "lb"),
        ("shipping_method", "contains", "ground", "lb"),
        ("country", "not_in", "CA, MX", "lb"),
        ("state", "in", "TX, NY", "lb"),
        ("postal_code", "starts_with", "78", "lb"),
        ("residential", "is", "no", "lb"),
        ("weight", "between", "1, 5", "oz"),
        ("item_count", "gte", "2", "lb"),
        ("order_total", "lt", "40.5", "lb"),
        ("sku", "matches", "GIFT-*", "lb"),
        ("product", "in", "mug", "lb"),
        ("tag", "has_not", "VIP", "lb"),
        ("buyer_note", "is", "yes", "lb"),
        ("gift", "is", "non", "lb"),
    ]
    data = {"rule-name": "Everything", "rule-match": "any", "rule-enabled": "on"}
    for i, (field, op, value, unit) in enumerate(rows):
        data.update({f"cond-{i}-field": field, f"cond-{i}-op": op, f"cond-{i}-value": value, f"cond-{i}-unit": unit})
    added = alice_client.post(url, {**data, "cond-add": "1"})
    assert added.status_code == 200 and len(added.context["rows"]) == len(rows) + 1 and not Rule.objects.exists()
    assert 'value="Everything"' in added.content.decode()  # the form as typed
    removed = alice_client.post(url, {**data, "cond-remove": "1"})
    assert [r.field for r in removed.context["rows"]] == [r[0] for r in rows if r[0] != "storefront"]
    actions = {
        "rule-preset": setup["preset"].pk,
        "rule-assignee": alice.pk,
        "rule-add_tags": [setup["tag"].pk],
        "rule-remove_tags": [setup["tag"].pk],
        "rule-hold": "until",
        "rule-hold_until": "2031-01-02",
        "rule-hold_reason": "customs",
        "rule-override_manual": "on",
    }
    response = alice_client.post(url, {**data, **actions})
    assert response.status_code == 302, response.context and response.context["row_errors"]
    rule = Rule.objects.get()
    assert rule.match == "any" and rule.override_manual
    assert rule.conditions == [
        {"field": "store", "op": "is", "value": store_a.pk},
        {"field": "storefront", "op": "is_not", "value": "Outlet"},
        {"field": "shipping_method", "op": "contains", "value": "ground"},
        {"field": "country", "op": "not_in", "value": ["CA", "MX"]},
        {"field": "state", "op": "in", "value": ["TX", "NY"]},
        {"field": "postal_code", "op": "starts_with", "value": "78"},
        {"field": "residential", "op": "is", "value": False},
        {"field": "weight", "op": "between", "value": ["1", "5"], "unit": "oz"},
        {"field": "item_count", "op": "gte", "value": "2"},
        {"field": "order_total", "op": "lt", "value": "40.5"},
        {"field": "sku", "op": "matches", "value": "GIFT-*"},
        {"field": "product", "op": "in", "value": [mug.pk]},
        {"field": "tag", "op": "has_not", "value": setup["tag"].pk},
        {"field": "buyer_note", "op": "is", "value": True},
        {"field": "gift", "op": "is", "value": False},
    ]
    assert rule.actions == [
        {"type": "preset", "preset": setup["preset"].pk},
        {"type": "assign", "user": alice.pk},
        {"type": "add_tags", "tags": [setup["tag"].pk]},
        {"type": "remove_tags", "tags": [setup["tag"].pk]},
        {"type": "hold", "until": "2031-01-02", "reason": "customs"},
    ]
    # The stored rule reads back as the same rows and fields; saved again unchanged, it stays the same.
    page = alice_client.get(reverse("portal:rule_edit", args=[rule.pk]))
    assert [(r.field, r.op, r.value) for r in page.context["rows"]][11:13] == [
        ("product", "in", "MUG"),
        ("tag", "has_not", "vip"),
    ]
    again = {"rule-name": "Everything", "rule-match": "any", "rule-enabled": "on"}
    for i, r in enumerate(page.context["rows"]):
        again.update(
            {f"cond-{i}-field": r.field, f"cond-{i}-op": r.op, f"cond-{i}-value": r.value, f"cond-{i}-unit": r.unit}
        )
    before = (rule.conditions, rule.actions)
    assert alice_client.post(reverse("portal:rule_edit", args=[rule.pk]), {**again, **actions}).status_code == 302
    rule.refresh_from_db()
    assert (rule.conditions, rule.actions) == before
    # A name that is no row of the workspace is refused with the condition and its field named.
    response = alice_client.post(url, {**data, **actions, "cond-12-value": "nope"})
    assert response.status_code == 400 and "condition 13 (tag): no tag named “nope”" in response.content.decode()
    assert Rule.objects.count() == 1


def test_tags_and_presets_pages(alice_client, setup):
    assert alice_client.post(reverse("portal:tag_index"), {"new-name": "rush", "new-color": "red"}).status_code == 302
    assert "rush" in alice_client.get(reverse("portal:tag_index")).content.decode()
    assert "Small USPS" in alice_client.get(reverse("portal:preset_index")).content.decode()
    response = alice_client.get(reverse("portal:tag_delete", args=[setup["tag"].pk]))
    assert response.status_code == 200 and "Delete this tag?" in response.content.decode()


def test_an_outsiders_choices_change_nothing(charlie_client, setup):
    ids = [o.pk for o in setup["orders"]]
    charlie_client.post(reverse("portal:orders_choices"), {"order_ids": ids, "choice": "reapply"})
    charlie_client.post(
        reverse("portal:orders_choices"), {"order_ids": ids, "choice": "tag_add", "tag": setup["tag"].pk}
    )
    assert not OrderTag.objects.exists()


def test_mark_for_a_person_by_hand_the_for_me_filter_and_a_rule_keeps_it(alice_client, alice, bob, tenant_a, setup):
    orders = setup["orders"]
    url = reverse("portal:orders_choices")
    response = alice_client.post(
        url, {"order_ids": [orders[0].pk, orders[1].pk], "choice": "assign", "assign_to": alice.pk}
    )
    assert response.status_code == 302
    assert {o.pk: o.assignee_id for o in type(orders[0]).objects.all()} == {
        orders[0].pk: alice.pk,
        orders[1].pk: alice.pk,
        orders[2].pk: None,
    }
    # The list's "for me" filter (and its counts), the row and the order page say who.
    page = alice_client.get(reverse("portal:order_list"), {"assignee": alice.pk})
    body = page.content.decode()
    assert page.context["total"] == 2 and "T-0" in body and "T-1" in body and "T-2" not in body
    assert 'id="filter-for-me"' in body and f"for {alice.username}" in body
    detail = alice_client.get(reverse("portal:order_detail", args=[orders[0].pk])).content.decode()
    assert "Marked for" in detail and f"by {alice.username}" in detail and f"Marked for {alice.username}." in detail
    # A rule that marks for someone else keeps the person's choice; one that overrides replaces it.
    rules.rule_save(tenant=tenant_a, name="Bob's", conditions=[], actions=[{"type": "assign", "user": bob.pk}])
    alice_client.post(url, {"order_ids": [o.pk for o in orders], "choice": "reapply"})
    assert {o.pk: o.assignee_id for o in type(orders[0]).objects.all()} == {
        orders[0].pk: alice.pk,
        orders[1].pk: alice.pk,
        orders[2].pk: bob.pk,
    }
    # Nobody, by hand: kept too.
    alice_client.post(url, {"order_ids": [orders[2].pk], "choice": "assign", "assign_to": ""})
    alice_client.post(url, {"order_ids": [orders[2].pk], "choice": "reapply"})
    orders[2].refresh_from_db()
    assert orders[2].assignee_id is None and orders[2].choices["assignee"]["by"] == "person"
    # Someone who is not a member is refused; a filter naming a non-member lists nothing and says why.
    from tests.factories import make_user

    stranger = make_user()
    response = alice_client.post(url, {"order_ids": [orders[2].pk], "choice": "assign", "assign_to": stranger.pk})
    orders[2].refresh_from_db()
    assert orders[2].assignee_id is None
    page = alice_client.get(reverse("portal:order_list"), {"assignee": stranger.pk})
    assert page.context["total"] == 0 and "names no member of this workspace" in page.content.decode()


def test_the_preset_filter(alice_client, tenant_a, setup):
    orders = setup["orders"]
    rules.orders_preset_set(tenant=tenant_a, orders=[orders[1]], preset=setup["preset"], actor="alice")
    page = alice_client.get(reverse("portal:order_list"), {"shipping_preset": setup["preset"].pk})
    assert page.context["total"] == 1 and [o.pk for o in page.context["orders"]] == [orders[1].pk]


def test_edit_a_tag_and_a_preset(alice_client, tenant_a, setup):
    tag, preset = setup["tag"], setup["preset"]
    url = reverse("portal:tag_edit", args=[tag.pk])
    page = alice_client.get(url)
    assert page.status_code == 200 and 'value="vip"' in page.content.decode()
    assert alice_client.post(url, {"edit-name": "VIP", "edit-color": "red"}).status_code == 302
    tag.refresh_from_db()
    assert (tag.name, tag.color) == ("VIP", "red")
    rules.tag_save(tenant=tenant_a, name="rush")
    response = alice_client.post(url, {"edit-name": "rush", "edit-color": "red"})
    assert response.status_code == 400 and "A tag of this name exists already." in response.content.decode()
    url = reverse("portal:preset_edit", args=[preset.pk])
    assert "usps_ga" in alice_client.get(url).content.decode()
    data = {
        "edit-name": "Small USPS",
        "edit-carrier_account": preset.carrier_account_id,
        "edit-service": "usps_ground_advantage",
        "edit-package": "",
        "edit-confirmation": "signature",
        "edit-insurance": "",
    }
    assert alice_client.post(url, data).status_code == 302
    preset.refresh_from_db()
    assert (preset.service, preset.confirmation) == ("usps_ground_advantage", "signature")
    response = alice_client.post(url, {**data, "edit-carrier_account": "999999"})
    assert response.status_code == 400
