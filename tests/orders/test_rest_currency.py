"""The REST road's orders carry no currency (neither orders nor stores have one in the vendor's API): the
store's currency, recorded once in its settings, is written on them (issue 25, item 24)."""

import datetime as dt

import pytest
from django.utils import timezone

from orders.models import Order
from orders.services import import_store_now
from portal.forms import ProductHandlingForm
from stores.models import StoreSettings
from stores.services import storefront_record
from tests.factories import connect_sandbox

pytestmark = pytest.mark.django_db


def _import(store):
    import_store_now(store=store, since=timezone.now() - dt.timedelta(days=400))
    return Order.objects.filter(store=store)


def test_rest_orders_carry_the_stores_currency(tenant_a, sandbox_factory):
    store = connect_sandbox(tenant_a, sandbox_factory(orders=12, seed=5), road="rest")
    StoreSettings.objects.filter(store=store).update(currency="EUR")
    orders = _import(store)
    assert orders.count() > 0 and set(orders.values_list("currency", flat=True)) == {"EUR"}


def test_a_storefronts_currency_wins_over_the_stores_and_both_roads_agree(tenant_a, sandbox_factory):
    """The sandbox's Outlet storefront sells in CAD, the others in USD: what the XML road's orders say."""
    server = sandbox_factory(orders=40, seed=5)
    rest = connect_sandbox(tenant_a, server, road="rest", name="REST")
    xml = connect_sandbox(tenant_a, server, name="XML")
    StoreSettings.objects.filter(store=rest).update(currency="USD")
    storefront_record(store=rest, name="Outlet", currency="CAD")
    StoreSettings.objects.filter(store=xml).update(currency="EUR")  # the order's own code wins over both
    by_xml = dict(_import(xml).values_list("external_id", "currency"))
    by_rest = dict(_import(rest).values_list("external_id", "currency"))
    assert set(by_xml.values()) == {"USD", "CAD"} and by_rest == by_xml


def test_without_a_recorded_currency_rest_orders_have_none(tenant_a, sandbox_factory):
    rest = connect_sandbox(tenant_a, sandbox_factory(orders=12, seed=5), road="rest")
    assert set(_import(rest).values_list("currency", flat=True)) == {""}


@pytest.mark.parametrize("typed, saved", [("usd", "USD"), (" eur ", "EUR"), ("", "")])
def test_the_settings_form_takes_a_three_letter_code(store_a, typed, saved):
    settings = StoreSettings.objects.get(store=store_a)
    form = ProductHandlingForm(
        {"store_location_overwrites": "on", "default_weight_unit": "Pounds", "currency": typed}, instance=settings
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["currency"] == saved


@pytest.mark.parametrize("typed", ["US", "DOLLARS", "€", "12$"])
def test_a_currency_that_is_not_a_code_is_refused(store_a, typed):
    settings = StoreSettings.objects.get(store=store_a)
    form = ProductHandlingForm(
        {"store_location_overwrites": "on", "default_weight_unit": "Pounds", "currency": typed}, instance=settings
    )
    assert not form.is_valid() and "currency" in form.errors
