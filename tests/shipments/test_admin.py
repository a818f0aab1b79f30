"""The operators' admin: failed store updates are visible and the actions call the services."""

import pytest
from django.core.management import call_command
from django.http import Http404

from outbox.models import OutboxMessage, OutboxState
from shipments.models import Shipment, ShipmentState
from shipments.selectors import failed_store_updates, shipment_get
from shipments.services import shipment_create
from tests.factories import operator_sign_in

from .conftest import order_from_truth, pick_orders, set_emails, store_truth


@pytest.fixture
def failed(store, shop):
    set_emails(store, confirmation=False, delivery=False)
    order = order_from_truth(store, pick_orders(shop)[0])
    shipment = shipment_create(order=order, carrier="UPS", tracking_number="1ZADMIN")
    shop.set_faults(down=True)
    OutboxMessage.objects.update(max_attempts=1)
    call_command("outbox_relay", "--once")
    shop.reset_faults()
    return shipment


def test_failed_updates_are_listed_and_retry_now_delivers(client, operator, failed, shop):
    operator_sign_in(client, operator)
    page = client.get("/admin/outbox/outboxmessage/", {"state__exact": "failed"})
    assert page.status_code == 200 and b"Store update" in page.content and b"Failed" in page.content
    message = OutboxMessage.objects.get(state=OutboxState.FAILED)
    client.post("/admin/outbox/outboxmessage/", {"action": "retry_now", "_selected_action": [message.pk]})
    assert OutboxMessage.objects.get(pk=message.pk).state == OutboxState.SENT
    assert [s["TrackingNumber"] for s in store_truth(shop, failed.order.number)["Shipments"]] == ["1ZADMIN"]


def test_the_shipment_page_links_its_outbox_messages(client, operator, failed, store, shop):
    """The outbox has no foreign key to shipments: the page finds the shipment's rows by their ref."""
    operator_sign_in(client, operator)
    other = shipment_create(
        order=order_from_truth(store, pick_orders(shop, count=2)[1]), carrier="UPS", tracking_number="1ZOTHER"
    )
    page = client.get(f"/admin/shipments/shipment/{failed.pk}/change/").content.decode()
    mine = OutboxMessage.objects.get(ref=f"shipment:{failed.pk}")
    theirs = OutboxMessage.objects.get(ref=f"shipment:{other.pk}")
    assert f"/admin/outbox/outboxmessage/{mine.pk}/change/" in page and "failed, 1 attempt(s)" in page
    assert f"/admin/outbox/outboxmessage/{theirs.pk}/change/" not in page


def test_shipment_actions_mark_delivered_void_and_retry(client, operator, failed):
    operator_sign_in(client, operator)
    assert client.get("/admin/shipments/shipment/", {"store_update_state__exact": "failed"}).status_code == 200
    assert client.get(f"/admin/shipments/shipment/{failed.pk}/change/").status_code == 200
    client.post("/admin/shipments/shipment/", {"action": "retry_store_update", "_selected_action": [failed.pk]})
    assert Shipment.objects.get(pk=failed.pk).store_update_state == OutboxState.SENT
    client.post("/admin/shipments/shipment/", {"action": "mark_delivered", "_selected_action": [failed.pk]})
    assert Shipment.objects.get(pk=failed.pk).state == ShipmentState.DELIVERED
    client.post("/admin/shipments/shipment/", {"action": "void", "_selected_action": [failed.pk]})
    assert Shipment.objects.get(pk=failed.pk).state == ShipmentState.VOIDED


def test_shipments_are_scoped_to_their_tenant(failed, tenant_a, tenant_b):
    assert shipment_get(tenant=tenant_a, pk=failed.pk) == failed
    assert list(failed_store_updates(tenant=tenant_a)) == [failed]
    with pytest.raises(Http404):
        shipment_get(tenant=tenant_b, pk=failed.pk)
    assert not failed_store_updates(tenant=tenant_b).exists()
    assert not OutboxMessage.objects.for_tenant(tenant_b).exists()
