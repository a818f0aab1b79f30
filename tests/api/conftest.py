"""API fixtures: keys for tenant A (live and read-only) and tenant B, clients, and an order graph."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.services import api_key_create
from tests.factories import make_order


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
