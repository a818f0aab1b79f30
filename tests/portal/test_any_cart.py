"""The connect wizard and the store pages for a "Custom Store (any cart)" store: a platform choice on
the details step, wording from the platform's name (never AmeriCommerce's), case-sensitive statuses."""

from django.urls import reverse

from stores.models import StatusMapping, Store
from stores.services import store_create


def _details(server, **extra):
    data = {
        "platform": "custom_store",
        "name": "Corner Cart",
        "url": server.endpoint_url,
        "username": server.username,
        "password": server.password,
    }
    data.update(extra)
    return data


def test_details_step_offers_the_platforms(alice_client):
    page = alice_client.get(reverse("portal:connect_details")).content.decode()
    assert 'name="platform"' in page and "Custom Store (any cart)" in page and 'value="americommerce"' in page


def test_wizard_connects_an_any_cart_store(alice_client, sandbox, tenant_a):
    response = alice_client.post(reverse("portal:connect_details"), _details(sandbox))
    assert response["Location"] == reverse("portal:connect_mapping")
    response = alice_client.get(reverse("portal:connect_mapping"))
    page = response.content.decode()
    assert "case matters" in page and "AmeriCommerce" not in page
    assert all(not response.context["form"].initial[name] for name in StatusMapping.FIELDS)
    data = {
        "awaiting_payment": "Pending Payment",
        "awaiting_shipment": "New, Processing",
        "shipped": "Shipped",
        "cancelled": "Cancelled",
        "on_hold": "On Hold, on hold",
        "since": "2020-01-01",
    }
    alice_client.post(reverse("portal:connect_mapping"), data)
    store = Store.objects.for_tenant(tenant_a).get()
    assert (store.platform, store.endpoint_path, store.endpoint_url) == ("custom_store", "", sandbox.endpoint_url)
    assert store.status_mapping.on_hold == "On Hold, on hold"  # two statuses when case matters


def test_a_details_step_without_a_platform_is_americommerce(alice_client, sandbox, tenant_a):
    data = _details(sandbox, url=sandbox.base_url, endpoint_path="/store/shipstation.aspx")
    del data["platform"]
    alice_client.post(reverse("portal:connect_details"), data)
    page = alice_client.get(reverse("portal:connect_mapping")).content.decode()
    assert "Case does not matter" in page and "AmeriCommerce" in page


def test_wrong_any_cart_address_is_explained_without_americommerce(alice_client, sandbox):
    body = alice_client.post(
        reverse("portal:connect_details"), _details(sandbox, url=sandbox.base_url + "/nothing-here")
    ).content.decode()
    assert 'data-outcome="not_an_endpoint"' in body and "Custom Store (any cart)" in body
    assert "Tools › Apps &amp; Add-ons" not in body


def test_store_pages_name_the_platform(alice_client, tenant_a):
    store = store_create(
        tenant=tenant_a,
        name="Corner Cart",
        url="https://cart.example.com/ss",
        username="u",
        password="p",
        platform="custom_store",
    )
    listing = alice_client.get(reverse("portal:store_list")).content.decode()
    assert "Custom Store (any cart)" in listing and "AmeriCommerce" not in listing
    page = alice_client.get(reverse("portal:store_settings", args=[store.pk]))
    body = page.content.decode()
    assert "Platform: Custom Store (any cart)" in body and "AmeriCommerce" not in body
    assert "endpoint_path" not in page.context["forms"]["connection"].fields
    alice_client.cookies["django_language"] = "fr"
    body = alice_client.get(reverse("portal:store_settings", args=[store.pk])).content.decode()
    assert "Plateforme : Custom Store (tout panier)" in body


def test_americommerce_store_pages_keep_their_path_field(alice_client, store_a):
    page = alice_client.get(reverse("portal:store_settings", args=[store_a.pk]))
    assert "Platform: AmeriCommerce" in page.content.decode()
    assert "endpoint_path" in page.context["forms"]["connection"].fields
