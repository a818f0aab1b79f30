"""Carrier tracking fixtures: the carrier sandbox on a free loopback port, an account pointed at it."""

from __future__ import annotations

import pytest

from carriers.services import carrier_account_create
from outbox.services import outbox_relay
from sandbox.carriers import run_carrier_sandbox
from sandbox.carriers.server import CLIENT_ID, CLIENT_SECRET
from tests.factories import make_order, make_store


@pytest.fixture
def carriers():
    from carriers.gateway import forget_all_tokens

    forget_all_tokens()  # a new sandbox may get an earlier one's port: no token of that one carries over
    server = run_carrier_sandbox()
    yield server
    server.stop()


@pytest.fixture
def ups_account(tenant_a, carriers):
    return carrier_account_create(
        tenant=tenant_a,
        carrier="UPS",
        name="Sandbox UPS",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        test_mode=True,
        server_url=carriers.base_url,
    )


@pytest.fixture
def usps_account(tenant_a, carriers):
    return carrier_account_create(
        tenant=tenant_a,
        carrier="USPS",
        name="Sandbox USPS",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        test_mode=True,
        server_url=carriers.base_url,
    )


@pytest.fixture
def shop(tenant_a):
    return make_store(tenant_a)


def order_for(store, **fields):
    return make_order(store, **fields)


def relay_all() -> int:
    total = 0
    while done := outbox_relay(limit=100):
        total += done
    return total
