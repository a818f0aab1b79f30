from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import Order, OrderStatus
from tests.factories import make_order


def ids(response):
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


def test_list_filters_by_status_store_number_and_email(api_a, store_a, tenant_a):
    from tests.factories import make_store

    other_store = make_store(tenant_a, name="Second")
    waiting = make_order(store_a, email="Pat@Example.com")
    held = make_order(store_a, status=OrderStatus.ON_HOLD)
    elsewhere = make_order(other_store)
    assert ids(api_a.get("/api/v1/orders/?status=awaiting_shipment")) == {waiting.pk, elsewhere.pk}
    assert ids(api_a.get(f"/api/v1/orders/?store={other_store.pk}")) == {elsewhere.pk}
    assert ids(api_a.get(f"/api/v1/orders/?number={held.number}")) == {held.pk}
    assert ids(api_a.get("/api/v1/orders/?email=pat@example.com")) == {waiting.pk}


def test_list_filters_by_modified_and_order_date(api_a, store_a):
    now = timezone.now()
    old = make_order(store_a, modified_at=now - timedelta(days=10), order_date=now - timedelta(days=10))
    new = make_order(store_a, modified_at=now)
    since = (now - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert ids(api_a.get("/api/v1/orders/", {"modified_since": since})) == {new.pk}
    assert ids(api_a.get("/api/v1/orders/", {"modified_until": since})) == {old.pk}
    assert ids(api_a.get("/api/v1/orders/", {"order_date_to": since})) == {old.pk}


def test_list_never_shows_another_tenants_orders(api_b, order_a):
    assert ids(api_b.get("/api/v1/orders/")) == set()
    assert ids(api_b.get(f"/api/v1/orders/?store={order_a.store_id}")) == set()


def test_bad_filter_value_is_a_400_in_the_error_format(api_a):
    response = api_a.get("/api/v1/orders/?status=lost")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"


def test_page_size_is_capped_at_500(api_a, store_a):
    now = timezone.now()
    Order.objects.bulk_create(
        Order(
            tenant=store_a.tenant,
            store=store_a,
            external_id=f"C{n}",
            number=f"C{n}",
            store_status="Pending",
            status=OrderStatus.AWAITING_SHIPMENT,
            order_date=now,
            modified_at=now,
        )
        for n in range(501)
    )
    response = api_a.get("/api/v1/orders/?page_size=5000")
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 500 and body["next"]  # 501 held, 500 served, one more page


def test_detail_has_lines_and_shipments(api_a, order_a):
    body = api_a.get(f"/api/v1/orders/{order_a.pk}/").json()
    assert len(body["lines"]) == 1 and body["shipments"] == []


def test_hold_and_release(api_a, order_a):
    held = api_a.post(f"/api/v1/orders/{order_a.pk}/hold/", {"reason": "fraud check"}, format="json").json()
    assert held["status"] == "on_hold" and held["hold_reason"] == "fraud check"
    assert api_a.post(f"/api/v1/orders/{order_a.pk}/release/").json()["status"] == "awaiting_shipment"


def test_release_of_an_order_not_on_hold_is_a_400(api_a, order_a):
    response = api_a.post(f"/api/v1/orders/{order_a.pk}/release/")
    assert response.status_code == 400 and "not on hold" in response.json()["error"]["message"]


def test_notes_are_edited(api_a, order_a):
    response = api_a.patch(f"/api/v1/orders/{order_a.pk}/", {"outbound_notes": "fragile"}, format="json")
    assert response.status_code == 200 and response.json()["outbound_notes"] == "fragile"
    assert order_a.events.filter(kind="notes").exists()


@pytest.mark.parametrize(
    "method,suffix",
    [("get", ""), ("patch", ""), ("post", "hold/"), ("post", "release/"), ("post", "rates/"), ("post", "labels/")],
)
def test_outsider_gets_404(api_b, order_a, method, suffix):
    response = getattr(api_b, method)(f"/api/v1/orders/{order_a.pk}/{suffix}", {}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "method,suffix", [("patch", ""), ("post", "hold/"), ("post", "release/"), ("post", "rates/"), ("post", "labels/")]
)
def test_read_only_key_cannot_write(api_a_read, order_a, method, suffix):
    response = getattr(api_a_read, method)(
        f"/api/v1/orders/{order_a.pk}/{suffix}", {"outbound_notes": "x"}, format="json"
    )
    assert response.status_code == 403
    order_a.refresh_from_db()
    assert order_a.status == "awaiting_shipment" and order_a.outbound_notes == ""


def _queries(api, page_size):
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(f"/api/v1/orders/?status=awaiting_shipment&page_size={page_size}")
    assert len(response.json()["results"]) == page_size
    return len(ctx.captured_queries)


def test_order_list_query_count_does_not_grow_with_page_size(api_a, store_a, django_assert_num_queries):
    for _ in range(100):
        make_order(store_a, lines=2)
    api_a.get("/api/v1/orders/")  # warm: the key's last_used_at write happens once a minute at most
    small = _queries(api_a, 10)
    with django_assert_num_queries(small):
        api_a.get("/api/v1/orders/?status=awaiting_shipment&page_size=100")
    assert _queries(api_a, 100) == small
