"""Shipment fixtures: a store wired to a sandbox over loopback, and orders copied from sandbox truth."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from orders.models import Order, OrderStatus, ProductKind
from outbox.models import OutboxMessage, OutboxState
from outbox.services import outbox_relay
from stores.models import Storefront, StoreSettings
from tests.factories import connect_sandbox, make_line, make_order

KINDS = {"eproduct": ProductKind.ELECTRONIC, "non_shipping": ProductKind.NO_SHIP}


def _address(truth: dict | None) -> dict:
    if not truth:
        return {}
    keys = {
        "Name": "name",
        "Company": "company",
        "Address1": "address1",
        "Address2": "address2",
        "City": "city",
        "State": "state",
        "PostalCode": "postal_code",
        "Country": "country",
        "Phone": "phone",
        "Email": "email",
    }
    return {ours: truth[theirs] for theirs, ours in keys.items() if truth.get(theirs)}


def order_from_truth(
    store,
    truth: dict,
    *,
    status: str = OrderStatus.AWAITING_SHIPMENT,
    email: str | None = None,
    notes_to_buyer: str = "",
) -> Order:
    """An Outbound order matching one sandbox order (OrderNumber, OrderID, LineItemID, SKU)."""
    storefront, _ = Storefront.objects.get_or_create(store=store, name=truth["Storefront"]["name"])
    when = datetime.fromisoformat(truth["OrderDate"].replace("Z", "+00:00"))
    customer = truth["Customer"]
    order = make_order(
        store,
        lines=0,
        storefront=storefront,
        external_id=truth["OrderID"],
        order_total=Decimal(truth["OrderTotal"]),
        number=truth["OrderNumber"],
        store_status=truth["OrderStatus"],
        status=status,
        order_date=when,
        modified_at=when,
        customer_code=customer["CustomerCode"],
        email=customer["BillTo"].get("Email", "") if email is None else email,
        bill_to=_address(customer["BillTo"]),
        ship_to=_address(customer["ShipTo"]),
        ship_to_name=(customer["ShipTo"] or {}).get("Name", ""),
        notes_to_buyer=notes_to_buyer,
    )
    for position, item in enumerate(truth["Items"]):
        kind = KINDS.get(item["ProductKind"], ProductKind.PHYSICAL)
        make_line(
            order,
            line_key=f"{item['LineItemID']}:{position}",
            position=position,
            line_item_id=item["LineItemID"],
            sku=item["SKU"],
            name=item["Name"],
            quantity=item["Quantity"],
            unit_price=Decimal(item["UnitPrice"]),
            is_adjustment=item["Adjustment"],
            product_kind=kind,
            is_shippable=not item["Adjustment"] and kind == ProductKind.PHYSICAL,
        )
    return order


def physical_items(truth: dict) -> list[dict]:
    return [i for i in truth["Items"] if i["ProductKind"] == "physical" and not i["Adjustment"]]


def pick_orders(
    server, *, count: int = 1, min_lines: int = 1, storefront: str | None = None, unshipped: bool = True
) -> list[dict]:
    found = []
    for truth in server.truth()["orders"]:
        if truth["Customer"]["ShipTo"] is None or (unshipped and truth["Shipments"]):
            continue
        if storefront and truth["Storefront"]["name"] != storefront:
            continue
        if len(physical_items(truth)) >= min_lines:
            found.append(truth)
        if len(found) == count:
            return found
    raise AssertionError(f"the sandbox has fewer than {count} orders with {min_lines}+ physical lines")


def store_truth(server, order_number: str) -> dict:
    return next(o for o in server.truth()["orders"] if o["OrderNumber"] == order_number)


def set_emails(store, *, confirmation: bool, delivery: bool, **branding) -> StoreSettings:
    settings = store.settings
    settings.send_shipment_confirmation = confirmation
    settings.send_delivery_notice = delivery
    for name, value in branding.items():
        setattr(settings, name, value)
    settings.save()
    return settings


def relay_all(now=None, **kwargs) -> int:
    """Relay everything due (a test's stand-in for the worker and the minute sweep).

    With `now` in the future it is one pass: a failure's next attempt, computed from the real clock,
    would otherwise fall due again at once.
    """
    if now is not None:
        return outbox_relay(limit=10_000, now=now, **kwargs)
    total = 0
    while done := outbox_relay(limit=100, **kwargs):
        total += done
    return total


def pending_count() -> int:
    return OutboxMessage.objects.filter(state=OutboxState.PENDING).count()


@pytest.fixture
def shop(sandbox_factory):
    return sandbox_factory(orders=120, seed=7)


@pytest.fixture
def store(tenant_a, shop):
    return connect_sandbox(tenant_a, shop, name="Harbor & Pine")


@pytest.fixture
def rest_store(tenant_a, shop):
    """A REST store on the `shop` sandbox, with a call limit out of the way and its storefronts' shipped statuses
    recorded."""
    store = connect_sandbox(tenant_a, shop, name="Harbor & Pine", road="rest")
    shop.set_call_limit(100_000)
    # On this road the store does not say which status a storefront gives shipped orders: Outbound's record does.
    for front in shop.truth(include_orders=False)["storefronts"]:
        Storefront.objects.update_or_create(
            store=store, name=front["name"], defaults={"shipped_status": front["shipped_status"]}
        )
    return store
