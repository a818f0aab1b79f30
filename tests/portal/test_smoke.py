import pytest
from django.urls import reverse

from tests import factories


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


@pytest.mark.parametrize("name", ["portal:dashboard", "portal:store_list"])
def test_idle_checks_show_as_last_checked_under_the_last_import(alice_client, store_a, run_a, name):
    """An idle check writes no run, so the last import can be an hour old on a store checked a minute ago."""
    import datetime as dt

    from django.utils import timezone

    from orders.models import ImportRun
    from stores.models import Store

    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    ImportRun.objects.filter(pk=run_a.pk).update(queued_at=an_hour_ago)
    factories.import_state_set(store_a, last_import_at=an_hour_ago, last_checked_at=None)
    assert "Last checked" not in alice_client.get(reverse(name)).content.decode()
    factories.import_state_set(store_a, last_checked_at=timezone.now() - dt.timedelta(minutes=2))
    assert "Last checked 2\xa0minutes ago" in alice_client.get(reverse(name)).content.decode()
    Store.objects.filter(pk=store_a.pk).update(is_active=False)
    assert "Last checked" not in alice_client.get(reverse(name)).content.decode()
