"""Issue 16: the store page (portal) and the admin say whether real time is on, when the last event came,
when the store was last checked, and plainly when events stop while the schedule keeps finding changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from hooks.models import HookCounter, HookStats
from hooks.services import SCOPE_MISSING, token_hash
from orders.models import ImportRun, ImportState, ImportTrigger
from stores.models import Store
from stores.services import store_create
from tests import factories
from tests.factories import operator_sign_in
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def rest_store(tenant_a, settings):
    settings.PUBLIC_BASE_URL = ""  # no subscribe task while the store is made
    store = store_create(
        tenant=tenant_a, name="Acme REST", url="https://shop.example.com", road="rest", api_token="t-1"
    )
    settings.PUBLIC_BASE_URL = "https://outbound.example.com"
    return store


def _page(client, store):
    return client.get(reverse("portal:store_settings", args=[store.pk])).content.decode()


def _on(store, last_event_at=None):
    factories.import_state_set(store, last_checked_at=timezone.now())
    factories.realtime_set(store, token_hash=token_hash("x"), subscription_ids=[7])
    HookStats.objects.create(store=store, last_event_at=last_event_at, events_received=3)


def test_real_time_on_shows_the_last_event_and_the_last_check(alice, rest_store):
    _on(rest_store, last_event_at=timezone.now() - dt.timedelta(minutes=5))
    html = _page(signed_in(alice), rest_store)
    assert "Real time: on" in html and "last event 5" in html and "Last checked" in html
    assert 'id="realtime-quiet"' not in html


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"message": SCOPE_MISSING}, "needs the &#x27;system&#x27; scope"),
        ({"road": "xml", "username": "ss"}, "ShipStation add-on"),
        ({}, "subscribing"),
    ],
)
def test_real_time_off_says_why(alice, rest_store, change, reason):
    if "message" in change:
        factories.realtime_set(rest_store, **change)
    else:
        Store.objects.filter(pk=rest_store.pk).update(**change)
    html = _page(signed_in(alice), rest_store)
    assert "Real time: off" in html and reason in html and "Not checked yet" in html


def test_real_time_off_without_a_public_address(alice, rest_store, settings):
    settings.PUBLIC_BASE_URL = ""
    assert "PUBLIC_BASE_URL" in _page(signed_in(alice), rest_store)


def test_events_that_stop_while_orders_keep_changing_are_said_plainly(alice, rest_store):
    now = timezone.now()
    _on(rest_store, last_event_at=now - dt.timedelta(hours=3))
    ImportRun.objects.create(
        store=rest_store,
        trigger=ImportTrigger.SCHEDULE,
        state=ImportState.SUCCEEDED,
        finished_at=now - dt.timedelta(hours=1),
        orders_created=2,
        orders_updated=3,
    )
    html = _page(signed_in(alice), rest_store)
    assert 'id="realtime-quiet"' in html and "imported 5 changed orders since the last one" in html


def test_the_page_in_french(alice, rest_store):
    _on(rest_store)
    client = signed_in(alice)
    with translation.override("en"):  # the request activates French in this thread: put English back after
        html = client.get(reverse("portal:store_settings", args=[rest_store.pk]), HTTP_ACCEPT_LANGUAGE="fr").content
    assert "Temps réel : activé" in html.decode()


def test_outsider_cannot_see_another_tenants_real_time(charlie, rest_store):
    _on(rest_store)
    assert signed_in(charlie).get(reverse("portal:store_settings", args=[rest_store.pk])).status_code == 404


def test_the_admin_shows_the_counters_and_the_unknown_tokens(operator, rest_store):
    _on(rest_store, last_event_at=timezone.now())
    HookCounter.objects.create(name=HookCounter.UNKNOWN_TOKEN, count=4)
    client = Client()
    operator_sign_in(client, operator)
    html = client.get(reverse("admin:hooks_hookstats_changelist")).content.decode()
    assert "Acme REST" in html and ">on<" in html.replace('<td class="field-real_time">', ">")
    assert ">4<" in client.get(reverse("admin:hooks_hookcounter_changelist")).content.decode()


def test_the_admins_stats_list_costs_the_same_for_one_store_or_five(operator, tenant_a, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def stores(n):
        settings.PUBLIC_BASE_URL = ""
        made = [
            store_create(tenant=tenant_a, name=f"REST {i}", url="https://shop.example.com", road="rest", api_token="t")
            for i in range(n)
        ]
        for store in made:
            _on(store, last_event_at=timezone.now())
        return made

    client = Client()
    operator_sign_in(client, operator)
    url = reverse("admin:hooks_hookstats_changelist")
    stores(1)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    stores(4)
    with CaptureQueriesContext(connection) as five:
        html = client.get(url).content.decode()
    assert html.count("REST ") >= 5
    assert len(five.captured_queries) == len(one.captured_queries)
