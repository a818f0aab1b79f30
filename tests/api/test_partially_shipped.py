"""Partially shipped orders: the API's field and filter, and the portal's tab counts, agree."""

import pytest
from django.test import Client
from django.urls import reverse

from orders.models import OrderStatus, Shipping
from shipments.services import shipment_create, shipment_void
from tests.factories import make_order

pytestmark = pytest.mark.django_db


def ship(order, qty):
    line = order.lines.order_by("position").first()
    return shipment_create(order=order, lines={line.pk: qty}, carrier="UPS", tracking_number=f"1Z{order.pk}-{qty}")


@pytest.fixture
def mix(store_a, store_b):
    partial = [make_order(store_a, lines=2) for _ in range(3)]
    for order in partial:
        ship(order, 1)
    held = make_order(store_a, lines=1)
    ship(held, 1)  # 1 of 2: partial, then held in Outbound
    from orders.services import order_set_hold

    order_set_hold(order=held, hold=True, actor="test", reason="address check")
    full = make_order(store_a, lines=1)
    ship(full, 2)
    voided = make_order(store_a, lines=1)
    shipment_void(shipment=ship(voided, 1))
    make_order(store_a)  # nothing shipped
    other_tenant = make_order(store_b, lines=2)
    ship(other_tenant, 1)
    return {"partial": partial, "held": held, "full": full, "voided": voided}


def test_the_api_shows_and_filters_partially_shipped(api_a, mix):
    rows = api_a.get("/api/v1/orders/?partially_shipped=true&page_size=100").json()["results"]
    assert {r["id"] for r in rows} == {o.pk for o in mix["partial"]} | {mix["held"].pk}
    assert all(r["partially_shipped"] for r in rows)
    others = api_a.get("/api/v1/orders/?partially_shipped=false&page_size=100").json()["results"]
    assert not any(r["partially_shipped"] for r in others) and len(others) == 3
    detail = api_a.get(f"/api/v1/orders/{mix['partial'][0].pk}/").json()
    assert detail["partially_shipped"] is True and detail["status"] == OrderStatus.AWAITING_SHIPMENT
    voided = mix["voided"]
    voided.refresh_from_db()
    assert (voided.status, voided.shipping) == (OrderStatus.AWAITING_SHIPMENT, Shipping.VOIDED)


def test_the_api_filter_and_the_portal_tab_counts_agree(api_a, alice, mix):
    client = Client()
    client.force_login(alice)
    page = client.get(reverse("portal:order_list"), {"status": "awaiting_shipment", "partially_shipped": "true"})
    counts = dict((code, n) for code, _label, n in page.context["tabs"])
    api = api_a.get("/api/v1/orders/?status=awaiting_shipment&partially_shipped=true&page_size=100").json()
    assert page.context["partially_shipped_count"] == api["count"] == len(page.context["orders"]) == 3
    assert counts["awaiting_shipment"] == api_a.get("/api/v1/orders/?status=awaiting_shipment").json()["count"] == 5
    on_hold = api_a.get("/api/v1/orders/?status=on_hold&partially_shipped=true").json()
    assert on_hold["count"] == counts["on_hold"] == 1


def test_bad_filter_value_is_a_400(api_a):
    response = api_a.get("/api/v1/orders/?partially_shipped=perhaps")
    assert response.status_code == 400


def test_another_tenant_never_sees_them(api_b, mix):
    rows = api_b.get("/api/v1/orders/?partially_shipped=true").json()["results"]
    assert len(rows) == 1 and rows[0]["id"] not in {o.pk for o in mix["partial"]}
