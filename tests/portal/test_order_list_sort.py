"""The order list's sorts (Awaiting Shipment oldest first by default), tab counts that follow the
filters, and a pager that shows the total and the page size."""

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import OrderStatus
from stores.models import Storefront
from tests.factories import make_detailed_order as make_order

from .test_orders import _bulk_orders


def _numbers(response):
    return [o.number for o in response.context["orders"]]


def _three(store):
    now = timezone.now()
    fronts = [Storefront.objects.create(store=store, name=name) for name in ["Zeta shop", "Alpha shop", "Mid shop"]]
    make_order(
        store,
        number="OLD",
        order_date=now - dt.timedelta(days=3),
        shipping_method="UPS Ground",
        order_total=Decimal("10.00"),
        storefront=fronts[0],
    )
    make_order(
        store,
        number="MID",
        order_date=now - dt.timedelta(days=2),
        shipping_method="FedEx 2Day",
        order_total=Decimal("99.00"),
        storefront=fronts[1],
    )
    make_order(
        store,
        number="NEW",
        order_date=now - dt.timedelta(days=1),
        shipping_method="USPS Priority",
        order_total=Decimal("50.00"),
        storefront=fronts[2],
    )


def test_awaiting_shipment_is_oldest_first_and_other_tabs_keep_newest_first(alice_client, store_a):
    _three(store_a)
    url = reverse("portal:order_list")
    assert _numbers(alice_client.get(url, {"status": "awaiting_shipment"})) == ["OLD", "MID", "NEW"]
    assert _numbers(alice_client.get(url)) == ["NEW", "MID", "OLD"]


def test_awaiting_shipment_sorts_by_service_storefront_and_total(alice_client, store_a):
    _three(store_a)
    url = reverse("portal:order_list")
    expected = {
        "service": ["MID", "OLD", "NEW"],
        "storefront": ["MID", "NEW", "OLD"],
        "total": ["MID", "NEW", "OLD"],
        "newest": ["NEW", "MID", "OLD"],
        "oldest": ["OLD", "MID", "NEW"],
    }
    for sort, numbers in expected.items():
        assert _numbers(alice_client.get(url, {"status": "awaiting_shipment", "sort": sort})) == numbers, sort


def test_sort_control_has_a_label_and_an_unknown_sort_falls_back_to_the_default(alice_client, store_a):
    _three(store_a)
    response = alice_client.get(reverse("portal:order_list"), {"status": "awaiting_shipment", "sort": "bogus"})
    assert response.status_code == 200
    assert _numbers(response) == ["OLD", "MID", "NEW"]
    assert '<label for="id_sort">' in response.content.decode()


def test_tab_counts_and_pager_total_follow_the_filters(alice_client, store_a, tenant_a):
    from tests.factories import make_store

    other = make_store(tenant_a, name="Second")
    make_order(store_a, number="A-1")
    make_order(store_a, number="A-2", status=OrderStatus.SHIPPED)
    make_order(other, number="O-1")
    make_order(other, number="O-2")
    url = reverse("portal:order_list")
    response = alice_client.get(url, {"store": store_a.pk, "status": "awaiting_shipment"})
    tabs = {code: n for code, _label, n in response.context["tabs"]}
    assert tabs[""] == 2 and tabs["awaiting_shipment"] == 1 and tabs["shipped"] == 1
    assert response.context["total"] == 1
    response = alice_client.get(url, {"q": "O-2"})
    assert {code: n for code, _label, n in response.context["tabs"]}[""] == 1
    old = (timezone.now() - dt.timedelta(days=30)).date().isoformat()
    assert {c: n for c, _l, n in alice_client.get(url, {"date_to": old}).context["tabs"]}[""] == 0


def test_pager_shows_total_pages_and_page_size(alice_client, store_a):
    _bulk_orders(store_a, 120)
    body = alice_client.get(reverse("portal:order_list"), {"status": "awaiting_shipment", "page": 2}).content.decode()
    assert "Page 2 of 3 · 120 orders · 50 per page" in body


def _queries(client, **params):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("portal:order_list"), params).status_code == 200
    return len(ctx.captured_queries)


def test_sorted_list_queries_do_not_grow_with_orders(alice_client, store_a):
    params = {"status": "awaiting_shipment", "sort": "storefront", "q": "B"}
    _bulk_orders(store_a, 20)
    _queries(alice_client, **params)  # the first request also writes the session's tenant
    small = _queries(alice_client, **params)
    _bulk_orders(store_a, 480, start=20)
    assert _queries(alice_client, **params) == small
