"""The importer works through the StoreConnector protocol alone: a second connector, registered for a
test connection type and holding its orders in memory, is imported like any store, with no XML anywhere."""

import ast
import dataclasses
import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from orders.models import Order, SkippedOrder
from orders.services import import_store_now
from stores.connector.client import ConnectionOutcome, ConnectionResult, ShipNotifyResult
from stores.connector.protocol import StoreConnector
from stores.connector.registry import register, unregister
from stores.connector.types import Address, Customer, ExportItem, ExportOrder, ExportPage, StoreDescription, StoreStatus
from stores.models import Store

pytestmark = pytest.mark.django_db

PAGE_SIZE = 2


def make_order(n: int, *, status: str = "New", modified: dt.datetime, ship_to: bool = True) -> ExportOrder:
    address = Address(
        name=f"Buyer {n}",
        address1=f"{n} Main St",
        city="Springfield",
        state="IL",
        postal_code="62701",
        country="US",
        email=f"buyer{n}@example.com",
    )
    return ExportOrder(
        order_id=f"M{n}",
        order_number=f"#{n}",
        order_date=modified - dt.timedelta(hours=1),
        order_status=status,
        last_modified=modified,
        shipping_method="Ground",
        payment_method="Card",
        currency_code="USD",
        order_total=Decimal("21.50"),
        tax_amount=Decimal("1.50"),
        shipping_amount=Decimal("5.00"),
        customer_notes="",
        internal_notes="",
        gift=False,
        gift_message="",
        custom_field1="",
        custom_field2="",
        custom_field3="",
        requested_warehouse="",
        source="",
        dimensions=None,
        customer=Customer(customer_code=f"C{n}", bill_to=address, ship_to=address if ship_to else None),
        items=[
            ExportItem(
                line_item_id=f"L{n}",
                sku=f"SKU-{n}",
                name=f"Thing {n}",
                image_url="",
                weight=Decimal("1"),
                weight_units="Pounds",
                quantity=n,
                unit_price=Decimal("15.00"),
            )
        ],
    )


class MemoryConnector:
    """A store held in memory, speaking only the connector's dataclasses."""

    supports_fetch_order = True

    def __init__(self, orders: list[ExportOrder]):
        self.orders = {o.order_id: o for o in orders}
        self.requests_made = 0
        self.closed = False
        self.notices = []

    def _window(self, start, end):
        return sorted(
            (o for o in self.orders.values() if start <= o.last_modified <= end),
            key=lambda o: (o.last_modified, o.order_id),
        )

    def export_page(self, start, end, page=1, *, skip=None):
        self.requests_made += 1
        window = self._window(start, end)
        pages = max(1, -(-len(window) // PAGE_SIZE))
        chunk = window[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        # An opaque digest per order, as the protocol promises (here: of the dataclass's repr).
        digests = {o.order_id: hashlib.sha1(repr(o).encode()).hexdigest() for o in chunk}
        unchanged = set(skip(digests)) if skip is not None else set()
        converted = [o for o in chunk if o.order_id not in unchanged]
        return ExportPage(
            orders=[dataclasses.replace(o, raw_digest=digests[o.order_id]) for o in converted],
            pages=pages,
            page=page,
            unchanged=[o.order_id for o in chunk if o.order_id in unchanged],
        )

    def export_pages(self, start, end, *, first_page=1, skip=None, prefetch=True):
        page = first_page
        while True:
            current = self.export_page(start, end, page, skip=skip)
            yield current
            if page >= current.pages or not current.size:
                return
            page += 1

    def fetch_order(self, order_id):
        return self.orders.get(order_id)

    def ship_notify(self, notice):
        self.notices.append(notice)
        return ShipNotifyResult(200, "ok")

    def test_connection(self, *, now=None):
        return ConnectionResult(ConnectionOutcome.OK, "ok", orders_found=len(self.orders))

    def describe(self):
        return StoreDescription(statuses=[StoreStatus(name="New")], listed=True)

    def close(self):
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


@pytest.fixture
def memory_store(store_a):
    now = timezone.now()
    orders = [make_order(n, modified=now - dt.timedelta(hours=n)) for n in range(1, 6)]
    orders.append(make_order(6, modified=now - dt.timedelta(hours=6), status="Mystery"))
    orders.append(make_order(7, modified=now - dt.timedelta(hours=7), ship_to=False))
    connector = MemoryConnector(orders)
    built = []

    @register("memory-test", label="Memory test store")
    def factory(store, **options):
        built.append(store.pk)
        return connector

    Store.objects.filter(pk=store_a.pk).update(platform="memory-test")
    store_a.refresh_from_db()
    yield store_a, connector, built
    unregister("memory-test")


def test_the_fake_connector_satisfies_the_protocol():
    assert isinstance(MemoryConnector([]), StoreConnector)


def test_importer_imports_through_the_registered_connector(memory_store):
    store, connector, built = memory_store
    since = timezone.now() - dt.timedelta(days=1)
    run = import_store_now(store=store, since=since)
    assert run.state == "succeeded", run.error
    assert built == [store.pk] and connector.closed
    orders = {o.external_id: o for o in Order.objects.filter(store=store).prefetch_related("lines")}
    assert sorted(orders) == ["M1", "M2", "M3", "M4", "M5"]
    assert orders["M3"].number == "#3" and orders["M3"].status == "awaiting_shipment"
    assert [(li.sku, li.quantity) for li in orders["M3"].lines.all()] == [("SKU-3", 3)]
    assert set(SkippedOrder.objects.filter(store=store).values_list("external_id", flat=True)) == {"M6", "M7"}
    assert run.orders_created == 5 and run.http_requests == connector.requests_made

    again = import_store_now(store=store, since=since)
    assert again.state == "succeeded", again.error
    assert again.orders_created == 0 and again.orders_updated == 0 and again.orders_unchanged >= 5


def test_importer_sees_no_xml():
    """The importer reads only the connector's dataclasses: it imports no XML parser, nor the XML road."""
    trees = [ast.parse(path.read_text()) for path in sorted(Path("orders/importing").glob("*.py"))]
    assert len(trees) >= 4
    modules = {node.module or "" for tree in trees for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    modules |= {
        alias.name for tree in trees for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    forbidden = [
        m
        for m in modules
        if m.startswith(
            (
                "xml",
                "defusedxml",
                "lxml",
                "stores.connector.xmlparse",
                "stores.connector.client",
                "stores.connector.transport",
            )
        )
    ]
    assert forbidden == []
