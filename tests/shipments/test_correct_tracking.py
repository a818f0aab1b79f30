"""Issue 28 part 5: an operator corrects a mistyped tracking number through the admin, and the invariants hold:
the number follows the one rule, the link follows the number, the store is sent the new one (over HTTP, the
sandbox store's truth), the order's history says so; a tenant's users cannot reach it; nothing else of a
shipment is edited in the admin."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError

from orders.models import OrderEvent
from outbox.models import OutboxMessage, OutboxState
from shipments.models import Shipment, shipment_ref, tracking_url_for
from shipments.services import shipment_correct_tracking_number, shipment_create, shipment_void
from stores.services import store_disconnect
from tests.factories import make_user, operator_sign_in

from .conftest import order_from_truth, pick_orders, relay_all, set_emails, store_truth

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(store, shop):
    """A shipment whose store update was sent with the wrong number."""
    set_emails(store, confirmation=False, delivery=False)
    shipment = shipment_create(
        order=order_from_truth(store, pick_orders(shop)[0]), carrier="UPS", tracking_number="1ZWRONG01"
    )
    relay_all()
    return shipment


ACTION = "correct_tracking_number"


def _url(shipment) -> str:
    return f"/admin/shipments/shipment/{shipment.pk}/correct-tracking/"


def test_an_operator_corrects_the_number_after_a_confirmation_and_the_store_gets_it(client, operator, shipped, shop):
    operator_sign_in(client, operator)
    action = {"action": "correct_tracking_number", "_selected_action": [shipped.pk]}
    assert client.post("/admin/shipments/shipment/", action)["Location"] == _url(shipped)
    page = client.post(_url(shipped), {"tracking_number": "1Z 999-AA1 01"}).content.decode()
    assert "1Z999AA101" in page and 'name="confirm"' in page  # the number as it will be stored, to confirm
    assert Shipment.objects.get(pk=shipped.pk).tracking_number == "1ZWRONG01"  # nothing changed yet
    response = client.post(_url(shipped), {"tracking_number": "1Z999AA101", "confirm": "1"})
    assert response.status_code == 302 and response["Location"] == f"/admin/shipments/shipment/{shipped.pk}/change/"
    fresh = Shipment.objects.get(pk=shipped.pk)
    assert (fresh.tracking_number, fresh.tracking_url) == ("1Z999AA101", tracking_url_for("UPS", "1Z999AA101"))
    assert fresh.store_update_state == OutboxState.PENDING  # a new store update: the first one was sent
    relay_all()
    truth = store_truth(shop, shipped.order.number)["Shipments"]
    assert [s["TrackingNumber"] for s in truth] == ["1ZWRONG01", "1Z999AA101"]  # a store cannot forget the first
    assert Shipment.objects.get(pk=shipped.pk).store_update_state == OutboxState.SENT
    event = OrderEvent.objects.get(order=shipped.order, kind="tracking_corrected")
    assert (event.actor, event.params["old"], event.params["new"]) == ("operator", "1ZWRONG01", "1Z999AA101")


def test_a_store_update_still_waiting_carries_the_corrected_number(store, shop):
    set_emails(store, confirmation=False, delivery=False)
    order = order_from_truth(store, pick_orders(shop)[0])
    shipment = shipment_create(order=order, carrier="UPS", tracking_number="1ZX")
    shipment_correct_tracking_number(shipment=shipment, tracking_number="1ZRIGHT", actor="operator")
    assert OutboxMessage.objects.filter(ref=shipment_ref(shipment.pk)).count() == 1
    relay_all()
    assert [s["TrackingNumber"] for s in store_truth(shop, shipment.order.number)["Shipments"]] == ["1ZRIGHT"]


def test_the_correction_refuses_in_the_rules_words_and_changes_nothing(client, operator, shipped):
    operator_sign_in(client, operator)
    page = client.post(_url(shipped), {"tracking_number": "1Z,999", "confirm": "1"}).content.decode()
    assert "Tracking number “1Z,999”: only letters and digits" in page
    page = client.post(_url(shipped), {"tracking_number": "1ZWRONG01", "confirm": "1"}).content.decode()
    assert "already the shipment&#x27;s tracking number" in page
    with pytest.raises(ValidationError, match="voided"):
        shipment_void(shipment=shipped, actor="operator")
        shipment_correct_tracking_number(shipment=shipped, tracking_number="1ZNEW", actor="operator")
    assert Shipment.objects.get(pk=shipped.pk).tracking_number == "1ZWRONG01"
    assert not OrderEvent.objects.filter(kind="tracking_corrected").exists()


def test_a_disconnected_stores_shipment_is_not_corrected(client, operator, shipped, store):
    store_disconnect(store=store)
    operator_sign_in(client, operator)
    page = client.post(_url(shipped), {"tracking_number": "1ZNEW", "confirm": "1"}).content.decode()
    assert "is disconnected" in page
    assert Shipment.objects.get(pk=shipped.pk).tracking_number == "1ZWRONG01"


@pytest.mark.parametrize("who", ["alice", "charlie"])
def test_tenant_users_cannot_reach_the_correction(client, request, who, shipped):
    client.force_login(request.getfixturevalue(who))
    for response in (
        client.get(_url(shipped)),
        client.post(_url(shipped), {"tracking_number": "1ZNEW", "confirm": "1"}),
        client.post("/admin/shipments/shipment/", {"action": ACTION, "_selected_action": [shipped.pk]}),
    ):
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert Shipment.objects.get(pk=shipped.pk).tracking_number == "1ZWRONG01"


def test_staff_who_may_only_view_shipments_cannot_correct(client, shipped):
    viewer = make_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_shipment"))
    operator_sign_in(client, viewer)  # staff: the second factor first, then the permission decides
    assert client.get(_url(shipped)).status_code == 403
    assert "correct_tracking_number" not in client.get("/admin/shipments/shipment/").content.decode()


def test_the_shipment_page_edits_nothing_and_deletes_nothing(client, operator, shipped):
    operator_sign_in(client, operator)
    page = client.get(f"/admin/shipments/shipment/{shipped.pk}/change/").content.decode()
    assert 'name="order"' not in page and 'name="tracking_number"' not in page and 'name="tenant"' not in page
    assert _url(shipped) in page  # the correction is offered from the page
    client.post(f"/admin/shipments/shipment/{shipped.pk}/change/", {"tracking_number": "1ZSNEAK", "tenant": 999})
    assert Shipment.objects.get(pk=shipped.pk).tracking_number == "1ZWRONG01"
    assert client.get(f"/admin/shipments/shipment/{shipped.pk}/delete/").status_code == 403
