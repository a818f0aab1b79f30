"""The order list's counts and pages do not grow with the tenant's table (issue 26): each tab's badge and the
pager's total are counted up to LIST_COUNT_CAP ("10,000+"), and page numbers reach that far; past it the
list says to sort the other way or narrow the filters. Shown here with a cap of 5 and pages of 2."""

import pytest
from django.urls import reverse

from orders.models import OrderStatus

from .test_orders import _bulk_orders


@pytest.fixture
def small_cap(monkeypatch):
    import orders.selectors
    import portal.views.orders

    monkeypatch.setattr(portal.views.orders, "LIST_COUNT_CAP", 5)
    monkeypatch.setattr(orders.selectors, "LIST_COUNT_CAP", 5)  # the badges' "5+"
    monkeypatch.setattr(portal.views.orders, "PAGE_SIZE", 2)


def test_counts_stop_at_the_cap_and_say_so(alice_client, store_a, small_cap):
    _bulk_orders(store_a, 9)
    response = alice_client.get(reverse("portal:order_list"), {"status": "awaiting_shipment"})
    tabs = {code: n for code, _label, n in response.context["tabs"]}
    assert tabs["awaiting_shipment"] == 6 and tabs[""] == 6 and tabs[OrderStatus.SHIPPED] == 0  # cap + 1: "more"
    body = response.content.decode()
    assert '<span class="count">5+</span>' in body and '<span class="count">0</span>' in body
    assert "Page 1 of the first 3 · more than 5 orders · 2 per page" in body
    assert response.context["has_next"]


def test_page_numbers_reach_the_counted_orders_and_the_last_says_how_to_see_the_others(
    alice_client, store_a, small_cap
):
    _bulk_orders(store_a, 9)
    url = reverse("portal:order_list")
    last = alice_client.get(url, {"status": "awaiting_shipment", "page": 3})
    assert last.context["page"] == 3 and not last.context["has_next"] and len(last.context["orders"]) == 2
    assert "The list shows the first 5 orders. Sort it the other way" in last.content.decode()
    assert alice_client.get(url, {"status": "awaiting_shipment", "page": 99}).context["page"] == 3
    assert "The list shows the first" not in alice_client.get(url, {"status": "awaiting_shipment"}).content.decode()


def test_under_the_cap_the_counts_are_exact(alice_client, store_a, small_cap):
    _bulk_orders(store_a, 4)
    response = alice_client.get(reverse("portal:order_list"), {"status": "awaiting_shipment", "page": 2})
    assert {code: n for code, _label, n in response.context["tabs"]}["awaiting_shipment"] == 4
    assert "Page 2 of 2 · 4 orders · 2 per page" in response.content.decode()


def test_the_capped_pager_reads_in_french(alice_client, store_a, small_cap):
    _bulk_orders(store_a, 9)
    alice_client.cookies["django_language"] = "fr"
    body = alice_client.get(reverse("portal:order_list"), {"status": "awaiting_shipment", "page": 3}).content.decode()
    assert "Page 3 sur les 3 premières · plus de 5 commandes · 2 par page" in body
    assert "La liste montre les 5 premières commandes." in body
