"""Switching a store between the ShipStation add-on (XML) and the REST API keeps everything it holds: its
orders, its shipments, its mapping, and above all its import watermark (the next import carries on from
it over the new road). Both ways, through the one write path (stores.services.store_switch_road)."""

import datetime as dt

from django.utils import timezone

from orders.models import Order
from stores.models import RestAuth, Road, Store
from stores.services import store_switch_road
from tests import factories


def _snapshot(store):
    store = Store.objects.get(pk=store.pk)
    orders = sorted(Order.objects.filter(store=store).values_list("pk", "external_id", "status", "modified_at"))
    return (
        factories.import_state(store).import_watermark,
        factories.import_state(store).last_import_at,
        orders,
        store.status_mapping.lists(),
    )


def test_orders_and_watermark_survive_a_switch_to_rest_and_back(tenant_a):
    store = factories.make_store(tenant_a, name="Switcher")
    for _ in range(3):
        factories.make_order(store)
    watermark = timezone.now() - dt.timedelta(hours=1)
    factories.import_state_set(store, import_watermark=watermark, last_import_at=watermark)
    before = _snapshot(store)
    assert before[0] == watermark and len(before[2]) == 3

    store.refresh_from_db()
    store_switch_road(store=store, road=Road.REST, rest_auth=RestAuth.TOKEN, api_token="tok-switch-1234")
    after_rest = Store.objects.get(pk=store.pk)
    assert after_rest.road == Road.REST and after_rest.connection_type == "americommerce_rest"
    assert after_rest.get_api_token() == "tok-switch-1234"
    assert _snapshot(store) == before
    # The XML road's credentials are kept: switching back needs only the road.
    assert after_rest.has_password and after_rest.username == store.username

    store_switch_road(store=after_rest, road=Road.XML)
    back = Store.objects.get(pk=store.pk)
    assert back.road == Road.XML and back.connection_type == "americommerce"
    assert _snapshot(store) == before
    assert back.get_api_token() == "tok-switch-1234"  # kept for a switch back, never shown


def test_a_switch_while_an_import_runs_leaves_its_bookkeeping_alone(tenant_a):
    store = factories.make_store(tenant_a, name="Busy")
    started = timezone.now()
    factories.import_state_set(
        store, import_running_since=started, import_lock_run=42, import_watermark=started - dt.timedelta(days=1)
    )
    stale = Store.objects.get(pk=store.pk)
    factories.import_state_set(store, import_watermark=started)  # the run moves the watermark on
    store_switch_road(store=stale, road=Road.REST, api_token="tok-busy-1234")
    fresh = Store.objects.get(pk=store.pk)
    assert (
        factories.import_state(fresh).import_watermark == started
        and factories.import_state(fresh).import_lock_run == 42
        and fresh.road == Road.REST
    )
