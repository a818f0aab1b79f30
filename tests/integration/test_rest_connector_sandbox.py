"""The REST connector against the sandbox's REST face over real HTTP on loopback (and acapi.yaml checking
every exchange, tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest

from sandbox.rest import api as rest_api
from stores.connector.errors import StoreAuthError
from stores.connector.types import ConnectionOutcome, ShipNotice, ShipNoticeItem
from stores.platforms.americommerce.rest import RestConnector

FAST = {"base_delay": 0.01, "max_delay": 0.05, "max_retry_after": 0.05, "max_attempts": 8}


def connector(server, token=None, **options):
    return RestConnector(server.rest_base_url, token or server.rest_token, **{**FAST, **options})


def walk(server, **options):
    now = dt.datetime.now(dt.UTC)
    with connector(server, **options) as c:
        orders = [
            o
            for page in c.export_pages(now - dt.timedelta(days=120), now + dt.timedelta(minutes=1))
            for o in page.orders
        ]
        return orders, c


def test_connection_outcomes(sandbox_factory):
    server = sandbox_factory(orders=20)
    assert connector(server).test_connection().outcome is ConnectionOutcome.OK
    refused = connector(server, token="not-the-token").test_connection()
    assert refused.outcome is ConnectionOutcome.BAD_CREDENTIALS and "not-the-token" not in refused.message
    limited = connector(server, token=server.rest_limited_token).test_connection()
    assert limited.outcome is ConnectionOutcome.MISSING_SCOPE and limited.missing_scope == "system"
    assert "system" in limited.message
    html = RestConnector(server.base_url + "/store", server.rest_token, **FAST).test_connection()
    assert html.outcome is ConnectionOutcome.NOT_AN_ENDPOINT
    base = server.rest_base_url
    server.stop()
    assert RestConnector(base, "t", **FAST).test_connection().outcome is ConnectionOutcome.UNREACHABLE


def test_every_field_of_every_order_equals_the_truth(sandbox_factory):
    server = sandbox_factory(orders=150, seed=4, page_size=40)
    orders, c = walk(server, page_size=40)
    truth = {t["OrderID"]: t for t in server.truth()["orders"]}
    assert sorted(o.order_id for o in orders) == sorted(truth) and len(orders) == 150
    for o in orders:
        t = truth[o.order_id]
        assert (o.order_number, o.order_status, o.shipping_method, o.payment_method) == (
            t["OrderNumber"],
            t["OrderStatus"],
            t["ShippingMethod"],
            t["PaymentMethod"],
        )
        assert o.last_modified.strftime("%Y-%m-%dT%H:%M:%SZ") == t["LastModified"]
        assert o.order_date.strftime("%Y-%m-%dT%H:%M:%SZ") == t["OrderDate"]
        assert (o.order_total, o.tax_amount, o.shipping_amount) == (
            Decimal(t["OrderTotal"]),
            Decimal(t["TaxAmount"]),
            Decimal(t["ShippingAmount"]),
        )
        assert (o.customer_notes, o.internal_notes, o.gift, o.gift_message) == (
            t["CustomerNotes"],
            t["InternalNotes"],
            t["Gift"],
            t["GiftMessage"],
        )
        assert (o.custom_field1, o.custom_field2, o.custom_field3, o.requested_warehouse, o.source) == (
            t["CustomField1"],
            t["CustomField2"],
            t["CustomField3"],
            t["RequestedWarehouse"],
            t["Source"],
        )
        bill = t["Customer"]["BillTo"]
        assert o.customer.customer_code == t["Customer"]["CustomerCode"]
        for name, key in (
            ("name", "Name"),
            ("company", "Company"),
            ("address1", "Address1"),
            ("city", "City"),
            ("address2", "Address2"),
            ("state", "State"),
            ("postal_code", "PostalCode"),
            ("country", "Country"),
            ("phone", "Phone"),
            ("email", "Email"),
        ):
            assert getattr(o.customer.bill_to, name) == bill[key], (o.order_id, name)
            ship = t["Customer"]["ShipTo"]
            if key != "Email":
                assert (getattr(o.customer.ship_to, name) if o.customer.ship_to else None) == (
                    ship[key] if ship else None
                ), (o.order_id, name)
        assert [i.line_item_id for i in o.items] == [i["LineItemID"] for i in t["Items"]]
        for got, want in zip(o.items, t["Items"], strict=True):
            assert (got.sku, got.name, got.image_url, got.quantity, got.upc, got.location, got.adjustment) == (
                want["SKU"],
                want["Name"],
                want["ImageUrl"],
                want["Quantity"],
                want["UPC"],
                want["Location"],
                want["Adjustment"],
            )
            assert got.unit_price == Decimal(want["UnitPrice"]) and got.weight_units == want["WeightUnits"]
            # This road's item weight is the unit's whole weight: the chosen options' extra weight included.
            extra = sum(Decimal(x["Weight"] or 0) for x in want["Options"])
            assert got.weight == Decimal(want["Weight"]) + extra
            # The product's own weight (what the product row keeps), as the XML road's item weight gives it.
            assert got.product_weight == (None if want["Adjustment"] else Decimal(want["Weight"]))
            assert [(x.name, x.value) for x in got.options] == [(x["Name"], x["Value"]) for x in want["Options"]]
            assert got.extra.get("EProductType", "NotAnEProduct") == want["EProductType"]
            assert (got.extra.get("IsNonShippingItem") == "true") == want["IsNonShippingItem"]
    # statuses and storefronts once per connector; a page costs its orders, addresses, customers, new products
    assert c.requests_made <= 2 + 4 * 4


def test_fetch_order_and_describe(sandbox_factory):
    server = sandbox_factory(orders=30)
    with connector(server) as c:
        order = c.fetch_order("100005")
        assert order is not None and order.order_number == "AC-10005"
        assert c.fetch_order("999999") is None and c.fetch_order("AC-1") is None
        described = c.describe()
    assert described.listed and {s.name for s in described.storefronts} == {"Main Store", "Wholesale", "Outlet"}
    shipped = {s.name for s in described.statuses if s.is_shipped}
    assert shipped == {"Shipped", "Completed, Shipped"}


def test_ship_notify_records_once_and_sets_the_storefronts_shipped_status(sandbox_factory):
    server = sandbox_factory(orders=30)
    truth = {t["OrderID"]: t for t in server.truth()["orders"]}
    target = next(
        t for t in truth.values() if t["Storefront"]["name"] == "Outlet" and t["OrderStatus"] != "Completed, Shipped"
    )
    notice = ShipNotice(
        order_id=target["OrderID"],
        order_number=target["OrderNumber"],
        carrier="UPS",
        service="UPS Ground",
        tracking_number="1Z0001",
        tracking_url="https://ups.example/1Z0001",
        package_count=1,
        shipping_cost=Decimal("7.25"),
        notes_to_customer="Enjoy!",
        items=[
            ShipNoticeItem(i["LineItemID"], i["SKU"], i["Name"], i["Quantity"])
            for i in target["Items"]
            if not i["Adjustment"]
        ],
    )
    shipped = {"Main Store": "Shipped", "Wholesale": "Shipped", "Outlet": "Completed, Shipped"}
    for _ in range(3):
        with connector(server, shipped_statuses=shipped) as c:
            assert c.ship_notify(notice).status_code == 200
    held = {t["OrderID"]: t for t in server.truth()["orders"]}[target["OrderID"]]
    assert held["OrderStatus"] == "Completed, Shipped"
    assert len(held["Shipments"]) == 1
    s = held["Shipments"][0]
    assert (
        s["Carrier"],
        s["Service"],
        s["TrackingNumber"],
        s["TrackingUrl"],
        s["ShippingCost"],
        s["Packages"],
        s["NotesToCustomer"],
    ) == ("UPS", "UPS Ground", "1Z0001", "https://ups.example/1Z0001", "7.25", 1, "Enjoy!")


def test_a_refused_token_is_tried_once(sandbox_factory):
    server = sandbox_factory(orders=10)
    with pytest.raises(StoreAuthError), connector(server, token="wrong") as c:
        list(c.export_pages(dt.datetime.now(dt.UTC) - dt.timedelta(days=1), dt.datetime.now(dt.UTC)))
    assert c.requests_made == 1


def test_faults_are_retried_and_the_walk_still_equals_the_truth(sandbox_factory):
    server = sandbox_factory(orders=200, seed=5)
    server.set_faults(rate=0.3, kinds=["429", "500", "drop", "truncate", "malformed"], retry_after=0)
    orders, c = walk(server, page_size=50)
    assert sorted(o.order_id for o in orders) == sorted(t["OrderID"] for t in server.truth()["orders"])
    assert c.requests_made > 4 * 4


def _ids_asked(exchanges, resource):
    """Every id the connector asked /<resource> for, in order (an id asked twice appears twice)."""
    asked = []
    for exchange in exchanges:
        url = urlsplit(exchange["url"])
        if url.path.endswith(f"/api/v1/{resource}"):
            query = dict(parse_qsl(url.query))
            asked += [int(term.removeprefix("eq:")) for term in query.get("id", "").split(" OR ") if term]
    return asked


def test_a_walk_asks_for_each_customer_and_product_once(sandbox_factory, monkeypatch):
    server = sandbox_factory(orders=150, seed=4, page_size=40)
    exchanges = []
    monkeypatch.setattr(rest_api, "OBSERVERS", [*rest_api.OBSERVERS, exchanges.append])
    orders, _ = walk(server, page_size=40)
    customers, products = _ids_asked(exchanges, "customers"), _ids_asked(exchanges, "products")
    # In this store 36 of the 68 buyers and 101 of the 117 products are on more than one of the 4 pages;
    # each is asked for on its first page only.
    assert len(orders) == 150 and len(products) == len(set(products)) and len(customers) == len(set(customers))
    # The cache lives for one walk: the next walk asks again, for the same ones.
    exchanges.clear()
    walk(server, page_size=40)
    assert sorted(_ids_asked(exchanges, "products")) == sorted(products)
    assert sorted(_ids_asked(exchanges, "customers")) == sorted(customers)


class _Rotating:
    """A token source whose token the store revokes mid-walk; refresh() gives a new one it accepts."""

    def __init__(self, server):
        self.server, self.current, self.refreshed_in = server, server.rest_token, []

    def token(self):
        return self.current

    def refresh(self):
        self.refreshed_in.append(threading.current_thread() is threading.main_thread())
        self.current = "fresh-token"
        self.server.store.rest.set(tokens={"fresh-token": sorted(rest_api.FULL_SCOPES)})
        return self.current


def test_a_token_refused_in_the_prefetch_thread_is_refreshed_by_the_walk_itself(sandbox_factory):
    server = sandbox_factory(orders=150, seed=4, page_size=40)
    tokens = _Rotating(server)
    now = dt.datetime.now(dt.UTC)
    seen = []
    with connector(server, token=tokens, page_size=40) as c:
        for number, page in enumerate(c.export_pages(now - dt.timedelta(days=120), now + dt.timedelta(minutes=1))):
            seen += [o.order_id for o in page.orders]
            if number == 0:  # page 2 is already being fetched in the background with the old token
                server.store.rest.tokens.pop(server.rest_token)
    assert sorted(seen) == sorted(t["OrderID"] for t in server.truth()["orders"])
    # The background fetch never refreshed (that may write the store's tokens): the walk's thread did, once.
    assert tokens.refreshed_in == [True]


def test_an_orders_phone_is_its_own_never_the_customer_records(sandbox_factory):
    # Issue 25 item 43. Seed 22 has two buyers sharing one e-mail (one REST customer record): one placed an
    # order without a phone, the other with one. The order without a phone stays without, as on the XML road.
    server = sandbox_factory(orders=40, seed=22)
    truth = {t["OrderID"]: t for t in server.truth()["orders"]}
    shared = [t for t in truth.values() if t["Customer"]["CustomerCode"] == "ava.smith@example.org"]
    assert {t["Customer"]["BillTo"]["Phone"] == "" for t in shared} == {True, False}  # the case is there
    orders, _ = walk(server)
    assert len(orders) == 40
    assert {o.order_id: o.customer.bill_to.phone for o in orders} == {
        i: t["Customer"]["BillTo"]["Phone"] for i, t in truth.items()
    }
