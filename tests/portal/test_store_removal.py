"""Issue 25 item 5: a store cannot be connected twice, and an owner can disconnect it (orders kept, read only;
imports, real time and tracking stopped) or delete it with its data after typing its name."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from shipments.models import Shipment
from stores.models import Membership, Role, Store
from stores.selectors import store_site_key
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "a,b,same",
    [
        ("https://shop.example.com", "http://www.Shop.example.com:80/", True),
        ("https://shop.example.com/", "https://shop.example.com:443", True),
        ("https://shop.example.com", "https://shop.example.com:8443", False),
        ("https://shop.example.com", "https://other.example.com", False),
    ],
)
def test_the_site_key_ignores_scheme_www_default_port_and_trailing_slash(a, b, same):
    assert (store_site_key(url=a, platform="americommerce") == store_site_key(url=b, platform="americommerce")) is same


def test_an_any_cart_endpoint_keeps_its_query():
    key = store_site_key
    assert key(url="https://c.example.com/ss?store=1", platform="custom_store") != key(
        url="https://c.example.com/ss?store=2", platform="custom_store"
    )


# --- refusing a second connection -------------------------------------------------------------------------


def test_the_wizard_refuses_the_same_store_by_the_other_road_with_a_link(alice_client, tenant_a, sandbox):
    first = factories.connect_sandbox(tenant_a, sandbox)  # the ShipStation add-on road
    asked = sandbox.requests_served.get("total", 0)
    data = {"road": "rest", "name": "Again", "url": sandbox.base_url + "/", "api_token": sandbox.rest_token}
    response = alice_client.post(reverse("portal:connect_details") + "?road=rest", data)
    page = response.content.decode()
    assert response.status_code == 200 and "already connected as" in page
    assert f'href="{reverse("portal:store_settings", args=[first.pk])}"' in page
    assert Store.objects.for_tenant(tenant_a).count() == 1 and "connect_store" not in alice_client.session
    assert sandbox.requests_served.get("total", 0) == asked  # refused before the store was asked


def test_the_wizard_refuses_at_the_last_step_a_store_connected_meanwhile(alice_client, tenant_a, sandbox):
    details = {
        "name": "Sandbox",
        "url": sandbox.base_url,
        "username": sandbox.username,
        "password": sandbox.password,
        "endpoint_path": "/store/shipstation.aspx",
    }
    assert alice_client.post(reverse("portal:connect_details"), details).status_code == 302
    factories.connect_sandbox(tenant_a, sandbox, name="Meanwhile")  # another tab finished first
    form = alice_client.get(reverse("portal:connect_mapping")).context["form"]
    data = {name: form.initial[name] for name in form.fields} | {"since": "2020-01-01"}
    page = alice_client.post(reverse("portal:connect_mapping"), data).content.decode()
    assert "already connected as" in page and Store.objects.for_tenant(tenant_a).count() == 1


def test_another_tenant_may_connect_the_same_store(charlie_client, tenant_a, tenant_b, sandbox):
    factories.connect_sandbox(tenant_a, sandbox)
    data = {"road": "rest", "name": "Bravo", "url": sandbox.base_url, "api_token": sandbox.rest_token}
    response = charlie_client.post(reverse("portal:connect_details") + "?road=rest", data)
    assert response.status_code == 302 and response["Location"] == reverse("portal:connect_mapping")


# --- disconnecting ---------------------------------------------------------------------------------------


@pytest.fixture
def shipped(store_a, alice):
    order = factories.make_detailed_order(store_a, number="A-300", sku="MUG")
    other = factories.make_detailed_order(store_a, number="A-301", sku="MUG")
    shipment = factories.make_shipment(order, carrier="UPS", tracking_number="1Z999", user=alice)
    return order, other, shipment


def test_an_owner_disconnects_a_store_after_a_confirmation_page(alice_client, store_a, shipped):
    order, other, _ = shipped
    url = reverse("portal:store_disconnect", args=[store_a.pk])
    page = alice_client.get(url).content.decode()
    assert "read only" in page and 'id="store-disconnect"' in page
    assert Store.objects.get(pk=store_a.pk).disconnected_at is None  # the page alone changes nothing
    assert alice_client.post(url).status_code == 302
    store = Store.objects.get(pk=store_a.pk)
    assert store.disconnected_at is not None and not store.is_active
    settings_page = alice_client.get(reverse("portal:store_settings", args=[store.pk])).content.decode()
    assert 'id="disconnected-note"' in settings_page and 'id="store-reconnect"' in settings_page
    # Its orders are kept and readable, but cannot be worked.
    assert alice_client.get(reverse("portal:order_detail", args=[other.pk])).status_code == 200
    ship = {"carrier": "UPS", "service": "Ground", "tracking_number": "1Z1", "ship_date": "2026-01-01"}
    alice_client.post(reverse("portal:order_ship", args=[other.pk]), ship)
    alice_client.post(reverse("portal:order_hold", args=[other.pk]), {"reason": "x"})
    assert not Shipment.objects.filter(order=other).exists()
    assert Order.objects.get(pk=other.pk).status == "awaiting_shipment"
    # Imports stop, and settings cannot be changed until it is connected again.
    alice_client.post(reverse("portal:store_import_now", args=[store.pk]))
    assert not store.import_runs.exists()


def test_a_disconnected_stores_shipments_are_not_tracked(store_a, shipped, tenant_a):
    from carriers.services import carrier_account_create
    from stores.services import store_disconnect
    from tracking.models import ShipmentTracking
    from tracking.services import tracking_due_batches, tracking_enroll

    carrier_account_create(
        tenant=tenant_a, carrier="UPS", client_id="i", client_secret="s", server_url="http://127.0.0.1:9"
    )
    store_disconnect(store=store_a)
    assert tracking_enroll() == 0
    ShipmentTracking.objects.all().delete()
    from stores.services import store_reconnect

    store_reconnect(store=Store.objects.get(pk=store_a.pk))
    assert tracking_enroll() == 1
    store_disconnect(store=Store.objects.get(pk=store_a.pk))
    assert tracking_due_batches(now=timezone.now() + dt.timedelta(days=1)) == []


def test_disconnecting_a_rest_store_removes_its_webhooks(
    alice_client, tenant_a, sandbox, settings, django_capture_on_commit_callbacks
):
    settings.PUBLIC_BASE_URL = "http://outbound.test"
    with django_capture_on_commit_callbacks(execute=True):
        store = factories.connect_sandbox(tenant_a, sandbox, road="rest")
    assert sandbox.truth(include_orders=False)["webhooks"]["subscriptions"]
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("portal:store_disconnect", args=[store.pk]))
    assert sandbox.truth(include_orders=False)["webhooks"]["subscriptions"] == []
    assert factories.realtime_row(store).token_hash == ""


def test_a_disconnected_store_is_connected_again(alice_client, store_a, shipped):
    alice_client.post(reverse("portal:store_disconnect", args=[store_a.pk]))
    assert alice_client.post(reverse("portal:store_reconnect", args=[store_a.pk])).status_code == 302
    store = Store.objects.get(pk=store_a.pk)
    assert store.is_active and store.disconnected_at is None


# --- deleting --------------------------------------------------------------------------------------------


def test_a_store_is_deleted_with_its_data_only_when_its_name_is_typed(alice_client, store_a, store_b, shipped):
    url = reverse("portal:store_delete", args=[store_a.pk])
    assert 'id="store-delete"' in alice_client.get(url).content.decode()
    response = alice_client.post(url, {"typed_name": "Acme"})
    assert response.status_code == 200 and "exactly as shown" in response.content.decode()
    assert Store.objects.filter(pk=store_a.pk).exists() and Order.objects.filter(store=store_a).count() == 2
    response = alice_client.post(url, {"typed_name": " Acme Main "})
    assert response.status_code == 302 and response["Location"] == reverse("portal:store_list")
    assert not Store.objects.filter(pk=store_a.pk).exists()
    assert not Order.objects.filter(store_id=store_a.pk).exists() and not Shipment.objects.exists()
    assert Store.objects.filter(pk=store_b.pk).exists()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MEMBER, Role.ADMIN])
def test_only_an_owner_disconnects_or_deletes(client, tenant_a, store_a, role):
    user = factories.make_user(f"someone-{role}")
    Membership.objects.create(tenant=tenant_a, user=user, role=role)
    client.force_login(user)
    for name, data in (("portal:store_disconnect", {}), ("portal:store_delete", {"typed_name": "Acme Main"})):
        url = reverse(name, args=[store_a.pk])
        assert client.get(url).status_code == 403 and client.post(url, data).status_code == 403
    store = Store.objects.get(pk=store_a.pk)
    assert store.is_active and store.disconnected_at is None
    page = client.get(reverse("portal:store_settings", args=[store_a.pk])).content.decode()
    assert reverse("portal:store_delete", args=[store_a.pk]) not in page


def test_the_store_page_refuses_an_address_another_store_has(alice_client, tenant_a, store_a):
    other = factories.make_store(tenant_a, name="Other", url="https://other.example.com")
    data = {
        "section": "connection",
        "connection-name": other.name,
        "connection-url": "https://www.shop.example.com/",
        "connection-username": other.username,
        "connection-import_interval_minutes": 15,
        "connection-is_active": "on",
    }
    page = alice_client.post(reverse("portal:store_settings", args=[other.pk]), data).content.decode()
    assert "already connected as" in page and reverse("portal:store_settings", args=[store_a.pk]) in page
    assert Store.objects.get(pk=other.pk).url == "https://other.example.com"


def test_connect_with_americommerce_refuses_a_store_connected_already(alice_client, store_a, settings):
    settings.AMERICOMMERCE_OAUTH_CLIENT_ID, settings.AMERICOMMERCE_OAUTH_SECRET = "app-id", "app-secret"
    data = {"name": "Again", "url": "https://shop.example.com/"}
    response = alice_client.post(reverse("portal:connect_oauth"), data)
    assert response.status_code == 200 and "already connected as" in response.content.decode()
