"""Issue 28, part 4: "each road needs its credential" lives in the store service (store_credentials_check);
the admin's store form, the portal's road switch and the API's serializer only show its refusal on the field,
in its words."""

import pytest
from django.core.exceptions import ValidationError

from api.services import api_key_create
from portal.forms import SwitchToXmlForm
from stores.forms import StoreAdminForm
from stores.models import RestAuth, Road, Store
from stores.services import CREDENTIAL_MISSING, store_create, store_update
from tests.api.conftest import bearer

SHOP = {"name": "Shop", "url": "https://shop.example.com"}


@pytest.mark.parametrize(
    "given, field",
    [
        ({"username": "admin"}, "password"),  # the XML road without its password
        ({"road": Road.REST}, "api_token"),  # the REST road without a token
        ({"road": Road.REST, "rest_auth": RestAuth.OAUTH}, "rest_auth"),  # the OAuth app, no handshake
    ],
)
def test_the_service_refuses_a_road_without_its_credential(tenant_a, given, field):
    with pytest.raises(ValidationError) as refused:
        store_create(tenant=tenant_a, **SHOP, **given)
    assert refused.value.message_dict == {field: [str(CREDENTIAL_MISSING[field])]}
    assert not Store.objects.exists()


def test_a_switch_back_uses_the_credential_saved_before(tenant_a):
    store = store_create(tenant=tenant_a, **SHOP, username="admin", password="pw")
    with pytest.raises(ValidationError, match="API token"):
        store_update(store=store, road=Road.REST, rest_auth=RestAuth.TOKEN)  # no token ever saved
    assert Store.objects.get(pk=store.pk).road == Road.XML
    store = Store.objects.get(pk=store.pk)
    store_update(store=store, road=Road.REST, rest_auth=RestAuth.TOKEN, api_token="tok")
    store_update(store=store, road=Road.XML)  # the password saved before is its credential
    store_update(store=store, road=Road.REST)  # and back: the token saved before
    assert Store.objects.get(pk=store.pk).road == Road.REST


def test_the_admin_form_shows_the_services_words(tenant_a):
    form = StoreAdminForm(
        data={
            "tenant": tenant_a.pk,
            **SHOP,
            "platform": "americommerce",
            "road": Road.REST,
            "rest_auth": RestAuth.TOKEN,
            "import_interval_minutes": 15,
            "reconcile_every_hours": 24,
            "reconcile_days": 7,
        }
    )
    assert not form.is_valid()
    assert form.errors["api_token"] == [str(CREDENTIAL_MISSING["api_token"])]


def test_the_portal_road_switch_shows_the_services_words(tenant_a):
    store = store_create(tenant=tenant_a, **SHOP, road=Road.REST, api_token="tok")  # no password ever saved
    form = SwitchToXmlForm({"road-username": "admin", "road-password": ""}, prefix="road", store=store)
    assert not form.is_valid()
    assert form.errors["password"] == [str(CREDENTIAL_MISSING["password"])]


def test_the_api_shows_the_services_words(tenant_a, alice):
    api = bearer(api_key_create(tenant=tenant_a, name="k", read_only=False, user=alice)[1])
    response = api.post("/api/v1/stores/", {**SHOP, "road": "xml", "username": "admin"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"]["password"] == [str(CREDENTIAL_MISSING["password"])]
    response = api.post("/api/v1/stores/", {**SHOP, "road": "rest"}, format="json")
    assert response.json()["error"]["details"]["api_token"] == [str(CREDENTIAL_MISSING["api_token"])]
    assert not Store.objects.exists()
