"""Portal fixtures: signed-in clients for the cast, and an order graph in each tenant."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from orders.models import ImportRun, Order, OrderEvent, OrderLine, OrderStatus, UnmappedStatus

_seq = itertools.count(1000)


def make_order(store, *, number=None, status=OrderStatus.AWAITING_SHIPMENT, sku="MUG-RED", **extra):
    n = next(_seq)
    now = timezone.now()
    fields = dict(
        tenant_id=store.tenant_id, store=store, external_id=str(n), number=number or str(n), store_status="New",
        status=status, order_date=now - dt.timedelta(hours=1), modified_at=now, email=f"buyer{n}@example.com",
        phone="555-0100", ship_to={"name": "Jane Buyer", "address1": "1 Main St", "city": "Austin", "state": "TX",
                                   "postal_code": "78701", "country": "US"},
        ship_to_name="Jane Buyer", shipping_method="USPS Priority", payment_method="Visa",
        order_total=Decimal("42.00"), is_gift=True, gift_message="Happy birthday", customer_notes="Leave at door",
        internal_notes="VIP", total_weight=Decimal("1.5"), weight_unit="Pounds",
    )
    fields.update(extra)
    order = Order.objects.create(**fields)
    OrderLine.objects.create(order=order, line_key="1", position=1, sku=sku, name="Red mug", quantity=2,
                             unit_price=Decimal("21.00"), unit_weight=Decimal("0.75"), weight_unit="Pounds",
                             image_url="https://cdn.example.com/mug.png", warehouse_location="A-01-3",
                             options=[{"name": "Colour", "value": "Red"}])
    OrderLine.objects.create(order=order, line_key="coupon", position=2, name="SPRING10", quantity=1,
                             unit_price=Decimal("-4.00"), is_adjustment=True)
    OrderLine.objects.create(order=order, line_key="ebook", position=3, sku="EBOOK", name="Recipe e-book",
                             quantity=1, unit_price=Decimal("5.00"), is_shippable=False, product_kind="electronic")
    OrderEvent.objects.create(order=order, kind="imported", message="Imported from the store", actor="import")
    return order


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice):
    return signed_in(alice)


@pytest.fixture
def bob_client(bob):
    return signed_in(bob)


@pytest.fixture
def charlie_client(charlie):
    return signed_in(charlie)


@pytest.fixture
def order_a(store_a):
    return make_order(store_a, number="A-100", sku="MUG-RED")


@pytest.fixture
def order_b(store_b):
    return make_order(store_b, number="B-200", sku="BRAVO-SKU")


@pytest.fixture
def run_a(store_a):
    return ImportRun.objects.create(store=store_a, state="running", pages_done=1, pages_total=4, orders_seen=10)


@pytest.fixture
def unmapped_a(store_a):
    return UnmappedStatus.objects.create(store=store_a, key="awaiting pickup", status="Awaiting Pickup",
                                         order_count=3, earliest_modified=timezone.now() - dt.timedelta(days=2))


@pytest.fixture
def shipment_a(order_a, alice):
    from shipments.services import shipment_create

    return shipment_create(order=order_a, carrier="USPS", service="Priority", tracking_number="9400111",
                           user=alice, lines={order_a.lines.get(line_key="1").pk: 1})
