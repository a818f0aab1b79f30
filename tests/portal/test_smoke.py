import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    "name",
    [
        "portal:dashboard",
        "portal:order_list",
        "portal:store_list",
        "portal:connect_start",
        "portal:connect_details",
        "portal:users",
        "portal:api_keys",
    ],
)
def test_alice_sees_page(alice_client, store_a, order_a, name):
    assert alice_client.get(reverse(name)).status_code == 200


def test_order_and_settings_pages_render(alice_client, order_a, run_a, unmapped_a, shipment_a):
    assert alice_client.get(reverse("portal:order_detail", args=[order_a.pk])).status_code == 200
    assert alice_client.get(reverse("portal:order_ship", args=[order_a.pk])).status_code == 200
    assert alice_client.get(reverse("portal:store_settings", args=[order_a.store_id])).status_code == 200
