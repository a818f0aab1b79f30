"""Issue 28 part 5: the admin keeps the invariants the portal and the API keep. An order's notes are edited
through order_set_notes (a history event, a disconnected store's orders read only); a store is deleted through
store_delete (its shipments first) and its settings saved through store_settings_update; the store form tests
the connection before it saves, and a wrong password shows the store's own words with nothing saved."""

import html

import pytest

from orders.models import Order, OrderEvent
from stores.models import Store, StoreSettings
from stores.services import store_disconnect
from tests.factories import connect_sandbox, make_detailed_order, make_shipment, operator_sign_in

from .test_rest_admin import _form

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, operator):
    operator_sign_in(client, operator)
    return client


def _notes(order, **changes) -> dict:
    return {
        "notes_to_buyer": order.notes_to_buyer,
        "outbound_notes": order.outbound_notes,
        "lines-TOTAL_FORMS": 0,
        "lines-INITIAL_FORMS": 0,
        "events-TOTAL_FORMS": 0,
        "events-INITIAL_FORMS": 0,
        **changes,
    }


def test_notes_edited_in_the_admin_are_in_the_orders_history(admin_client, store_a):
    order = make_detailed_order(store_a)
    url = f"/admin/orders/order/{order.pk}/change/"
    response = admin_client.post(url, _notes(order, outbound_notes="Fragile: pack twice"))
    assert response.status_code == 302, response.content.decode()[:1500]
    assert Order.objects.get(pk=order.pk).outbound_notes == "Fragile: pack twice"
    event = OrderEvent.objects.get(order=order, kind="notes")
    assert event.actor == "operator" and event.data == {"fields": ["outbound_notes"]}


def test_a_disconnected_stores_order_notes_are_not_edited_in_the_admin(admin_client, store_a):
    order = make_detailed_order(store_a)
    store_disconnect(store=store_a)
    response = admin_client.post(f"/admin/orders/order/{order.pk}/change/", _notes(order, outbound_notes="x"))
    assert response.status_code == 200 and "is disconnected" in response.content.decode()
    assert Order.objects.get(pk=order.pk).outbound_notes == "" and not OrderEvent.objects.filter(kind="notes").exists()


def test_the_order_page_offers_only_the_notes(admin_client, store_a):
    order = make_detailed_order(store_a)
    page = admin_client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert 'name="outbound_notes"' in page and 'name="status"' not in page
    admin_client.post(f"/admin/orders/order/{order.pk}/change/", _notes(order, status="shipped"))
    assert Order.objects.get(pk=order.pk).status == order.status


def test_a_store_with_shipments_is_deleted_from_the_admin_through_the_service(admin_client, store_a):
    make_shipment(make_detailed_order(store_a), tracking_number="1ZDELETE")
    response = admin_client.post(f"/admin/stores/store/{store_a.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302, response.content.decode()[:1500]
    assert not Store.objects.filter(pk=store_a.pk).exists()


def test_store_settings_typed_in_the_admin_are_saved_through_the_service(admin_client, store_a):
    settings = StoreSettings.objects.get(store=store_a)
    data = _form(
        store_a,
        **{
            "settings-TOTAL_FORMS": 1,
            "settings-INITIAL_FORMS": 1,
            "settings-0-id": settings.pk,
            "settings-0-store": store_a.pk,
            "settings-0-company_name": "Acme Shipping Dept",
            "settings-0-accent_colour": settings.accent_colour,
            "settings-0-default_weight_unit": settings.default_weight_unit,
            "settings-0-send_shipment_confirmation": "on",
            "settings-0-send_estimated_delivery": "on",  # issue 33's notice and the buyers' language
            "settings-0-buyer_language": "fr",
        },
    )
    response = admin_client.post(f"/admin/stores/store/{store_a.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    fresh = StoreSettings.objects.get(store=store_a)
    assert fresh.company_name == "Acme Shipping Dept" and fresh.send_shipment_confirmation
    assert fresh.send_estimated_delivery and fresh.buyer_language == "fr"


def test_a_wrong_password_shows_the_stores_own_words(admin_client, tenant_a, sandbox):
    store = connect_sandbox(tenant_a, sandbox)
    page = admin_client.post(f"/admin/stores/store/{store.pk}/change/", _form(store, password="wrong")).content.decode()
    assert "The connection test failed, so nothing was saved" in page
    assert "401" in page or "password" in page.split("nothing was saved", 1)[1][:400].lower()
    assert Store.objects.get(pk=store.pk).get_password() == sandbox.password


def test_the_order_page_shows_its_shipping_choices_read_only(admin_client, store_a, tenant_a, alice):
    from orders.rules import services as rules

    order = make_detailed_order(store_a)
    rules.orders_assignee_set(tenant=tenant_a, orders=[order], user=alice, actor="alice")
    page = html.unescape(admin_client.get(f"/admin/orders/order/{order.pk}/change/").content.decode())
    assert "Shipping choices" in page and alice.username in page and '"by": "person"' in page
    assert 'name="assignee"' not in page and 'name="shipping_preset"' not in page
