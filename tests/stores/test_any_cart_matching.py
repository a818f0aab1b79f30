"""Status matching is a property of the platform: AmeriCommerce ignores case, any cart matches it exactly."""

import pytest
from django.core.exceptions import ValidationError

from stores import statuses
from stores.forms import StatusMappingForm
from stores.models import StatusMapping, Store
from stores.services import store_create
from tests import factories


def test_exact_key_keeps_case_and_evens_out_commas_and_spaces():
    table = statuses.build_lookup(
        {"shipped": "Shipped", "awaiting_shipment": "Approved Pending Shipping"}, statuses.exact_status
    )
    assert statuses.map_status(table, "Shipped") == "shipped"
    assert statuses.map_status(table, "shipped") is None and statuses.map_status(table, "SHIPPED") is None
    assert statuses.map_status(table, " Approved,  Pending Shipping ") == "awaiting_shipment"


def test_a_plain_dict_still_matches_without_case():
    assert statuses.map_status({"shipped": "shipped"}, "SHIPPED") == "shipped"


@pytest.mark.django_db
@pytest.mark.parametrize("platform,matches_lower_case", [("americommerce", True), ("custom_store", False)])
def test_the_store_mapping_matches_by_its_platform_rule(platform, matches_lower_case):
    store = store_create(
        tenant=factories.make_tenant("M"),
        name="S",
        url="https://cart.example.com/ss",
        username="u",
        password="p",
        platform=platform,
        mapping={"shipped": "Shipped"},
    )
    mapping = StatusMapping.objects.get(store=store)
    assert mapping.map("Shipped") == "shipped"
    assert (mapping.map("shipped") == "shipped") is matches_lower_case


@pytest.mark.django_db
def test_any_cart_keeps_case_variants_apart_and_they_are_no_conflict():
    store = store_create(
        tenant=factories.make_tenant("M"),
        name="S",
        url="https://cart.example.com/ss",
        username="u",
        password="p",
        platform="custom_store",
        mapping={"awaiting_shipment": "Paid, paid", "on_hold": "PAID"},
    )
    mapping = StatusMapping.objects.get(store=store)
    assert mapping.awaiting_shipment == "Paid, paid" and mapping.on_hold == "PAID"
    assert mapping.map("paid") == "awaiting_shipment" and mapping.map("PAID") == "on_hold"


@pytest.mark.django_db
def test_americommerce_still_refuses_case_variants_in_two_lists():
    store = store_create(
        tenant=factories.make_tenant("M"), name="S", url="https://shop.example.com", username="u", password="p"
    )
    mapping = StatusMapping.objects.get(store=store)
    mapping.awaiting_shipment, mapping.on_hold = "Paid", "PAID"
    with pytest.raises(ValidationError, match="one list only"):
        mapping.full_clean(exclude=["store"])


def test_an_any_cart_mapping_form_says_case_matters():
    draft = StatusMapping(store=Store(platform="custom_store"))
    form = StatusMappingForm(instance=draft)
    assert "case matters" in str(form["shipped"].help_text)
    assert "does not matter" in str(StatusMappingForm(instance=StatusMapping())["shipped"].help_text)


@pytest.mark.django_db
def test_any_cart_starts_with_empty_lists_and_americommerce_with_its_defaults():
    tenant = factories.make_tenant("M")
    any_cart = store_create(
        tenant=tenant, name="A", url="https://cart.example.com/ss", username="u", password="p", platform="custom_store"
    )
    ameri = store_create(tenant=tenant, name="B", url="https://shop.example.com", username="u", password="p")
    assert set(StatusMapping.objects.get(store=any_cart).lists().values()) == {""}
    assert StatusMapping.objects.get(store=ameri).shipped == statuses.DEFAULT_MAPPING[statuses.SHIPPED]
    assert any_cart.endpoint_path == "" and any_cart.endpoint_url == "https://cart.example.com/ss"
