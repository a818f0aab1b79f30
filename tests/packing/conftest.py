"""The pack station's fixtures: tenant A buying labels from the carrier sandbox, a shipping preset, orders
ready to pack (two lines: MUG-RED ×2, TEA-GREEN ×1), a member packer (dave) and the JSON endpoints."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.rules import services as rule_services
from stores.models import Role
from tests import factories
from tests.labels.conftest import label_setup

PASSWORD = "pw-for-tests-1"


@pytest.fixture
def accounts_a(tenant_a, store_a, carrier_sandbox):
    from carriers.gateway import forget_all_tokens

    forget_all_tokens()  # a new sandbox may get an earlier one's port: no token of that one carries over
    return label_setup(tenant_a, store_a, carrier_sandbox)


@pytest.fixture
def preset_a(tenant_a, accounts_a):
    return rule_services.preset_save(
        tenant=tenant_a, name="UPS Ground", carrier_account=accounts_a["UPS"], service="ups_ground"
    )


@pytest.fixture
def dave(tenant_a):
    user = factories.make_user("dave", password=PASSWORD)
    factories.make_member(tenant_a, user, Role.MEMBER)
    return user


def make_pack_order(store, *, number: str, preset=None, status="awaiting_shipment"):
    """An order to pack: MUG-RED ×2 (the store's UPC 012345678905) and TEA-GREEN ×1, a coupon, an e-book."""
    order = factories.make_detailed_order(store, number=number, status=status)
    factories.make_line(
        order,
        line_key="2",
        position=4,
        sku="TEA-GREEN",
        name="Green tea",
        quantity=1,
        unit_price=Decimal("8.00"),
        unit_weight=Decimal("0.25"),
        weight_unit="Pounds",
    )
    order.lines.filter(sku="MUG-RED").update(upc="012345678905")
    if preset is not None:
        rule_services.orders_preset_set(tenant=order.tenant, orders=[order], preset=preset, actor="test")
        order.refresh_from_db()
    return order


class Station:
    """The pack page's endpoints, as static/pack.js calls them (a signed-in test client)."""

    def __init__(self, client):
        self.client = client
        self.session = None

    def _post(self, url, data=None):
        response = self.client.post(url, data or {})
        assert response["Content-Type"] == "application/json", response
        return response.status_code, json.loads(response.content)

    def slip(self, code):
        status, answer = self._post(reverse("portal:pack_slip"), {"code": code})
        if status == 200:
            self.session = answer["session"]
        return status, answer

    def scan(self, code):
        return self._post(reverse("portal:pack_scan", args=[self.session]), {"code": code})

    def skip(self):
        return self._post(reverse("portal:pack_skip", args=[self.session]))

    def label(self):
        return self._post(reverse("portal:pack_label", args=[self.session]))

    def leave(self):
        return self._post(reverse("portal:pack_leave", args=[self.session]))
