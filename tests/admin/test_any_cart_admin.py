"""The admin lets an operator choose a store's platform; an any-cart store's storefronts carry no
shipped status."""

import pytest

from stores.models import Storefront
from stores.services import store_create
from tests.factories import operator_sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, operator):
    operator_sign_in(client, operator)
    return client


def test_store_form_offers_the_platforms(admin_client):
    html = admin_client.get("/admin/stores/store/add/").content.decode()
    assert 'value="custom_store"' in html and "Custom Store (any cart)" in html


def test_storefront_shipped_status_only_where_the_platform_has_one(admin_client, tenant_a, store_a):
    any_cart = store_create(
        tenant=tenant_a,
        name="Corner",
        url="https://cart.example.com/ss",
        username="u",
        password="p",
        platform="custom_store",
    )
    for store in (store_a, any_cart):
        Storefront.objects.create(store=store, name="Main", shipped_status="Shipped")
    ameri = admin_client.get(f"/admin/stores/store/{store_a.pk}/change/").content.decode()
    other = admin_client.get(f"/admin/stores/store/{any_cart.pk}/change/").content.decode()
    assert "storefronts-0-shipped_status" in ameri
    assert "storefronts-0-name" in other and "storefronts-0-shipped_status" not in other
