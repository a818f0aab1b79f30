"""API fixtures: keys for tenant A (live and read-only) and tenant B, clients, and an order graph."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.services import api_key_create
from orders.models import Order, OrderLine, OrderStatus, Product

_seq = itertools.count(1)


def make_order(store, *, status=OrderStatus.AWAITING_SHIPMENT, lines=1, email="buyer@example.com", **extra) -> Order:
    n = next(_seq)
    now = timezone.now()
    order = Order.objects.create(
        tenant=store.tenant, store=store, external_id=f"X{n}", number=f"N{n}", store_status="Pending",
        status=status, order_date=extra.pop("order_date", now - timedelta(days=1)),
        modified_at=extra.pop("modified_at", now), email=email, ship_to={"name": "Pat", "city": "Austin"},
        ship_to_name="Pat", order_total=Decimal("19.99"), **extra,
    )
    for i in range(lines):
        OrderLine.objects.create(order=order, line_key=f"L{i}", position=i, sku=f"SKU{i}", name=f"Thing {i}",
                                 quantity=2, unit_price=Decimal("9.99"))
    return order


def make_product(store, sku="SKU-1") -> Product:
    return Product.objects.create(store=store, sku=sku, name="A thing")


def bearer(plaintext: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


@pytest.fixture
def key_a(tenant_a, alice):
    return api_key_create(tenant=tenant_a, name="warehouse", read_only=False, user=alice)[1]


@pytest.fixture
def api_a(key_a):
    return bearer(key_a)


@pytest.fixture
def api_a_read(tenant_a, alice):
    return bearer(api_key_create(tenant=tenant_a, name="reports", read_only=True, user=alice)[1])


@pytest.fixture
def api_b(tenant_b, charlie):
    return bearer(api_key_create(tenant=tenant_b, name="charlie's", read_only=False, user=charlie)[1])


@pytest.fixture
def order_a(store_a):
    return make_order(store_a)


@pytest.fixture
def order_b(store_b):
    return make_order(store_b)


@pytest.fixture(autouse=True)
def _no_throttle_leak():
    from django.core.cache import cache

    cache.clear()
    yield
