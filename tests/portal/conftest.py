"""Portal fixtures: signed-in clients for the cast, and an order graph in each tenant."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from orders.models import ImportRun, UnmappedStatus
from tests.factories import make_detailed_order, make_shipment


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
    return make_detailed_order(store_a, number="A-100", sku="MUG-RED")


@pytest.fixture
def order_b(store_b):
    return make_detailed_order(store_b, number="B-200", sku="BRAVO-SKU")


@pytest.fixture
def run_a(store_a):
    return ImportRun.objects.create(store=store_a, state="running", pages_done=1, pages_total=4, orders_seen=10)


@pytest.fixture
def unmapped_a(store_a):
    return UnmappedStatus.objects.create(
        store=store_a,
        key="awaiting pickup",
        status="Awaiting Pickup",
        order_count=3,
        earliest_modified=timezone.now() - dt.timedelta(days=2),
    )


@pytest.fixture
def shipment_a(order_a, alice):
    return make_shipment(
        order_a,
        carrier="USPS",
        service="Priority",
        tracking_number="9400111",
        user=alice,
        lines={order_a.lines.get(line_key="1").pk: 1},
    )
