"""The truth endpoint says what the store holds, in the export's own field names."""

import json

import requests

from sandbox import SandboxStore

from .conftest import FIXED_NOW, export_all

TRUTH_ONLY_ITEM = ("ProductID", "ProductKind")


def _address(el):
    return {child.tag: child.text or "" for child in el} if el is not None else None


def _xml_to_truth_shape(order) -> dict:
    """An exported <Order> as a dict with the truth's names (dates cut to the export's minutes)."""
    d = {c.tag: c.text or "" for c in order if c.tag not in ("Customer", "Items")}
    d["Gift"] = d["Gift"] == "true"
    d["Customer"] = {
        "CustomerCode": order.findtext("Customer/CustomerCode"),
        "BillTo": _address(order.find("Customer/BillTo")),
        "ShipTo": _address(order.find("Customer/ShipTo")),
    }
    d["Items"] = []
    for item in order.findall("Items/Item"):
        i = {c.tag: c.text or "" for c in item if c.tag != "Options"}
        i["Quantity"] = int(i["Quantity"])
        i["Adjustment"] = i["Adjustment"] == "true"
        i["Options"] = [
            {"Name": o.findtext("Name"), "Value": o.findtext("Value"), "Weight": o.findtext("Weight")}
            for o in item.findall("Options/Option")
        ]
        d["Items"].append(i)
    return d


def _truth_as_exported(order: dict) -> dict:
    d = {k: v for k, v in order.items() if k not in ("Storefront", "Shipments")}
    for key in ("OrderDate", "LastModified"):  # 2025-03-01T12:34:56Z -> 03/01/2025 12:34
        iso = d[key]
        d[key] = f"{iso[5:7]}/{iso[8:10]}/{iso[:4]} {iso[11:16]}"
    d["Items"] = [_item_as_exported(i) for i in d["Items"]]
    return d


def _item_as_exported(item: dict) -> dict:
    i = {k: v for k, v in item.items() if k not in TRUTH_ONLY_ITEM}
    # The extra kind elements appear only on e-products and "does not ship" items.
    if item["ProductKind"] != "eproduct":
        del i["EProductType"]
    if not item["IsNonShippingItem"]:
        del i["IsNonShippingItem"]
    else:
        i["IsNonShippingItem"] = "true"
    return i


def test_truth_agrees_with_the_export(sandbox):
    truth = requests.get(sandbox.base_url + "/_sandbox/truth", timeout=10).json()
    exported = {o.findtext("OrderID"): _xml_to_truth_shape(o) for o in export_all(sandbox)}
    assert len(exported) == len(truth["orders"]) == 200
    for order in truth["orders"]:
        assert exported[order["OrderID"]] == _truth_as_exported(order)
        assert order["Source"] == order["Storefront"]["name"]


def test_truth_lists_storefronts_statuses_and_products(sandbox):
    truth = sandbox.truth(include_orders=False)
    assert [(s["id"], s["shipped_status"]) for s in truth["storefronts"]] == [
        (1, "Shipped"),
        (2, "Shipped"),
        (3, "Completed, Shipped"),
    ]
    names = {s["name"] for s in truth["statuses"]}
    assert {"New", "On Hold", "Approved, Pending Shipping", "Awaiting Pickup, Local", "Gift Wrap Queue"} <= names
    kinds = {p["kind"] for p in truth["products"]}
    assert kinds == {"physical", "eproduct", "non_shipping"} and 60 <= len(truth["products"]) <= 150
    assert "orders" not in truth


def test_every_status_and_product_kind_occurs_in_a_small_store():
    truth = SandboxStore(orders=40, seed=9).truth()
    assert {o["OrderStatus"] for o in truth["orders"]} == {s["name"] for s in truth["statuses"]}
    kinds = {i["ProductKind"] for o in truth["orders"] for i in o["Items"]}
    assert kinds == {"physical", "eproduct", "non_shipping", "adjustment"}


def test_same_seed_gives_a_byte_identical_store():
    first = SandboxStore(orders=150, seed=7, now=FIXED_NOW, frozen_clock=True)
    second = SandboxStore(orders=150, seed=7, now=FIXED_NOW, frozen_clock=True)
    assert json.dumps(first.truth()) == json.dumps(second.truth())
    assert first.export_page(0, 2**31, 1) == second.export_page(0, 2**31, 1)
    assert first.truth()["orders"] != SandboxStore(orders=150, seed=8, now=FIXED_NOW).truth()["orders"]


def test_mutations_are_deterministic_too():
    stores = [SandboxStore(orders=80, seed=3, now=FIXED_NOW, frozen_clock=True) for _ in range(2)]
    for store in stores:
        store.advance(300)
        store.mutate(change=10, add=3)
        store.mutate(change=5)
    assert json.dumps(stores[0].truth()) == json.dumps(stores[1].truth())


def test_share_of_orders_without_ship_to_is_small():
    orders = SandboxStore(orders=2000, seed=1).truth()["orders"]
    share = sum(o["Customer"]["ShipTo"] is None for o in orders) / len(orders)
    assert 0.04 <= share <= 0.09
