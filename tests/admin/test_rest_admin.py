"""The admin edits a store's road like the portal: the REST road's API token is write-only (never rendered
back, blank keeps it), switching roads keeps the watermark, and the OAuth state is shown, not edited."""

import datetime as dt

import pytest
from django.utils import timezone

from stores.models import Road, Store
from tests import factories
from tests.factories import connect_sandbox, operator_sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, operator):
    operator_sign_in(client, operator)
    return client


def _form(store, **changes):
    data = {
        "tenant": store.tenant_id,
        "name": store.name,
        "platform": store.platform,
        "road": store.road,
        "rest_auth": store.rest_auth,
        "url": store.url,
        "endpoint_path": store.endpoint_path,
        "username": store.username,
        "password": "",
        "api_token": "",
        "is_active": "on",
        "import_interval_minutes": 15,
        "storefronts-TOTAL_FORMS": 0,
        "storefronts-INITIAL_FORMS": 0,
        "status_mapping-TOTAL_FORMS": 0,
        "status_mapping-INITIAL_FORMS": 0,
        "settings-TOTAL_FORMS": 0,
        "settings-INITIAL_FORMS": 0,
    }
    data.update(changes)
    return data


def test_switching_a_store_to_the_rest_road_in_the_admin_keeps_the_token_write_only(admin_client, tenant_a, sandbox):
    TOKEN = sandbox.rest_token
    store_a = connect_sandbox(tenant_a, sandbox)
    mark = timezone.now() - dt.timedelta(hours=3)
    factories.import_state_set(store_a, import_watermark=mark)
    url = f"/admin/stores/store/{store_a.pk}/change/"
    response = admin_client.post(url, _form(store_a, road="rest", api_token=TOKEN))
    assert response.status_code == 302, response.content.decode()[:1500]
    store = Store.objects.get(pk=store_a.pk)
    assert (store.road, store.get_api_token(), factories.import_state(store).import_watermark) == (
        Road.REST,
        TOKEN,
        mark,
    )
    page = admin_client.get(url).content.decode()
    assert TOKEN not in page and 'name="api_token"' in page
    # Blank keeps the token; back to XML keeps it too (and the password).
    admin_client.post(url, _form(store, road="xml"))
    store = Store.objects.get(pk=store_a.pk)
    assert store.road == Road.XML and store.get_api_token() == TOKEN and store.has_password


def test_the_rest_road_needs_a_token(admin_client, store_a):
    response = admin_client.post(f"/admin/stores/store/{store_a.pk}/change/", _form(store_a, road="rest"))
    assert response.status_code == 200 and "Enter the API token" in response.content.decode()
    assert Store.objects.get(pk=store_a.pk).road == Road.XML


def test_a_rest_store_is_added_in_the_admin_with_a_token_and_no_username(admin_client, tenant_a, sandbox):
    TOKEN = sandbox.rest_token
    data = _form(
        Store(tenant=tenant_a, name="API shop", url=sandbox.base_url),
        road="rest",
        api_token=TOKEN,
        username="",
        endpoint_path="",
    )
    response = admin_client.post("/admin/stores/store/add/", data)
    assert response.status_code == 302, response.content.decode()[:1500]
    store = Store.objects.get(name="API shop")
    assert store.road == Road.REST and store.get_api_token() == TOKEN and hasattr(store, "status_mapping")


# --- issue 25 item 7: the admin tests the connection before it saves, as the portal does --------------------


def test_a_wrong_password_is_refused_by_the_store_and_nothing_is_saved(admin_client, tenant_a, sandbox):
    store = connect_sandbox(tenant_a, sandbox)
    url = f"/admin/stores/store/{store.pk}/change/"
    response = admin_client.post(url, _form(store, password="not-the-password", name="Renamed"))
    page = response.content.decode()
    assert response.status_code == 200 and "The connection test failed, so nothing was saved" in page
    fresh = Store.objects.get(pk=store.pk)
    assert fresh.get_password() == sandbox.password and fresh.name == store.name
    response = admin_client.post(url, _form(store, password=sandbox.password, name="Renamed"))
    assert response.status_code == 302, response.content.decode()[:1500]
    assert Store.objects.get(pk=store.pk).name == "Renamed"


def test_a_store_added_with_a_wrong_token_is_not_created(admin_client, tenant_a, sandbox):
    data = _form(
        Store(tenant=tenant_a, name="API shop", url=sandbox.base_url),
        road="rest",
        api_token="not-the-token",
        username="",
        endpoint_path="",
    )
    response = admin_client.post("/admin/stores/store/add/", data)
    assert response.status_code == 200 and "The connection test failed" in response.content.decode()
    assert not Store.objects.filter(name="API shop").exists()


def test_an_edit_that_reaches_the_store_no_differently_is_saved_without_a_test(admin_client, store_a):
    """store_a's site (shop.example.com) cannot be reached from here: a rename does not ask it."""
    response = admin_client.post(f"/admin/stores/store/{store_a.pk}/change/", _form(store_a, name="Renamed"))
    assert response.status_code == 302, response.content.decode()[:1500]


def test_the_admin_refuses_a_second_store_on_the_same_site_with_a_link(admin_client, tenant_a, sandbox):
    """Issue 25 item 5: the same site again (another scheme, a trailing slash, either road) is refused."""
    first = connect_sandbox(tenant_a, sandbox)
    data = _form(
        Store(tenant=tenant_a, name="Twice", url=sandbox.base_url + "/"),
        road="rest",
        api_token=sandbox.rest_token,
        username="",
        endpoint_path="",
    )
    response = admin_client.post("/admin/stores/store/add/", data)
    page = response.content.decode()
    assert response.status_code == 200 and "already connected as" in page
    assert f'href="/admin/stores/store/{first.pk}/change/"' in page
    assert not Store.objects.filter(name="Twice").exists()
