"""Shipnotify records the shipment, applies the storefront's shipped status, and ignores repeats."""

import requests

from .conftest import post_notice, ship_notice


def _first(server, storefront_id, status_not=()):
    return next(
        o
        for o in server.truth()["orders"]
        if o["Storefront"]["id"] == storefront_id and o["OrderStatus"] not in status_not
    )


def test_shipment_is_recorded_with_all_its_fields(frozen):
    order = _first(frozen, 1)
    item = order["Items"][0]
    body = ship_notice(order["OrderNumber"], items=[(item["LineItemID"], item["SKU"], 1)])
    assert post_notice(frozen, order["OrderNumber"], body=body).status_code == 200
    shipment = frozen.store.get_order(order["OrderID"]).shipments[0]
    assert shipment["Carrier"] == "UPS" and shipment["TrackingNumber"] == "1Z999AA10123456784"
    assert shipment["ShippingCost"] == "7.45" and shipment["NotesToCustomer"] == "Thanks for shopping!"
    assert shipment["NotifyCustomer"] is True and shipment["InternalNotes"] == "Packed by Sam"
    assert shipment["Items"] == [{"LineItemID": item["LineItemID"], "SKU": item["SKU"], "Name": "", "Quantity": 1}]


def test_each_storefront_applies_its_own_shipped_status(frozen):
    main = _first(frozen, 1, status_not=("Shipped",))
    outlet = _first(frozen, 3, status_not=("Completed, Shipped",))
    frozen.advance(90)
    post_notice(frozen, main["OrderNumber"])
    post_notice(frozen, outlet["OrderNumber"])
    after = {o["OrderID"]: o for o in frozen.truth()["orders"]}
    assert after[main["OrderID"]]["OrderStatus"] == "Shipped"
    assert after[outlet["OrderID"]]["OrderStatus"] == "Completed, Shipped"
    assert after[outlet["OrderID"]]["LastModified"] == "2025-03-01T12:01:30Z"


def test_an_exact_repeat_is_acknowledged_but_not_recorded_twice(frozen):
    number = _first(frozen, 2)["OrderNumber"]
    assert post_notice(frozen, number, carrier="UPS").status_code == 200
    assert post_notice(frozen, number, carrier="ups", tracking="1z999aa10123456784").status_code == 200
    assert post_notice(frozen, number, tracking="1Z999AA10123456785").status_code == 200
    truth = frozen.truth()
    assert len(next(o for o in truth["orders"] if o["OrderNumber"] == number)["Shipments"]) == 2
    assert truth["shipnotify_log"] == {"received": 3, "recorded": 2, "duplicates_ignored": 1, "rejected": 0}


def test_unknown_order_or_unreadable_body_is_400(frozen):
    assert post_notice(frozen, "AC-99999").status_code == 400
    assert post_notice(frozen, "AC-10001", body=b"<ShipNotice><OrderNumber>").status_code == 400
    assert frozen.truth()["shipnotify_log"]["rejected"] == 2


def test_the_order_can_be_found_by_the_body_order_id(frozen):
    body = b"<ShipNotice><OrderID>100002</OrderID><Carrier>USPS</Carrier></ShipNotice>"
    response = requests.post(
        frozen.endpoint_url,
        params={"action": "shipnotify", "tracking_number": "9400"},
        data=body,
        auth=(frozen.username, frozen.password),
        timeout=10,
    )
    assert response.status_code == 200
    assert frozen.store.get_order(100002).shipments[0]["Carrier"] == "USPS"


def test_shipnotify_requires_an_administrator(frozen):
    response = post_notice(frozen, "AC-10001", auth=(frozen.nonadmin_username, frozen.nonadmin_password))
    assert response.status_code == 403
    assert frozen.truth()["shipnotify_log"]["received"] == 0
