"""The store settings page reads without writing, and saves through the stores services."""

import pytest
from django.urls import reverse

from orders.models import ImportRun, UnmappedStatus
from stores.models import StatusMapping, StoreSettings

pytestmark = pytest.mark.django_db


def test_opening_the_settings_page_of_a_store_without_mapping_or_settings_writes_nothing(alice_client, store_a):
    StatusMapping.objects.filter(store=store_a).delete()
    StoreSettings.objects.filter(store=store_a).delete()
    response = alice_client.get(reverse("portal:store_settings", args=[store_a.pk]))
    assert response.status_code == 200
    assert response.context["settings"].company_name == store_a.name
    assert not StatusMapping.objects.filter(store=store_a).exists()
    assert not StoreSettings.objects.filter(store=store_a).exists()


def test_the_mapping_section_saves_a_missing_mapping_through_the_service(
    alice_client, store_a, unmapped_a, monkeypatch
):
    monkeypatch.setattr("orders.services.enqueue_import", lambda run_id: None)
    StatusMapping.objects.filter(store=store_a).delete()
    lists = {**StatusMapping(store=store_a).lists(), "awaiting_shipment": "Pending, Awaiting Pickup"}
    response = alice_client.post(
        reverse("portal:store_settings", args=[store_a.pk]),
        {"section": "mapping", **{f"mapping-{k}": v for k, v in lists.items()}},
        follow=True,
    )
    assert StatusMapping.objects.get(store=store_a).map("awaiting pickup") == "awaiting_shipment"
    assert not UnmappedStatus.objects.filter(pk=unmapped_a.pk).exists()
    assert ImportRun.objects.get(store=store_a).since == unmapped_a.earliest_modified
    assert "being imported" in response.content.decode()


def test_one_click_add_on_a_store_without_mapping(alice_client, store_a, unmapped_a, monkeypatch):
    monkeypatch.setattr("orders.services.enqueue_import", lambda run_id: None)
    StatusMapping.objects.filter(store=store_a).delete()
    alice_client.post(reverse("portal:unmapped_add", args=[store_a.pk, unmapped_a.pk]), {"outbound_status": "on_hold"})
    assert StatusMapping.objects.get(store=store_a).map("awaiting pickup") == "on_hold"


def test_one_click_add_of_another_tenants_status_is_404(alice_client, store_a, store_b):
    foreign = UnmappedStatus.objects.create(store=store_b, key="x", status="X")
    response = alice_client.post(
        reverse("portal:unmapped_add", args=[store_a.pk, foreign.pk]), {"outbound_status": "on_hold"}
    )
    assert response.status_code == 404
