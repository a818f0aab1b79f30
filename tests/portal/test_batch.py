"""Batch work on the order list: select, ship in one form, mark delivered, re-send; each order's outcome on
the result page; the same batch submitted twice does nothing twice; viewers and outsiders can do nothing."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order, OrderStatus
from outbox.models import OutboxMessage, OutboxState
from shipments.models import Batch, BatchItem, Shipment, ShipmentState
from tests.factories import make_order, make_shipment

from .test_orders import _bulk_orders


def _key(response) -> str:
    return re.search(r'name="batch_key" value="([0-9a-f]+)"', response.content.decode()).group(1)


def _open_ship_form(client, orders, **extra):
    return client.post(
        reverse("portal:orders_batch"),
        {"action": "ship", "order_ids": [o.pk for o in orders], "status": "awaiting_shipment", **extra},
    )


def _ship(client, orders, key, tracking, **extra):
    data = {
        "batch_key": key,
        "carrier": "UPS",
        "service": "Ground",
        "ship_date": "2026-11-30",
        "notify_buyer": "on",
        "order_ids": [o.pk for o in orders],
        "status": "awaiting_shipment",
        **extra,
    }
    for order, number in zip(orders, tracking, strict=False):
        data[f"tracking_{order.pk}"] = number
    return client.post(reverse("portal:orders_batch_ship"), data)


def test_list_shows_checkboxes_and_actions_to_members_not_to_viewers(alice_client, bob_client, store_a):
    make_order(store_a)
    page = alice_client.get(reverse("portal:order_list"), {"status": "awaiting_shipment"}).content.decode()
    assert 'id="batch-form"' in page and 'name="order_ids"' in page and 'id="select-all-matching"' in page
    assert 'name="status" value="awaiting_shipment"' in page  # "all matching" posts the list's filters
    viewer = bob_client.get(reverse("portal:order_list")).content.decode()
    assert "batch-form" not in viewer and 'name="order_ids"' not in viewer and "batch-ship" not in viewer


def test_ship_selected_ships_each_order_once_even_when_submitted_twice(alice_client, store_a):
    orders = [make_order(store_a) for _ in range(3)]
    form = _open_ship_form(alice_client, orders)
    assert form.status_code == 200
    key = _key(form)
    done = _ship(alice_client, orders, key, ["1ZA1", "1ZA2", ""])
    assert done.status_code == 302
    batch = Batch.objects.get(key=key)
    assert done["Location"] == reverse("portal:batch_result", args=[batch.pk])
    assert Shipment.objects.filter(order__in=orders).count() == 3
    assert sorted(Shipment.objects.values_list("tracking_number", flat=True)) == ["", "1ZA1", "1ZA2"]
    assert {o.status for o in Order.objects.filter(pk__in=[o.pk for o in orders])} == {OrderStatus.SHIPPED}

    again = _ship(alice_client, orders, key, ["1ZA1", "1ZA2", ""])
    assert again["Location"] == done["Location"]
    assert Shipment.objects.filter(order__in=orders).count() == 3
    result = alice_client.get(done["Location"]).content.decode()
    assert result.count('data-outcome="shipped"') == 3 and 'id="batch-resubmitted"' in result

    # A new form for the same orders: nothing is left to ship, each says so.
    fresh = _ship(alice_client, orders, _key(_open_ship_form(alice_client, orders)), ["X1", "X2", "X3"])
    assert Shipment.objects.filter(order__in=orders).count() == 3
    assert alice_client.get(fresh["Location"]).content.decode().count('data-outcome="already_shipped"') == 3


def test_each_refused_order_says_why_and_the_others_ship(alice_client, store_a, alice):
    ok = make_order(store_a, number="OK-1")
    held = make_order(store_a, number="HELD-1", status=OrderStatus.ON_HOLD)
    shipped = make_order(store_a, number="DONE-1")
    make_shipment(shipped, tracking_number="OLD")
    bad = make_order(store_a, number="BAD-1")
    orders = [ok, held, shipped, bad]
    key = _key(_open_ship_form(alice_client, orders))
    response = _ship(alice_client, orders, key, ["1ZOK", "1ZHELD", "1ZDONE", "1Z 12,3"])
    outcomes = dict(BatchItem.objects.filter(batch__key=key).values_list("order_number", "outcome"))
    assert outcomes == {
        "OK-1": "shipped",
        "HELD-1": "blocked",
        "DONE-1": "already_shipped",
        "BAD-1": "invalid_tracking",
    }
    assert not Shipment.objects.filter(order__in=[held, bad]).exists()
    assert Shipment.objects.filter(order=shipped).count() == 1
    page = alice_client.get(response["Location"]).content.decode()
    assert (
        "Order HELD-1 cannot be shipped: it is on hold." in page
        and "only letters and digits (spaces and dashes are removed)" in page
    )
    assert "already shipped" in page


def test_pasted_tracking_numbers_fill_the_empty_rows_in_order(alice_client, store_a):
    orders = [make_order(store_a) for _ in range(3)]
    key = _key(_open_ship_form(alice_client, orders))
    wrong = _ship(alice_client, orders, key, [], tracking_paste="T1\nT2\n")
    assert wrong.status_code == 400 and "2 tracking numbers pasted for 3 orders" in wrong.content.decode()
    assert not Shipment.objects.exists()
    _ship(alice_client, orders, key, ["", "OWN-2", ""], tracking_paste="T1\n\nT3\n")
    assert dict(Shipment.objects.values_list("order_id", "tracking_number")) == {
        orders[0].pk: "T1",
        orders[1].pk: "OWN2",  # the dash a label prints is removed (issue 25 item 2)
        orders[2].pk: "T3",
    }


def test_per_row_carrier_and_service_override_the_shared_ones(alice_client, store_a):
    orders = [make_order(store_a) for _ in range(2)]
    key = _key(_open_ship_form(alice_client, orders))
    _ship(
        alice_client,
        orders,
        key,
        ["A1", "A2"],
        **{f"carrier_{orders[1].pk}": "USPS", f"service_{orders[1].pk}": "Priority"},
    )
    assert dict(Shipment.objects.values_list("order_id", "carrier")) == {orders[0].pk: "UPS", orders[1].pk: "USPS"}
    assert Shipment.objects.get(order=orders[1]).service == "Priority"


def test_all_matching_selects_every_page_of_the_filtered_list(alice_client, store_a):
    _bulk_orders(store_a, 60)
    make_order(store_a, status=OrderStatus.ON_HOLD)
    form = alice_client.post(
        reverse("portal:orders_batch"), {"action": "ship", "all_matching": "1", "status": "awaiting_shipment"}
    )
    assert form.status_code == 200 and len(form.context["rows"]) == 60


def test_a_batch_above_the_limit_is_refused_in_words(alice_client, store_a, monkeypatch):
    from shipments import batch

    monkeypatch.setattr(batch, "MAX_BATCH", 5)
    _bulk_orders(store_a, 6)
    response = alice_client.post(reverse("portal:orders_batch"), {"action": "ship", "all_matching": "1"}, follow=True)
    assert "A batch takes at most 5 orders" in response.content.decode()


def test_mark_delivered_and_resend(alice_client, store_a, alice):
    shipped = make_order(store_a, number="S-1")
    shipment = make_shipment(shipped, tracking_number="T-1")
    waiting = make_order(store_a, number="W-1")
    confirm = alice_client.post(
        reverse("portal:orders_batch"), {"action": "deliver", "order_ids": [shipped.pk, waiting.pk]}
    )
    assert confirm.status_code == 200 and "batch-confirm" in confirm.content.decode()
    data = {"action": "deliver", "batch_key": _key(confirm), "order_ids": [shipped.pk, waiting.pk]}
    alice_client.post(reverse("portal:orders_batch_apply"), data)
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.DELIVERED
    outcomes = dict(BatchItem.objects.values_list("order_number", "outcome"))
    assert outcomes == {"S-1": "delivered", "W-1": "not_shipped"}

    OutboxMessage.objects.filter(ref=f"shipment:{shipment.pk}").update(state=OutboxState.FAILED)
    Shipment.objects.filter(pk=shipment.pk).update(store_update_state=OutboxState.FAILED)
    confirm = alice_client.post(reverse("portal:orders_batch"), {"action": "resend", "order_ids": [shipped.pk]})
    alice_client.post(
        reverse("portal:orders_batch_apply"),
        {"action": "resend", "batch_key": _key(confirm), "order_ids": [shipped.pk]},
    )
    message = OutboxMessage.objects.get(ref=f"shipment:{shipment.pk}", kind="store_update")
    assert message.state == OutboxState.PENDING and message.attempts == 0


def test_viewer_gets_403_and_nothing_ships(bob_client, store_a):
    order = make_order(store_a)
    response = bob_client.post(reverse("portal:orders_batch"), {"action": "ship", "order_ids": [order.pk]})
    assert response.status_code == 403
    assert _ship(bob_client, [order], "k1", ["T"]).status_code == 403
    assert not Shipment.objects.exists()


def test_outsider_cannot_ship_or_see_another_tenants_orders(charlie_client, alice_client, store_a, store_b):
    order = make_order(store_a)
    response = _ship(charlie_client, [order], "k-outsider", ["T"])
    assert response.status_code == 302 and not Shipment.objects.exists()
    opened = charlie_client.post(
        reverse("portal:orders_batch"), {"action": "ship", "order_ids": [order.pk]}, follow=True
    )
    assert order.number not in opened.content.decode()
    key = _key(_open_ship_form(alice_client, [order]))
    result = _ship(alice_client, [order], key, ["T"])
    assert charlie_client.get(result["Location"]).status_code == 404


def _batch_page_queries(client, tenant, n) -> tuple[int, int, int]:
    ids = list(Order.objects.values_list("pk", flat=True)[:n])
    with CaptureQueriesContext(connection) as form_ctx:
        form = client.post(reverse("portal:orders_batch"), {"action": "ship", "order_ids": ids})
    assert form.status_code == 200 and len(form.context["rows"]) == n
    with CaptureQueriesContext(connection) as confirm_ctx:
        confirm = client.post(reverse("portal:orders_batch"), {"action": "deliver", "all_matching": "1"})
    assert len(confirm.context["orders"]) == n
    batch = Batch.objects.create(tenant=tenant, key=f"k{n}", kind="deliver")
    BatchItem.objects.bulk_create(
        BatchItem(batch=batch, ref=f"order:{pk}", position=i, order_id=pk, outcome="not_shipped")
        for i, pk in enumerate(ids)
    )
    with CaptureQueriesContext(connection) as result_ctx:
        client.get(reverse("portal:batch_result", args=[batch.pk]))
    return len(form_ctx.captured_queries), len(confirm_ctx.captured_queries), len(result_ctx.captured_queries)


def test_batch_pages_cost_the_same_queries_for_20_or_500_orders(alice_client, store_a, tenant_a):
    _bulk_orders(store_a, 20)
    alice_client.get(reverse("portal:order_list"))  # the first request writes the session's tenant
    small = _batch_page_queries(alice_client, tenant_a, 20)
    _bulk_orders(store_a, 480, start=20)
    assert _batch_page_queries(alice_client, tenant_a, 500) == small


def test_a_form_key_reused_for_another_action_is_refused_in_words(alice_client, store_a):
    order = make_order(store_a)
    key = _key(_open_ship_form(alice_client, [order]))
    _ship(alice_client, [order], key, ["1Z1"])
    response = alice_client.post(
        reverse("portal:orders_batch_apply"),
        {"action": "deliver", "batch_key": key, "order_ids": [order.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "This form was already used for another action" in response.content.decode()
    assert Batch.objects.get(key=key).kind == "ship"


def test_a_refused_store_filter_lists_nothing_and_select_all_matching_acts_on_nothing(alice_client, store_a, store_b):
    """Issue 25, item 41: charlie's store id on alice's list is refused with words; "select all matching"
    with it ships, marks delivered, prints and exports nothing (it acted on every order of the tenant)."""
    mine = [make_order(store_a, number=f"MINE-{i}") for i in range(2)]
    shipped = make_order(store_a, number="SHIPPED-1")
    make_shipment(shipped)  # shipped by Outbound: its status follows
    theirs = {"store": str(store_b.pk), "status": "awaiting_shipment"}

    page = alice_client.get(reverse("portal:order_list"), theirs).content.decode()
    assert "no store of this workspace" in page
    assert "MINE-0" not in page and "SHIPPED-1" not in page and 'name="order_ids"' not in page

    for action in ("ship", "deliver"):
        response = alice_client.post(reverse("portal:orders_batch"), {"action": action, "all_matching": "1", **theirs})
        assert response.status_code == 302 and "store=" in response["Location"], action
        followed = alice_client.get(response["Location"]).content.decode()
        assert "Nothing was done" in followed and "no store of this workspace" in followed
    every = {"store": str(store_b.pk), "all_matching": "1"}
    delivered = alice_client.post(reverse("portal:orders_batch"), {"action": "deliver", **every})
    assert delivered.status_code == 302 and "batch_key" not in delivered.content.decode()
    exported = alice_client.get(reverse("portal:orders_export"), {"store": str(store_b.pk)})
    assert exported.status_code == 302 and "Nothing was done" in alice_client.get(exported["Location"]).content.decode()
    printed = alice_client.post(reverse("portal:orders_pick_list"), every)
    assert printed.status_code == 302
    assert not Batch.objects.exists()
    assert Order.objects.filter(pk__in=[o.pk for o in mine], status=OrderStatus.AWAITING_SHIPMENT).count() == 2
    assert not Shipment.objects.filter(order__in=mine).exists()
    assert Shipment.objects.get(order=shipped).state == ShipmentState.SHIPPED  # not marked delivered


# --- issue 25 item 4: each row starts from its order's requested method; a default never teaches ----------


def _mixed_orders(store):
    from shipments.method_mapping import shipping_method_mapping_set

    shipping_method_mapping_set(store=store, requested_method="Ground saver", carrier="UPS", service="Ground")
    return [
        make_order(store, number="MAPPED-1", shipping_method="Ground saver"),
        make_order(store, number="NAMED-1", shipping_method="FedEx 2Day"),
        make_order(store, number="PLAIN-1", shipping_method="Free shipping"),
    ]


def _row(page, number):
    return re.search(
        rf"<tr class=\"batch-row[^\"]*\"[^>]*>\s*<th scope=\"row\"><a [^>]*>#{number}</a>.*?</tr>", page, re.S
    )


def test_batch_rows_start_from_the_method_mapping_and_flag_another_carrier(alice_client, store_a):
    mapped, named, plain = _mixed_orders(store_a)
    response = _open_ship_form(alice_client, [mapped, named, plain])
    form = response.context["form"]
    assert (form[f"carrier_{mapped.pk}"].value(), form[f"service_{mapped.pk}"].value()) == ("UPS", "Ground")
    assert form[f"carrier_{named.pk}"].value() in ("", None) and form[f"carrier_{plain.pk}"].value() in ("", None)
    page = response.content.decode()
    assert form["carrier"].value() != "FedEx"
    # The FedEx order would go with the default carrier: flagged; the mapped one and the one naming none: not.
    assert "carrier-differs" in _row(page, "NAMED-1").group(0)
    assert "Not the requested carrier (FedEx)" in _row(page, "NAMED-1").group(0)
    assert "carrier-differs" not in _row(page, "MAPPED-1").group(0)
    assert "carrier-differs" not in _row(page, "PLAIN-1").group(0)
    assert "No mapping yet: the default carrier" in _row(page, "PLAIN-1").group(0)
    assert "No mapping yet" not in _row(page, "MAPPED-1").group(0)


def test_a_batch_default_fills_unmapped_rows_and_never_teaches_the_mapping(alice_client, store_a):
    from shipments.models import ShippingMethodMapping

    orders = _mixed_orders(store_a)
    mapped, named, plain = orders
    form = _open_ship_form(alice_client, orders)
    data = {name: value for name, value in form.context["form"].initial.items() if name == "batch_key"}
    extra = {f"carrier_{mapped.pk}": "UPS", f"service_{mapped.pk}": "Ground"}  # as the form shows it
    response = _ship(
        alice_client, orders, data["batch_key"], ["T1", "T2", "T3"], carrier="USPS", service="Priority", **extra
    )
    assert response.status_code == 302
    shipped = {s.order.number: (s.carrier, s.service) for s in Shipment.objects.select_related("order")}
    assert shipped == {"MAPPED-1": ("UPS", "Ground"), "NAMED-1": ("USPS", "Priority"), "PLAIN-1": ("USPS", "Priority")}
    assert list(ShippingMethodMapping.objects.values_list("requested_method", "carrier", "service")) == [
        ("Ground saver", "UPS", "Ground")
    ]


def test_a_carrier_chosen_on_a_row_teaches_the_mapping_as_a_single_shipment_does(alice_client, store_a):
    from shipments.models import ShippingMethodMapping

    orders = _mixed_orders(store_a)
    mapped, named, plain = orders
    key = _key(_open_ship_form(alice_client, orders))
    extra = {
        f"carrier_{mapped.pk}": "UPS",
        f"service_{mapped.pk}": "Ground",
        f"carrier_{named.pk}": "FedEx",
        f"service_{named.pk}": "2Day",
        f"carrier_{plain.pk}": "DHL",  # its service comes from the default: the row does not teach
    }
    _ship(alice_client, orders, key, ["T1", "T2", "T3"], carrier="USPS", service="Priority", **extra)
    assert set(ShippingMethodMapping.objects.values_list("requested_method", "carrier", "service")) == {
        ("Ground saver", "UPS", "Ground"),
        ("FedEx 2Day", "FedEx", "2Day"),
    }
    assert Shipment.objects.get(order=plain).carrier == "DHL"
