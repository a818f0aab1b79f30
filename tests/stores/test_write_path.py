"""One write path per object: the store, its status mapping and products are written by their app's
services, which validate what they write; the admin goes through them like the portal and the API."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from orders.models import ImportRun, Product, UnmappedStatus
from orders.services import product_update, status_mapping_update
from stores.models import StatusMapping, Store, StoreSettings
from stores.services import store_update
from tests import factories

pytestmark = pytest.mark.django_db

ADMIN_STORE = {
    "name": "Added in the admin",
    "platform": "americommerce",
    "url": "https://shop.example.com",
    "endpoint_path": "/store/shipstation.aspx",
    "username": "shipstation-admin",
    "password": "admin-typed-pass",
    "is_active": "on",
    "import_interval_minutes": 15,
    "reconcile_every_hours": 24,
    "reconcile_days": 30,
    "storefronts-TOTAL_FORMS": 0,
    "storefronts-INITIAL_FORMS": 0,
    "status_mapping-TOTAL_FORMS": 0,
    "status_mapping-INITIAL_FORMS": 0,
    "settings-TOTAL_FORMS": 0,
    "settings-INITIAL_FORMS": 0,
}


def _on_sandbox(server) -> dict:
    """The admin's add form for a store on a running sandbox (the admin tests the connection first)."""
    return {**ADMIN_STORE, "url": server.base_url, "username": server.username, "password": server.password}


def test_a_store_added_in_the_admin_gets_its_mapping_and_settings_from_store_create(
    client, operator, tenant_a, sandbox
):
    factories.operator_sign_in(client, operator)
    response = client.post("/admin/stores/store/add/", {**_on_sandbox(sandbox), "tenant": tenant_a.pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    store = Store.objects.get(name="Added in the admin")
    assert store.get_password() == sandbox.password
    assert StatusMapping.objects.get(store=store).lists() == StatusMapping(store=store).lists()
    assert StoreSettings.objects.get(store=store).company_name == "Added in the admin"


def test_settings_typed_on_the_admin_add_page_update_the_created_ones(client, operator, tenant_a, sandbox):
    factories.operator_sign_in(client, operator)
    data = {
        **_on_sandbox(sandbox),
        "tenant": tenant_a.pk,
        "settings-TOTAL_FORMS": 1,
        "settings-0-company_name": "Acme Ltd",
        "settings-0-accent_colour": "#112233",
        "settings-0-default_weight_unit": "Pounds",
        "settings-0-send_shipment_confirmation": "on",
        "settings-0-buyer_language": "en",
    }
    response = client.post("/admin/stores/store/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    settings = StoreSettings.objects.get(store__name="Added in the admin")
    assert (settings.company_name, settings.accent_colour) == ("Acme Ltd", "#112233")


def test_a_mapping_edited_in_the_admin_forgets_the_statuses_mapped_now(client, operator, store_a, monkeypatch):
    monkeypatch.setattr("orders.services.enqueue_import", lambda run_id: None)
    seen = timezone.now() - dt.timedelta(days=3)
    UnmappedStatus.objects.create(
        store=store_a, key="gift wrap queue", status="Gift Wrap Queue", order_count=2, earliest_modified=seen
    )
    mapping = store_a.status_mapping
    lists = {**mapping.lists(), "on_hold": mapping.on_hold + ", Gift Wrap Queue"}
    data = {
        **ADMIN_STORE,
        "tenant": store_a.tenant_id,
        "name": store_a.name,
        "password": "",
        "status_mapping-TOTAL_FORMS": 1,
        "status_mapping-INITIAL_FORMS": 1,
        "status_mapping-0-id": mapping.pk,
        "status_mapping-0-store": store_a.pk,
        **{f"status_mapping-0-{f}": v for f, v in lists.items()},
    }
    factories.operator_sign_in(client, operator)
    response = client.post(f"/admin/stores/store/{store_a.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert store_a.status_mapping.__class__.objects.get(pk=mapping.pk).map("gift wrap queue") == "on_hold"
    assert not UnmappedStatus.objects.filter(store=store_a).exists()
    assert ImportRun.objects.get(store=store_a).since == seen


def test_store_update_validates_lengths_and_saves_nothing_when_refused(store_a):
    with pytest.raises(ValidationError) as refused:
        store_update(store=store_a, name="x" * 201)
    assert "name" in refused.value.message_dict
    assert Store.objects.get(pk=store_a.pk).name != "x" * 201


def test_store_update_writes_only_what_is_edited(store_a):
    """A stale copy (a form, an API call) must not put back the import engine's bookkeeping."""
    stale = Store.objects.get(pk=store_a.pk)
    watermark = timezone.now() - dt.timedelta(minutes=5)
    factories.import_state_set(store_a, import_watermark=watermark, consecutive_failures=2)
    store_update(store=stale, name="Renamed", password="a-new-pass")
    store_a.refresh_from_db()
    assert (
        store_a.name,
        factories.import_state(store_a).import_watermark,
        factories.import_state(store_a).consecutive_failures,
    ) == ("Renamed", watermark, 2)
    assert store_a.get_password() == "a-new-pass"


def test_store_update_refuses_the_engines_fields(store_a):
    with pytest.raises(TypeError, match="import_watermark"):
        store_update(store=store_a, import_watermark=timezone.now())


def test_status_mapping_update_makes_a_missing_mapping_and_refuses_unknown_lists(store_a):
    StatusMapping.objects.filter(store=store_a).delete()
    saved = status_mapping_update(store=store_a, lists={"on_hold": "Fraud Review"})
    assert StatusMapping.objects.get(store=store_a).map("fraud review") == "on_hold" and saved.run is None
    with pytest.raises(ValidationError):
        status_mapping_update(store=store_a, lists={"lost": "Whatever"})


def test_status_mapping_update_refuses_a_status_in_two_lists(store_a):
    with pytest.raises(ValidationError):
        status_mapping_update(store=store_a, lists={"on_hold": "Fraud Review", "cancelled": "fraud review"})
    assert store_a.status_mapping.__class__.objects.get(store=store_a).map("fraud review") is None


def test_product_update_validates_what_it_writes(store_a):
    product = Product.objects.create(store=store_a, sku="SKU-1")
    with pytest.raises(ValidationError) as refused:
        product_update(product=Product.objects.get(pk=product.pk), warehouse_location="A" * 101)
    assert "warehouse_location" in refused.value.message_dict
    with pytest.raises(ValidationError):
        product_update(product=Product.objects.get(pk=product.pk), weight_unit="Stones")
    product.refresh_from_db()
    assert (product.warehouse_location, product.location_set_in_outbound) == ("", False)
    product_update(product=product, warehouse_location="A-12-3")
    product.refresh_from_db()
    assert (product.warehouse_location, product.location_set_in_outbound) == ("A-12-3", True)


def test_the_admin_does_not_move_a_store_to_another_tenant(client, operator, store_a, tenant_b):
    data = {**ADMIN_STORE, "tenant": tenant_b.pk, "name": "Renamed", "password": ""}
    factories.operator_sign_in(client, operator)
    response = client.post(f"/admin/stores/store/{store_a.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    store_a.refresh_from_db()
    assert store_a.name == "Renamed" and store_a.tenant_id != tenant_b.pk


def test_a_location_set_in_the_admin_goes_through_product_update(client, operator, store_a):
    product = Product.objects.create(store=store_a, sku="SKU-1", name="Mug")
    factories.operator_sign_in(client, operator)
    url = f"/admin/orders/product/{product.pk}/change/"
    response = client.post(url, {"warehouse_location": "B-2", "weight": "", "weight_unit": "", "sku": "HIJACK"})
    assert response.status_code == 302, response.content.decode()[:2000]
    product.refresh_from_db()
    assert (product.sku, product.warehouse_location, product.location_set_in_outbound) == ("SKU-1", "B-2", True)
    response = client.post(url, {"warehouse_location": "B" * 101, "weight": "", "weight_unit": ""})
    assert response.status_code == 200  # the column's limit, as a form error
    product.refresh_from_db()
    assert product.warehouse_location == "B-2"
