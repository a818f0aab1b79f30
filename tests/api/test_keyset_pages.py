"""The order and shipment lists page by keyset (issue 26): `next`/`previous` cursors walk every row once in
the list's order, stable under inserts; page numbers reach the first PAGE_NUMBER_WINDOW rows; `page=last`;
`count` is counted up to the window; a page costs the same queries at any depth."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import Order, OrderStatus
from shipments.models import Shipment
from tests.factories import make_order


def _orders(store, n, *, status=OrderStatus.AWAITING_SHIPMENT):
    """n orders, three to a minute (ties on order_date that only the id orders)."""
    now = timezone.now().replace(microsecond=0)
    return [
        make_order(store, lines=0, status=status, order_date=now - timedelta(minutes=i // 3), number=f"K{i:03}")
        for i in range(n)
    ]


def _get(api, url):
    response = api.get(url)
    assert response.status_code == 200, response.content[:500]
    return response.json()


def _walk(api, url, link="next"):
    pages, body = [], _get(api, url)
    pages.append(body)
    while body[link]:
        body = _get(api, body[link])
        pages.append(body)
        assert len(pages) < 100
    return pages


def _expected_ids(tenant, **filters):
    return list(
        Order.objects.for_tenant(tenant).filter(**filters).order_by("-order_date", "-id").values_list("pk", flat=True)
    )


def test_next_links_walk_every_order_once_in_the_lists_order_and_previous_walks_back(api_a, store_a, tenant_a):
    _orders(store_a, 23)
    pages = _walk(api_a, "/api/v1/orders/?page_size=5")
    seen = [row["id"] for page in pages for row in page["results"]]
    assert seen == _expected_ids(tenant_a)
    assert [len(p["results"]) for p in pages] == [5, 5, 5, 5, 3] and pages[0]["previous"] is None
    assert "cursor=" in pages[0]["next"] and "page=" not in pages[0]["next"]
    back = _walk(api_a, pages[-1]["previous"], link="previous")
    assert [row["id"] for page in reversed(back) for row in page["results"]] == seen[:20]


def test_a_walk_is_stable_when_orders_arrive_meanwhile(api_a, store_a, tenant_a):
    _orders(store_a, 12)
    before = _expected_ids(tenant_a)
    first = _get(api_a, "/api/v1/orders/?page_size=4")
    make_order(store_a, order_date=timezone.now() + timedelta(days=1))  # a new order at the top of the list
    rest = _walk(api_a, first["next"])
    seen = [row["id"] for row in first["results"]] + [row["id"] for page in rest for row in page["results"]]
    assert seen == before  # no order shown twice, none skipped (page numbers would repeat the fourth one)


def test_page_last_is_the_oldest_orders_and_page_numbers_match_the_cursor_pages(api_a, store_a, tenant_a):
    _orders(store_a, 11)
    expected = _expected_ids(tenant_a)
    last = _get(api_a, "/api/v1/orders/?page_size=4&page=last")
    assert [row["id"] for row in last["results"]] == expected[-4:] and last["next"] is None
    assert [row["id"] for row in _get(api_a, last["previous"])["results"]] == expected[-8:-4]
    second = _get(api_a, "/api/v1/orders/?page_size=4&page=2")
    assert [row["id"] for row in second["results"]] == expected[4:8]
    assert "page=3" in second["next"] and "page=1" in second["previous"]


def test_ordering_and_filters_page_by_keyset_too(api_a, store_a, tenant_a):
    rows = _orders(store_a, 9)
    Order.objects.filter(pk__in=[o.pk for o in rows[::2]]).update(status=OrderStatus.SHIPPED)
    pages = _walk(api_a, "/api/v1/orders/?page_size=2&status=shipped&ordering=number")
    seen = [row["number"] for page in pages for row in page["results"]]
    assert seen == sorted(o.number for o in rows[::2])


def test_count_stops_at_the_window_and_page_numbers_past_it_are_a_clear_400(api_a, store_a, monkeypatch):
    monkeypatch.setattr("api.plumbing.KeysetPagination.window", 6)
    _orders(store_a, 10)
    body = _get(api_a, "/api/v1/orders/?page_size=3")
    assert (body["count"], body["count_capped"]) == (6, True)
    assert "page=2" not in body["next"]  # cursors, not page numbers, from the first page
    second = _get(api_a, "/api/v1/orders/?page_size=3&page=2")
    assert "cursor=" in second["next"]  # page 3 would start past the window: the next link is a cursor
    response = api_a.get("/api/v1/orders/?page_size=3&page=3")
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "first 6 results" in message and "next" in message and "page=last" in message
    assert _get(api_a, "/api/v1/orders/?status=cancelled")["count_capped"] is False


@pytest.mark.parametrize("cursor", ["nonsense", "eyJvIjpbXX0", "e30", "!!!"])
def test_a_cursor_the_list_did_not_give_is_a_400(api_a, order_a, cursor):
    response = api_a.get(f"/api/v1/orders/?cursor={cursor}")
    assert response.status_code == 400 and "cursor" in response.json()["error"]["details"]


def _forged(values, ordering=("-order_date", "-id")):
    raw = json.dumps({"o": list(ordering), "p": values, "r": 0})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "values,status",
    [
        (["2026-01-01T00:00:00+00:00", str(10**30)], 200),  # an id past any row: the rows before it
        (["2026-01-01T00:00:00+00:00", "-" + str(10**30)], 200),
        (["9999-12-31T23:59:59+00:00", "5"], 200),
        (["0001-01-01T00:00:00+00:00", "5"], 200),
        (["0001-01-01T00:00:00+09:00", "5"], 400),  # before the calendar once in UTC
        (["2026-01-01T00:00:00+16:28", "5"], 200),
        (["2026-01-01", "5"], 400),  # no offset
        (["", "5"], 400),
        (["2026-01-01T00:00:00+00:00", "1.5"], 400),
        (["2026-01-01T00:00:00+00:00", 5], 400),  # not the strings the API writes
    ],
)
def test_a_forged_cursor_is_an_answer_or_a_400_never_a_500(api_a, order_a, values, status):
    assert api_a.get(f"/api/v1/orders/?cursor={_forged(values)}").status_code == status


def test_a_cursor_of_another_ordering_is_a_400(api_a, store_a):
    _orders(store_a, 4)
    body = _get(api_a, "/api/v1/orders/?page_size=2&ordering=number")
    cursor = body["next"].split("cursor=")[1].split("&")[0]
    response = api_a.get(f"/api/v1/orders/?page_size=2&cursor={cursor}")
    assert response.status_code == 400


@pytest.mark.parametrize("page", ["0", "-1", "two", "1e3"])
def test_a_page_that_is_no_page_number_is_a_400(api_a, order_a, page):
    response = api_a.get(f"/api/v1/orders/?page={page}")
    assert response.status_code == 400 and "page" in response.json()["error"]["details"]


def test_another_tenants_cursor_shows_only_the_callers_orders(api_a, api_b, store_a, store_b):
    _orders(store_a, 6)
    theirs = make_order(store_b, order_date=timezone.now() - timedelta(days=30))
    cursor = _get(api_a, "/api/v1/orders/?page_size=2")["next"].split("cursor=")[1]
    body = _get(api_b, f"/api/v1/orders/?page_size=2&cursor={cursor}")
    assert [row["id"] for row in body["results"]] == [theirs.pk]


def test_a_deep_page_costs_the_queries_of_the_first(api_a, store_a):
    _orders(store_a, 40)
    api_a.get("/api/v1/orders/")  # the key's once-a-minute last_used_at write
    counts = []
    first = _get(api_a, "/api/v1/orders/?page_size=5")
    deep = _walk(api_a, "/api/v1/orders/?page_size=5")[-2]["next"]
    for url in ("/api/v1/orders/?page_size=5", deep, "/api/v1/orders/?page_size=5&page=last", first["next"]):
        with CaptureQueriesContext(connection) as ctx:
            assert api_a.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert len(set(counts)) == 1, counts
    count_sql = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(count_sql) == 1 and "LIMIT" in count_sql[0].upper()  # the count is capped, never the whole table


def test_shipments_page_by_keyset(api_a, store_a, tenant_a):
    orders = _orders(store_a, 7)
    now = timezone.now()
    Shipment.objects.bulk_create(
        Shipment(tenant=tenant_a, order=o, carrier="UPS", created_at=now - timedelta(minutes=i // 2))
        for i, o in enumerate(orders)
    )
    pages = _walk(api_a, "/api/v1/shipments/?page_size=3")
    seen = [row["id"] for page in pages for row in page["results"]]
    expected = list(Shipment.objects.for_tenant(tenant_a).order_by("-created_at", "-id").values_list("pk", flat=True))
    assert seen == expected and pages[0]["count"] == 7 and pages[0]["count_capped"] is False
    last = _get(api_a, "/api/v1/shipments/?page_size=3&page=last")
    assert [row["id"] for row in last["results"]] == expected[-3:]
