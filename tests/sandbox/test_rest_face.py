"""The sandbox's REST face: AmeriCommerce's REST API over the same store as the XML face (tests/conftest.py
validates every answer here against acapi.yaml)."""

from __future__ import annotations

import requests

from sandbox.rest.render import STATUS_IDS


def get(sandbox, path, token=None, **params):
    return requests.get(
        sandbox.rest_base_url + path,
        params=params,
        timeout=10,
        headers={"X-AC-Auth-Token": sandbox.rest_token if token is None else token},
    )


def test_token_auth_scopes_and_the_call_limit_header(sandbox):
    assert get(sandbox, "/orders", token="nope").status_code == 401
    limited = get(sandbox, "/stores", token=sandbox.rest_limited_token)
    assert limited.status_code == 403 and "system" in limited.json()["details"]
    answer = get(sandbox, "/order_statuses")
    assert answer.status_code == 200 and answer.headers["X-AC-Call-Limit"].endswith("/50")
    names = {s["name"] for s in answer.json()["order_statuses"]}
    assert {"Shipped", "Completed, Shipped", "Approved, Pending Shipping"} <= names


def test_orders_window_on_updated_at_with_paging_and_expand(sandbox):
    truth = sandbox.truth()
    stamps = sorted(o["LastModified"] for o in truth["orders"])
    start, end = stamps[20], stamps[120]
    expected = {o["OrderID"] for o in truth["orders"] if start <= o["LastModified"] <= end}
    seen, page, pages = [], 1, 0
    url, params = (
        sandbox.rest_base_url + "/orders",
        {
            "updated_at": f"gte:{start} AND lte:{end}",
            "sort": "updated_at",
            "count": 30,
            "expand": "items,payments,shipments,custom_fields",
        },
    )
    while url:
        body = requests.get(url, params=params, headers={"X-AC-Auth-Token": sandbox.rest_token}, timeout=10).json()
        assert body["total_count"] == len(expected)
        seen += body["orders"]
        url, params, page, pages = body.get("next_page"), None, page + 1, pages + 1
    assert {str(o["id"]) for o in seen} == expected and len(seen) == len(expected)
    assert [o["updated_at"] for o in seen] == sorted(o["updated_at"] for o in seen)
    assert pages == -(-len(expected) // 30)
    assert all("items" in o and "payments" in o for o in seen)
    assert get(sandbox, "/orders", page=99, count=30).status_code == 404


def test_addresses_customers_products_and_a_shipment_recorded_in_the_truth(sandbox):
    order = get(sandbox, "/orders", id="100002", expand="items").json()["orders"][0]
    addresses = get(
        sandbox,
        "/order_addresses",
        id=f"eq:{order['order_billing_address_id']} OR eq:{order['order_shipping_address_id']}",
    )
    assert addresses.status_code == 200 and addresses.json()["total_count"] in (1, 2)
    customer = get(sandbox, "/customers", id=str(order["customer_id"])).json()["customers"][0]
    assert "@" in customer["email"]
    product_ids = [i["product_id"] for i in order["items"] if i["product_id"]]
    products = get(
        sandbox, "/products", id=" OR ".join(f"eq:{p}" for p in product_ids), expand="custom_fields,pictures"
    ).json()["products"]
    assert {p["id"] for p in products} == set(product_ids)

    headers = {"X-AC-Auth-Token": sandbox.rest_token}
    shipment = {
        "order_id": order["id"],
        "tracking_numbers": "1Z999",
        "shipping_method": "UPS Ground",
        "shipping_provider_name": "UPS",
        "shipment_name": "1Z999",
        "number_of_packages": 1,
        "provider_total_shipping_cost": 8.5,
        "shipping_comment": "Thanks!",
    }
    for _ in range(2):  # the same shipment_name updates: no second shipment
        answer = requests.post(sandbox.rest_base_url + "/order_shipments", json=shipment, headers=headers, timeout=10)
        assert answer.status_code == 200 and answer.json()["tracking_numbers"] == "1Z999"
    status = requests.put(
        sandbox.rest_base_url + f"/orders/{order['id']}/status",
        headers=headers,
        timeout=10,
        json={"order_status_id": STATUS_IDS["Shipped"]},
    )
    assert status.status_code == 200
    held = next(o for o in sandbox.truth()["orders"] if o["OrderID"] == str(order["id"]))
    assert held["OrderStatus"] == "Shipped"
    assert [(s["Carrier"], s["TrackingNumber"], s["ShippingCost"]) for s in held["Shipments"]] == [
        ("UPS", "1Z999", "8.50")
    ]
    listed = get(sandbox, "/order_shipments", order_id=str(order["id"])).json()
    assert listed["total_count"] == 1


def test_over_the_call_limit_a_429_with_retry_after(sandbox):
    sandbox.set_call_limit(3)
    answers = [get(sandbox, "/order_statuses") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[2].headers["X-AC-Call-Limit"] == "3/3"
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 10
    assert sandbox.truth(include_orders=False)["rest"]["rejected"] == 1


def test_faults_apply_to_the_rest_face(sandbox):
    sandbox.set_faults(sequence=["503"])
    assert get(sandbox, "/orders").status_code == 503
    assert get(sandbox, "/orders").status_code == 200


def test_an_id_filter_is_looked_up_and_the_other_filters_still_apply(sandbox):
    everything = get(sandbox, "/products", count="500").json()["products"]
    ids = [p["id"] for p in everything]
    by_ids = get(sandbox, "/products", id=" OR ".join(f"eq:{i}" for i in [*ids, 999_999_999]), count="500")
    assert [p["id"] for p in by_ids.json()["products"]] == ids  # the store's order, unknown ids left out
    named = everything[0]["item_name"]
    both = get(sandbox, "/products", id=" OR ".join(f"eq:{i}" for i in ids), item_name=named).json()
    assert [p["item_name"] for p in both["products"]] == [p["item_name"] for p in everything if p["item_name"] == named]
    assert get(sandbox, "/order_addresses", id="eq:200004", city="no such city").json()["total_count"] == 0
    assert get(sandbox, "/order_addresses", id="eq:200004").json()["total_count"] == 1


def test_order_shipments_is_a_list_without_order_id_paged_like_the_others(sandbox):
    # Issue 25 item 42: the vendor documents GET /order_shipments as a list; the sandbox refused it without order_id.
    headers = {"X-AC-Auth-Token": sandbox.rest_token}
    for order_id, tracking in ((100003, "1ZA"), (100001, "1ZB"), (100003, "1ZC")):
        shipment = {"order_id": order_id, "tracking_numbers": tracking, "shipment_name": tracking}
        answer = requests.post(sandbox.rest_base_url + "/order_shipments", json=shipment, headers=headers, timeout=10)
        assert answer.status_code == 200
    seen, url, params = [], sandbox.rest_base_url + "/order_shipments", {"count": 2}
    while url:
        answer = requests.get(url, params=params, headers=headers, timeout=10)
        assert answer.status_code == 200 and answer.json()["total_count"] == 3
        seen += answer.json()["order_shipments"]
        url, params = answer.json().get("next_page"), None
    assert [(s["order_id"], s["tracking_numbers"]) for s in seen] == [(100003, "1ZA"), (100001, "1ZB"), (100003, "1ZC")]
    assert get(sandbox, "/order_shipments", page=3, count=2).status_code == 404
    assert [
        s["tracking_numbers"]
        for s in get(sandbox, "/order_shipments", tracking_numbers="1ZB").json()["order_shipments"]
    ] == ["1ZB"]
    assert get(sandbox, "/order_shipments", order_id="100003").json()["total_count"] == 2
