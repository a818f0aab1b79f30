"""Export documents follow the Custom Store v1 reference (docs/custom-store-v1.md#export-fields)."""

import math
import re
from decimal import Decimal

from .conftest import export, export_all, orders_of

DATE = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$")
MONEY = re.compile(r"^-?\d{1,7}\.\d{2}$")
ORDER_LEN = {
    "OrderID": 50,
    "OrderNumber": 50,
    "OrderStatus": 50,
    "ShippingMethod": 100,
    "PaymentMethod": 50,
    "CustomerNotes": 1000,
    "InternalNotes": 1000,
    "GiftMessage": 1000,
    "CustomField1": 100,
    "CustomField2": 100,
    "CustomField3": 100,
    "RequestedWarehouse": 100,
    "Source": 50,
}
ADDRESS_LEN = {
    "Name": 100,
    "Company": 100,
    "Phone": 50,
    "Email": 100,
    "Address1": 200,
    "Address2": 200,
    "City": 100,
    "State": 100,
    "PostalCode": 50,
}
ITEM_LEN = {"LineItemID": 50, "SKU": 100, "Name": 200, "ImageUrl": 500, "UPC": 12, "Location": 100}
ORDER_REQUIRED = (
    "OrderNumber",
    "OrderDate",
    "OrderStatus",
    "LastModified",
    "OrderTotal",
    "Customer",
    "Customer/CustomerCode",
    "Customer/BillTo",
    "Customer/BillTo/Name",
    "Items",
)
SHIPTO_REQUIRED = ("Name", "Address1", "City", "Country", "PostalCode")


def _text(el, path):
    return el.findtext(path) or ""


def _check_lengths(el, limits, where):
    for name, limit in limits.items():
        assert len(_text(el, name)) <= limit, f"{where}/{name} longer than {limit}"


def _check_children_unique(el):
    tags = [c.tag for c in el]
    assert len(tags) == len(set(tags)), f"<{el.tag}> repeats a child: {tags}"


def test_every_exported_order_satisfies_the_field_tables(sandbox):
    orders = export_all(sandbox)
    assert len(orders) == 200
    for order in orders:
        oid = _text(order, "OrderID")
        _check_children_unique(order)
        for path in ORDER_REQUIRED:
            assert order.find(path) is not None, f"{oid} lacks {path}"
        assert _text(order, "OrderNumber") and _text(order, "OrderStatus") and _text(order, "Customer/CustomerCode")
        assert DATE.match(_text(order, "OrderDate")) and DATE.match(_text(order, "LastModified"))
        for money in ("OrderTotal", "TaxAmount", "ShippingAmount"):
            assert MONEY.match(_text(order, money)), (oid, money)
        assert len(_text(order, "CurrencyCode")) == 3
        _check_lengths(order, ORDER_LEN, oid)
        bill_to = order.find("Customer/BillTo")
        _check_lengths(bill_to, ADDRESS_LEN, f"{oid}/BillTo")
        ship_to = order.find("Customer/ShipTo")
        if ship_to is not None:
            _check_children_unique(ship_to)
            for name in SHIPTO_REQUIRED:
                assert _text(ship_to, name), f"{oid} ShipTo/{name} empty"
            assert len(_text(ship_to, "Country")) == 2
            _check_lengths(ship_to, ADDRESS_LEN, f"{oid}/ShipTo")
        _check_items(order, oid)


def _check_items(order, oid):
    lines = Decimal(0)
    for item in order.findall("Items/Item"):
        _check_children_unique(item)
        assert _text(item, "Name") and item.find("SKU") is not None
        assert 1 <= int(_text(item, "Quantity")) <= 99999
        assert _text(item, "WeightUnits") in ("Pounds", "Ounces", "Grams")
        assert MONEY.match(_text(item, "UnitPrice")) and MONEY.match(_text(item, "Weight"))
        if _text(item, "Adjustment") == "true":
            assert Decimal(_text(item, "UnitPrice")) < 0, f"{oid} adjustment with a non-negative price"
        _check_lengths(item, ITEM_LEN, oid)
        options = item.findall("Options/Option")
        assert len(options) <= 10
        for option in options:
            assert 1 <= len(_text(option, "Name")) <= 100 and 1 <= len(_text(option, "Value")) <= 100
        lines += Decimal(_text(item, "UnitPrice")) * int(_text(item, "Quantity"))
    total = lines + Decimal(_text(order, "ShippingAmount")) + Decimal(_text(order, "TaxAmount"))
    assert total == Decimal(_text(order, "OrderTotal")), oid


def test_pages_attribute_is_ceil_of_total_over_page_size(sandbox_factory):
    server = sandbox_factory(orders=53, seed=2, page_size=7)
    response = export(server)
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    pages, orders = orders_of(response)
    assert pages == math.ceil(53 / 7) and len(orders) == 7
    assert len(orders_of(export(server, page=8))[1]) == 4
    assert orders_of(export(server, page=9)) == (8, [])


def test_empty_window_is_an_empty_orders_element_with_zero_pages(sandbox):
    response = export(sandbox, start_date="01/01/1990 00:00", end_date="01/02/1990 00:00")
    assert response.status_code == 200
    assert response.content.endswith(b'<Orders pages="0"/>')


def test_orders_are_sorted_by_last_modified_then_order_id(sandbox):
    orders = export_all(sandbox)
    keys = [(_modified_key(o), int(_text(o, "OrderID"))) for o in orders]
    assert keys == sorted(keys)


def _modified_key(order):
    m, d, rest = _text(order, "LastModified").split("/")
    return (rest[:4], m, d, rest[5:])


def test_storefront_is_the_source_and_every_case_is_present(sandbox):
    orders = export_all(sandbox)
    assert {_text(o, "Source") for o in orders} == {"Main Store", "Wholesale", "Outlet"}
    assert any(o.find("Customer/ShipTo") is None for o in orders)
    assert any(_text(o, "Gift") == "true" and _text(o, "GiftMessage") for o in orders)
    assert any(_text(i, "Adjustment") == "true" for o in orders for i in o.iter("Item"))
    assert any(_text(i, "Location") == "" for o in orders for i in o.iter("Item"))
    assert {_text(i, "WeightUnits") for o in orders for i in o.iter("Item")} == {"Pounds", "Ounces", "Grams"}
    assert any("]]>" in _text(o, "CustomerNotes") for o in orders)  # CDATA split safely


def test_bad_or_missing_dates_are_400_text(sandbox):
    for params in ({"start_date": "2025-01-01"}, {"end_date": ""}, {"start_date": "13/45/2025 10:00"}):
        response = export(sandbox, **params)
        assert response.status_code == 400
        assert response.headers["Content-Type"].startswith("text/plain")


def test_unknown_action_is_400(sandbox):
    response = export(sandbox, action="refund")
    assert response.status_code == 400
