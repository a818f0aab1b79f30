"""A "Custom Store (any cart)" store imports over the same XML road: its endpoint URL as given, its
statuses matched case-sensitively."""

import pytest

from orders.models import Order, SkippedOrder, UnmappedStatus
from orders.services import import_store_now
from stores.services import store_create

from .conftest import mapping_with_customs
from .test_import import SINCE

pytestmark = pytest.mark.django_db


def test_any_cart_store_imports_with_case_sensitive_statuses(sandbox_factory, tenant_a):
    server = sandbox_factory(orders=120, seed=7, page_size=25)
    mapping = mapping_with_customs()
    entries = [e.strip() for e in mapping["awaiting_shipment"].split(",")]
    mapping["awaiting_shipment"] = ", ".join("processing" if e == "Processing" else e for e in entries)
    store = store_create(
        tenant=tenant_a,
        name="Any cart",
        url=server.endpoint_url,
        username=server.username,
        password=server.password,
        platform="custom_store",
        mapping=mapping,
    )
    assert store.endpoint_url == server.endpoint_url
    run = import_store_now(store=store, since=SINCE())
    assert run.state == "succeeded", run.error
    statuses_in_store = {o["OrderStatus"] for o in server.truth()["orders"]}
    assert {"Processing", "Pending Processing"} <= statuses_in_store
    imported = set(Order.objects.filter(store=store).values_list("store_status", flat=True))
    assert "Processing" not in imported and "Pending Processing" in imported
    assert SkippedOrder.objects.filter(store=store, store_status="Processing").exists()
    assert UnmappedStatus.objects.filter(store=store, status="Processing").exists()
