"""The shipping setup, edited in the portal, the API and the admin: ship-from locations (and each store's
default), package presets (one default per tenant), product dimensions and default package, and a carrier
account's "use for labels" and ship-from. Every write through carriers.services; another tenant's rows are
out of reach everywhere."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from api.services import api_key_create
from carriers.models import CarrierAccount, PackagePreset, ShipFrom
from carriers.selectors import ship_from_for, store_default_ship_from
from carriers.services import (
    carrier_account_create,
    package_preset_create,
    ship_from_create,
    store_default_ship_from_set,
)
from orders.parcels import order_parcel
from tests.api.conftest import bearer
from tests.factories import make_detailed_order, make_line, make_order, make_product
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db

DOCK = {"name": "Dock", "street1": "1 Dock Road", "city": "Austin", "state": "tx", "postal_code": "78701"}


@pytest.fixture
def alice_client(alice):
    return signed_in(alice)


@pytest.fixture
def bob_client(bob):
    return signed_in(bob)


@pytest.fixture
def charlie_client(charlie):
    return signed_in(charlie)


# --- services ----------------------------------------------------------------------------------------


def test_one_default_preset_per_tenant_and_the_flag_moves(tenant_a, tenant_b):
    small = package_preset_create(tenant=tenant_a, name="Small", length=10, width=8, height=4, is_default=True)
    other = package_preset_create(tenant=tenant_b, name="Theirs", length=1, width=1, height=1, is_default=True)
    large = package_preset_create(tenant=tenant_a, name="Large", length=20, width=16, height=10, is_default=True)
    assert list(PackagePreset.objects.filter(is_default=True).order_by("pk")) == [other, large]
    small.refresh_from_db()
    assert small.is_default is False
    with pytest.raises(ValidationError) as refused:
        package_preset_create(tenant=tenant_a, name="small", length=0, width=8, height=4)
    assert set(refused.value.message_dict) == {"length"}
    with pytest.raises(ValidationError) as refused:
        package_preset_create(tenant=tenant_a, name="small", length=1, width=8, height=4)
    assert "already have one named" in str(refused.value)


def test_a_store_ships_from_its_default_unless_the_account_names_its_own(tenant_a, tenant_b, store_a, store_b):
    dock = ship_from_create(tenant=tenant_a, **DOCK)
    assert (dock.state, dock.country) == ("TX", "US")
    back_room = ship_from_create(tenant=tenant_a, **{**DOCK, "name": "Back room"})
    assert store_default_ship_from(store=store_a) is None
    store_default_ship_from_set(store=store_a, ship_from=dock)
    store_default_ship_from_set(store=store_a, ship_from=dock)  # one row per store, however often
    account = carrier_account_create(
        tenant=tenant_a, carrier="FedEx", client_id="k", client_secret="s", use_for_labels=True
    )
    assert ship_from_for(store=store_a, account=account) == dock
    account.ship_from = back_room
    assert ship_from_for(store=store_a, account=account) == back_room
    with pytest.raises(ValidationError):  # another tenant's location is not theirs to use
        store_default_ship_from_set(store=store_b, ship_from=dock)
    with pytest.raises(ValidationError):
        carrier_account_create(tenant=tenant_b, carrier="UPS", client_id="k", client_secret="s", ship_from=dock)
    dock.delete()
    assert store_default_ship_from(store=store_a) is None  # SET_NULL: the store keeps no default


# --- the order's parcel ------------------------------------------------------------------------------


def test_an_order_is_read_into_a_parcel_with_its_products_weights_and_default_package(tenant_a, store_a):
    order = make_detailed_order(store_a, number="A-7", sku="MUG-RED")
    order.lines.filter(sku="MUG-RED").update(unit_weight=None, weight_unit="", quantity=2)
    make_line(order, line_key="9", position=9, sku="SOCK", quantity=3, unit_weight=Decimal(4), weight_unit="Ounces")
    outcome = order_parcel(order)
    # The coupon and the e-book are not shipped; the mug has no weight; no package, no ship-from yet.
    assert outcome.problems == [
        "no weight for 1 of 2 lines: MUG-RED",
        "no package: choose a package preset",
        "no ship-from address for this store",
    ]
    mug = make_product(store_a, sku="MUG-RED")
    mug.weight, mug.weight_unit = Decimal("1.5"), "Pounds"
    mug.save()
    package_preset_create(tenant=tenant_a, name="Default box", length=12, width=12, height=12, is_default=True)
    tube = package_preset_create(
        tenant=tenant_a,
        name="Tube",
        length=30,
        width=8,
        height=8,
        dimension_unit="cm",
        empty_weight=100,
        weight_unit="Grams",
    )
    PackagePreset.objects.filter(pk=tube.pk)  # the mug ships in the tube by default
    from orders.services import product_update

    product_update(product=mug, default_package=tube)
    store_default_ship_from_set(store=store_a, ship_from=ship_from_create(tenant=tenant_a, **DOCK))
    outcome = order_parcel(order)
    assert outcome.problems == []
    parcel = outcome.request
    # 2 × 1.5 lb (1360.78 g) + 3 × 4 oz (340.19 g) + the tube's 100 g = 1.80097 kg
    assert (parcel.weight, parcel.weight_unit, parcel.package_name, parcel.dimension_unit) == (
        Decimal("1.81"),
        "KG",
        "Tube",
        "CM",
    )
    assert (parcel.reference, parcel.ship_from.postal_code, parcel.ship_to.street1) == ("A-7", "78701", "1 Main St")
    # Asked for another package: that one, in pounds.
    default = PackagePreset.objects.get(name="Default box")
    assert order_parcel(order, package=default).request.weight_unit == "LB"


def test_a_line_without_a_ship_to_postal_code_is_named(tenant_a, store_a):
    order = make_order(store_a, ship_to={"name": "Pat", "address1": "9 Elm", "city": "Denver", "country": "US"})
    order.lines.update(unit_weight=Decimal(1), weight_unit="Pounds")
    package_preset_create(tenant=tenant_a, name="Box", length=1, width=1, height=1, is_default=True)
    store_default_ship_from_set(store=store_a, ship_from=ship_from_create(tenant=tenant_a, **DOCK))
    assert order_parcel(order).problems == ["the ship-to address has no postal code"]


# --- the portal --------------------------------------------------------------------------------------


def test_the_portal_adds_edits_and_deletes_a_package_after_a_confirmation(alice_client, tenant_a):
    url = reverse("portal:package_preset_index")
    response = alice_client.post(
        url,
        {
            "new-name": "Small box",
            "new-length": "10",
            "new-width": "8",
            "new-height": "4",
            "new-dimension_unit": "in",
            "new-empty_weight": "6",
            "new-weight_unit": "Ounces",
            "new-is_default": "on",
        },
    )
    assert response.status_code == 302
    preset = PackagePreset.objects.get(tenant=tenant_a)
    assert (preset.name, preset.is_default, preset.empty_weight) == ("Small box", True, Decimal(6))
    assert "10 × 8 × 4 in" in alice_client.get(url).content.decode()
    refused = alice_client.post(
        url,
        {
            "new-name": "small BOX",
            "new-length": "0",
            "new-width": "1",
            "new-height": "1",
            "new-dimension_unit": "in",
            "new-empty_weight": "0",
            "new-weight_unit": "Ounces",
        },
    )
    assert refused.status_code == 400 and PackagePreset.objects.count() == 1
    edit = reverse("portal:package_preset_edit", args=[preset.pk])
    alice_client.post(
        edit,
        {
            "edit-name": "Small box",
            "edit-length": "11",
            "edit-width": "8",
            "edit-height": "4",
            "edit-dimension_unit": "in",
            "edit-empty_weight": "6",
            "edit-weight_unit": "Ounces",
        },
    )
    preset.refresh_from_db()
    assert (preset.length, preset.is_default) == (Decimal(11), False)
    delete = reverse("portal:package_preset_delete", args=[preset.pk])
    page = alice_client.get(delete).content.decode()
    assert "Delete this package preset?" in page and PackagePreset.objects.exists()  # GET only asks
    assert alice_client.post(delete).status_code == 302
    assert not PackagePreset.objects.exists()


def test_the_portal_adds_a_location_and_sets_each_stores_default(alice_client, tenant_a, store_a, store_b):
    url = reverse("portal:ship_from_index")
    response = alice_client.post(url, {f"new-{k}": v for k, v in {**DOCK, "country": "us", "company": "Acme"}.items()})
    assert response.status_code == 302
    dock = ShipFrom.objects.get(tenant=tenant_a)
    assert (dock.country, dock.company) == ("US", "Acme")
    # The defaults form: a foreign store or location in the post changes nothing of theirs.
    alice_client.post(url, {"section": "defaults", f"store-{store_a.pk}": dock.pk, f"store-{store_b.pk}": dock.pk})
    assert store_default_ship_from(store=store_a) == dock and store_default_ship_from(store=store_b) is None
    page = alice_client.get(url).content.decode()
    assert f'<option value="{dock.pk}" selected>' in page
    alice_client.post(reverse("portal:ship_from_delete", args=[dock.pk]))
    assert not ShipFrom.objects.exists() and store_default_ship_from(store=store_a) is None


def test_the_carrier_account_form_sets_labels_and_a_ship_from_of_the_tenant_only(
    alice_client, tenant_a, tenant_b, monkeypatch
):
    monkeypatch.setattr("carriers.gateway.test_credentials", lambda account: ("unreachable", "no carrier here"))
    dock = ship_from_create(tenant=tenant_a, **DOCK)
    theirs = ship_from_create(tenant=tenant_b, **DOCK)
    url = reverse("portal:carrier_accounts")
    page = alice_client.get(url).content.decode()
    assert 'value="FedEx"' in page and f'value="{dock.pk}"' in page and f'value="{theirs.pk}"' not in page
    base = {"new-carrier": "FedEx", "new-client_id": "key", "new-client_secret": "secret", "new-account_number": "7"}
    refused = alice_client.post(url, {**base, "new-ship_from": theirs.pk, "new-use_for_labels": "on"})
    assert refused.status_code == 200 and not CarrierAccount.objects.exists()
    alice_client.post(url, {**base, "new-ship_from": dock.pk, "new-use_for_labels": "on"})
    account = CarrierAccount.objects.get()
    assert (account.carrier, account.use_for_labels, account.ship_from, account.account_number) == (
        "FedEx",
        True,
        dock,
        "7",
    )
    assert "Ships from Dock" in alice_client.get(url).content.decode()
    alice_client.post(reverse("portal:carrier_account_edit", args=[account.pk]), {"edit-name": "FedEx main"})
    account.refresh_from_db()
    assert (account.name, account.use_for_labels, account.ship_from, account.credentials()["client_id"]) == (
        "FedEx main",
        False,
        None,
        "key",
    )


def test_a_viewer_cannot_open_the_setup_pages_and_an_outsider_sees_none_of_them(bob_client, charlie_client, tenant_a):
    ship_from_create(tenant=tenant_a, **DOCK)
    package_preset_create(tenant=tenant_a, name="Secret box", length=1, width=1, height=1)
    for name in ("portal:ship_from_index", "portal:package_preset_index"):
        assert bob_client.get(reverse(name)).status_code == 403
        body = charlie_client.get(reverse(name)).content.decode()
        assert "Dock" not in body and "Secret box" not in body


# --- the API -----------------------------------------------------------------------------------------


@pytest.fixture
def api_a(tenant_a, alice):
    return bearer(api_key_create(tenant=tenant_a, name="wms", read_only=False, user=alice)[1])


@pytest.fixture
def api_b(tenant_b, charlie):
    return bearer(api_key_create(tenant=tenant_b, name="theirs", read_only=False, user=charlie)[1])


def test_the_api_edits_presets_and_locations(api_a, tenant_a):
    created = api_a.post(
        "/api/v1/package-presets/",
        {"name": "Box", "length": "10", "width": "8", "height": "4", "dimension_unit": "in", "is_default": True},
        format="json",
    )
    assert created.status_code == 201, created.content
    preset_id = created.json()["id"]
    second = api_a.post(
        "/api/v1/package-presets/",
        {"name": "Tube", "length": "30", "width": "8", "height": "8", "dimension_unit": "cm", "is_default": True},
        format="json",
    )
    assert second.status_code == 201
    assert api_a.get(f"/api/v1/package-presets/{preset_id}/").json()["is_default"] is False
    assert api_a.patch(f"/api/v1/package-presets/{preset_id}/", {"height": "5"}, format="json").json()["height"] == (
        "5.00"
    )
    duplicate = api_a.post(
        "/api/v1/package-presets/", {"name": "box", "length": "1", "width": "1", "height": "1"}, format="json"
    )
    assert duplicate.status_code == 400 and duplicate.json()["error"]["code"] == "invalid"
    location = api_a.post("/api/v1/ship-from/", {**DOCK, "country": "US"}, format="json")
    assert location.status_code == 201 and location.json()["state"] == "TX"
    assert api_a.post("/api/v1/ship-from/", {**DOCK, "name": "X", "country": "USA"}, format="json").status_code == 400
    assert api_a.delete(f"/api/v1/ship-from/{location.json()['id']}/").status_code == 204
    assert not ShipFrom.objects.exists()
    listed = api_a.get("/api/v1/package-presets/").json()
    assert [p["name"] for p in listed["results"]] == ["Box", "Tube"]


@pytest.mark.parametrize("path", ["package-presets", "ship-from"])
@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_the_api_outsider_gets_404(api_b, tenant_a, path, method):
    row = (
        package_preset_create(tenant=tenant_a, name="Box", length=1, width=1, height=1)
        if path == "package-presets"
        else ship_from_create(tenant=tenant_a, **DOCK)
    )
    response = getattr(api_b, method)(f"/api/v1/{path}/{row.pk}/", {"name": "Sneaky"}, format="json")
    assert response.status_code == 404
    assert type(row).objects.get(pk=row.pk).name == row.name
    assert api_b.get(f"/api/v1/{path}/").json()["results"] == []


def test_a_read_only_key_and_a_member_cannot_write(tenant_a, alice):
    read_only = bearer(api_key_create(tenant=tenant_a, name="reports", read_only=True, user=alice)[1])
    assert read_only.post("/api/v1/ship-from/", {**DOCK}, format="json").status_code == 403
    assert not ShipFrom.objects.exists()


def test_the_products_endpoint_sets_dimensions_and_a_default_package_of_the_tenant_only(
    api_a, tenant_a, tenant_b, store_a
):
    product = make_product(store_a, sku="MUG")
    mine = package_preset_create(tenant=tenant_a, name="Box", length=1, width=1, height=1)
    theirs = package_preset_create(tenant=tenant_b, name="Theirs", length=1, width=1, height=1)
    url = f"/api/v1/products/{product.pk}/"
    refused = api_a.patch(url, {"default_package": theirs.pk}, format="json")
    assert refused.status_code == 400
    response = api_a.patch(
        url,
        {"length": "12.5", "width": "4", "height": "4", "dimension_unit": "in", "default_package": mine.pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["length"], body["dimension_unit"], body["default_package"]) == ("12.50", "in", mine.pk)
    assert api_a.patch(url, {"length": "0"}, format="json").status_code == 400
    assert api_a.patch(url, {"default_package": None}, format="json").json()["default_package"] is None


# --- the admin ---------------------------------------------------------------------------------------


def test_the_admin_saves_and_deletes_through_the_services(operator, tenant_a):
    client = signed_in(operator)
    response = client.post(
        reverse("admin:carriers_packagepreset_add"),
        {
            "tenant": tenant_a.pk,
            "name": "Box",
            "length": "10",
            "width": "8",
            "height": "4",
            "dimension_unit": "in",
            "empty_weight": "0",
            "weight_unit": "Ounces",
            "is_default": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    first = PackagePreset.objects.get()
    client.post(
        reverse("admin:carriers_packagepreset_add"),
        {
            "tenant": tenant_a.pk,
            "name": "Tube",
            "length": "10",
            "width": "8",
            "height": "4",
            "dimension_unit": "in",
            "empty_weight": "0",
            "weight_unit": "Ounces",
            "is_default": "on",
        },
    )
    first.refresh_from_db()
    assert first.is_default is False  # the service moved the flag, as everywhere
    client.post(reverse("admin:carriers_packagepreset_delete", args=[first.pk]), {"post": "yes"})
    assert list(PackagePreset.objects.values_list("name", flat=True)) == ["Tube"]
    response = client.post(
        reverse("admin:carriers_shipfrom_add"),
        {"tenant": tenant_a.pk, **DOCK, "country": "US"},
    )
    assert response.status_code == 302 and ShipFrom.objects.get().state == "TX"
    assert client.get(reverse("admin:carriers_carrieraccount_changelist")).status_code == 200
