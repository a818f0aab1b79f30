from __future__ import annotations

import pytest

from carriers.services import (
    carrier_account_create,
    package_preset_create,
    ship_from_create,
    store_default_ship_from_set,
)
from sandbox.carriers.server import CLIENT_ID, CLIENT_SECRET
from tests.api.conftest import api_a, api_b, key_a  # noqa: F401 - the API's clients, for tests/labels/test_api.py

CARRIERS = ("UPS", "USPS", "FedEx")
DOCK = {
    "name": "Dock",
    "company": "Outbound Shop Inc",
    "phone": "5125550100",
    "street1": "2 Elm Street",
    "city": "Austin",
    "state": "TX",
    "postal_code": "78701",
}


def label_setup(tenant, store, sandbox, carriers=CARRIERS):
    """A tenant that buys labels from the carrier sandbox: its accounts, a ship-from, a default box."""
    dock = ship_from_create(tenant=tenant, **DOCK)
    store_default_ship_from_set(store=store, ship_from=dock)
    package_preset_create(tenant=tenant, name="Small box", length=10, width=8, height=4, is_default=True)
    return {
        carrier: carrier_account_create(
            tenant=tenant,
            carrier=carrier,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            account_number="ACCT-7",
            server_url=sandbox.base_url,
            use_for_labels=True,
        )
        for carrier in carriers
    }


@pytest.fixture
def accounts_a(tenant_a, store_a, carrier_sandbox):
    from carriers.gateway import forget_all_tokens

    forget_all_tokens()  # a new sandbox may get an earlier one's port: no token of that one carries over
    return label_setup(tenant_a, store_a, carrier_sandbox)
