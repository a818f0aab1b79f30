"""The Awaiting Shipment tab's "Partially shipped" filter, its badge, and the list's query count."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order, Shipping
from tests.factories import make_detailed_order


def _page(client, **params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("portal:order_list"), {"status": "awaiting_shipment", **params})
    assert response.status_code == 200
    return response, len(ctx.captured_queries)


def test_the_filter_lists_only_partially_shipped_orders_with_their_badge(alice_client, store_a):
    whole = make_detailed_order(store_a, number="A-WHOLE")
    part = make_detailed_order(store_a, number="A-PART")
    Order.objects.filter(pk=part.pk).update(shipping=Shipping.PARTIAL)  # as shipment_create leaves it
    response, _ = _page(alice_client, partially_shipped="true")
    body = response.content.decode()
    assert [o.pk for o in response.context["orders"]] == [part.pk]
    assert "#A-PART" in body and "#A-WHOLE" not in body
    assert 'id="partially-shipped-filter"' in body and "badge-amber" in body
    response, _ = _page(alice_client)
    assert {o.pk for o in response.context["orders"]} == {part.pk, whole.pk}
    assert response.context["partially_shipped_count"] == 1
    # The filter belongs to the Awaiting Shipment tab: elsewhere it is ignored.
    other = alice_client.get(reverse("portal:order_list"), {"partially_shipped": "true"})
    assert {o.pk for o in other.context["orders"]} == {part.pk, whole.pk}


def test_the_filter_and_the_badges_cost_no_extra_query(alice_client, store_a):
    for i in range(30):
        order = make_detailed_order(store_a, number=f"A-{i}")
        if i % 2:
            Order.objects.filter(pk=order.pk).update(shipping=Shipping.PARTIAL)
    _page(alice_client)  # the first request also writes the session's tenant
    _, plain = _page(alice_client)
    _, filtered = _page(alice_client, partially_shipped="true")
    assert filtered == plain
    for i in range(30, 60):
        make_detailed_order(store_a, number=f"A-{i}", shipping=Shipping.PARTIAL)
    assert _page(alice_client, partially_shipped="true")[1] == plain


def test_another_tenant_s_partially_shipped_orders_are_not_counted(alice_client, store_b):
    make_detailed_order(store_b, number="B-PART", shipping=Shipping.PARTIAL)
    response, _ = _page(alice_client, partially_shipped="true")
    assert response.context["partially_shipped_count"] == 0 and not response.context["orders"]
