"""The API's stores show their road and take an access token write-only; a road switch keeps the
watermark; each road needs its own credential; the connection test names a missing scope."""

import datetime as dt

from django.utils import timezone

from stores.models import Road, Store
from tests import factories

TOKEN = "tok-api-0a1b2c3d4e"


def test_create_a_rest_store_with_a_token_never_returned(api_a, tenant_a):
    response = api_a.post(
        "/api/v1/stores/",
        {"name": "API", "url": "https://api.example.com", "road": "rest", "api_token": TOKEN},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["road"] == "rest" and body["rest_auth"] == "token" and body["has_api_token"]
    assert "api_token" not in body and TOKEN not in response.content.decode()
    store = Store.objects.get(pk=body["id"])
    assert store.get_api_token() == TOKEN and store.username == "" and not store.has_password


def test_the_rest_road_needs_a_token_and_the_xml_road_a_password(api_a):
    rest = api_a.post(
        "/api/v1/stores/", {"name": "API", "url": "https://api.example.com", "road": "rest"}, format="json"
    )
    assert rest.status_code == 400 and "api_token" in rest.json()["error"]["details"]
    xml = api_a.post("/api/v1/stores/", {"name": "X", "url": "https://x.example.com", "username": "u"}, format="json")
    assert xml.status_code == 400 and "password" in xml.json()["error"]["details"]


def test_switching_roads_keeps_the_watermark_and_needs_only_missing_credentials(api_a, store_a):
    mark = timezone.now() - dt.timedelta(hours=5)
    factories.import_state_set(store_a, import_watermark=mark)
    url = f"/api/v1/stores/{store_a.pk}/"
    assert api_a.patch(url, {"road": "rest"}, format="json").status_code == 400  # no token saved yet
    response = api_a.patch(url, {"road": "rest", "api_token": TOKEN}, format="json")
    assert response.status_code == 200 and response.json()["road"] == "rest"
    back = api_a.patch(url, {"road": "xml"}, format="json")  # the password is still saved
    assert back.status_code == 200 and back.json()["road"] == "xml"
    store = Store.objects.get(pk=store_a.pk)
    assert (store.road, factories.import_state(store).import_watermark, store.get_api_token()) == (
        Road.XML,
        mark,
        TOKEN,
    )


def test_connection_test_over_the_rest_road_names_the_missing_scope(api_a, tenant_a, sandbox):
    from stores.services import store_create

    store = store_create(
        tenant=tenant_a, name="Limited", url=sandbox.base_url, road="rest", api_token=sandbox.store.rest.limited_token
    )
    body = api_a.post(f"/api/v1/stores/{store.pk}/test-connection/").json()
    assert body["ok"] is False and body["outcome"] == "missing_scope" and body["missing_scope"] == "system"
