"""The REST road on the Store model: road and auth choice, encrypted write-only secrets, the API root, the
connection type chosen by platform + road."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from stores import crypto
from stores.connector import registry
from stores.models import RestAuth, Road, Store, StoreSecret
from stores.platforms.americommerce.rest import RestConnector
from stores.services import store_create, store_mark_needs_reconnect, store_set_api_token, store_set_oauth_tokens


def rest_store(tenant, **kwargs):
    return store_create(
        tenant=tenant,
        name="REST shop",
        url="https://shop.example.com/",
        road=Road.REST,
        api_token="tok-123-secret",
        **kwargs,
    )


def test_rest_store_needs_no_username_and_keeps_its_token_encrypted(tenant_a):
    store = rest_store(tenant_a)
    store.refresh_from_db()
    assert store.road == Road.REST and store.username == ""
    assert "tok-123-secret" not in str(store.secret_documents)
    assert store.get_api_token() == "tok-123-secret"
    assert store.connection_type == "americommerce_rest"
    assert store.rest_base_url == "https://shop.example.com/api/v1"
    assert store.endpoint_url == "https://shop.example.com/api/v1"
    assert store.platform_name == "AmeriCommerce"
    assert registry.connection_type("americommerce_rest").road == "rest"
    assert "tok-123-secret" not in repr(store)


def test_the_registry_builds_the_rest_connector(tenant_a):
    connector = registry.connector_for_store(rest_store(tenant_a))
    assert isinstance(connector, RestConnector)
    assert connector.base_url == "https://shop.example.com/api/v1"
    assert connector.supports_fetch_order is True
    assert connector.tokens.token() == "tok-123-secret"


def test_xml_road_still_needs_a_username(tenant_a):
    with pytest.raises(ValidationError) as info:
        store_create(tenant=tenant_a, name="x", url="https://shop.example.com", username="", password="pw")
    assert "username" in info.value.message_dict


def test_any_cart_has_no_rest_road(tenant_a):
    with pytest.raises(ValidationError) as info:
        store_create(
            tenant=tenant_a,
            name="x",
            url="https://shop.example.com",
            platform="custom_store",
            road=Road.REST,
            api_token="t",
        )
    assert "road" in info.value.message_dict


def test_oauth_tokens_and_reconnect_state(tenant_a):
    store = rest_store(tenant_a, rest_auth=RestAuth.OAUTH, oauth_pending=True)  # its tokens follow
    store_mark_needs_reconnect(store=store, reason="The store refused the refresh token.")
    store.refresh_from_db()
    assert store.needs_reconnect and "refused" in store.reconnect_reason
    store_set_oauth_tokens(store=store, access_token="acc-1", refresh_token="ref-1", scope="read_orders")
    store.refresh_from_db()
    assert not store.needs_reconnect and store.reconnect_reason == ""
    assert store.get_oauth_access_token() == "acc-1" and store.get_oauth_refresh_token() == "ref-1"
    assert "acc-1" not in str(store.secret_documents)
    assert registry.connector_for_store(store).tokens.token() == "acc-1"
    store_set_api_token(store=store, api_token="tok-2")
    assert Store.objects.get(pk=store.pk).get_api_token() == "tok-2"


def test_every_rest_secret_is_registered_for_rotation():
    # Every kind of secret document (the password, the API token, the OAuth set) is a StoreSecret row.
    assert (StoreSecret, "document_encrypted") in crypto.ENCRYPTED_FIELDS
