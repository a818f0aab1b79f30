"""The connector registry: a store's connection type picks its connector, never `if platform == ...`."""

import pytest

from stores.connector import client_for_store
from stores.connector.builtin import CustomStoreConnector
from stores.connector.protocol import OperationNotSupported, StoreConnector
from stores.connector.registry import (
    UnknownConnectionType,
    connection_type,
    connection_types,
    connector_for_store,
    register,
    unregister,
)
from stores.models import Platform, Storefront
from stores.services import store_create
from tests import factories


def test_every_platform_choice_has_a_registered_connector():
    assert set(Platform.values) <= set(connection_types())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "platform,url,endpoint",
    [
        ("americommerce", "https://shop.example.com", "https://shop.example.com/store/shipstation.aspx"),
        # Any cart: the URL exactly as given, no AmeriCommerce path added.
        (
            "custom_store",
            "https://shop.example.com/shipstation/feed.php?key=1",
            "https://shop.example.com/shipstation/feed.php?key=1",
        ),
    ],
)
def test_lookup_builds_the_xml_connector_for_each_platform(platform, url, endpoint):
    tenant = factories.make_tenant("Reg")
    store = store_create(tenant=tenant, name="S", url=url, username="u", password="p", platform=platform)
    with connector_for_store(store) as connector:
        assert isinstance(connector, CustomStoreConnector) and isinstance(connector, StoreConnector)
        assert connector.endpoint_url == endpoint
    assert store.connection is connection_type(platform)


def test_the_old_name_is_the_registry_lookup():
    # Anything with endpoint_url, username and get_password (no platform) is the default type.
    class Bare:
        endpoint_url = "https://shop.example.com/x"
        username = "u"

        def get_password(self):
            return "p"

    assert isinstance(client_for_store(Bare()), CustomStoreConnector)


def test_an_unknown_connection_type_is_an_error():
    with pytest.raises(UnknownConnectionType, match="no-such-cart"):
        connection_type("no-such-cart")


def test_a_registered_type_is_what_the_lookup_builds():
    built = []

    @register("test-cart", label="Test cart")
    def factory(store, **options):
        built.append((store, options))
        return "the connector"

    class Store:
        platform = "test-cart"

    try:
        store = Store()
        assert connector_for_store(store, read_timeout=3.0) == "the connector"
        assert built == [(store, {"read_timeout": 3.0})]
    finally:
        unregister("test-cart")
    with pytest.raises(UnknownConnectionType):
        connector_for_store(Store())


@pytest.mark.django_db
def test_xml_road_cannot_fetch_one_order_and_describes_what_outbound_knows():
    tenant = factories.make_tenant("Desc")
    store = store_create(
        tenant=tenant,
        name="S",
        url="https://shop.example.com",
        username="u",
        password="p",
        mapping={"shipped": "Shipped, Completed Shipped", "on_hold": "On Hold"},
    )
    Storefront.objects.create(store=store, name="Main", shipped_status="Shipped")
    with connector_for_store(store) as connector:
        assert connector.supports_fetch_order is False
        with pytest.raises(OperationNotSupported) as raised:
            connector.fetch_order("1001")
        assert raised.value.permanent
        described = connector.describe()
    names = [s.name for s in described.statuses]
    assert {"Shipped", "Completed Shipped", "On Hold", "New"} <= set(names) and not described.listed
    assert [(f.name, f.shipped_status) for f in described.storefronts] == [("Main", "Shipped")]


@pytest.mark.django_db
def test_any_cart_storefronts_carry_no_shipped_status():
    tenant = factories.make_tenant("Any")
    store = store_create(
        tenant=tenant, name="S", url="https://cart.example.com/ss", username="u", password="p", platform="custom_store"
    )
    Storefront.objects.create(store=store, name="Main", shipped_status="Shipped")
    with connector_for_store(store) as connector:
        assert [(f.name, f.shipped_status) for f in connector.describe().storefronts] == [("Main", "")]
