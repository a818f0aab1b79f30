"""Issue 16: a REST store's webhook subscriptions, end to end against the REST sandbox over loopback: made
when the store is connected (a django-q2 task, inline in the test settings), reused when asked again,
removed (and the token revoked at once) when the store leaves the REST road or is switched off."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from hooks.services import SCOPE_MISSING, hooks_subscribe, receiver_url, token_hash
from stores.models import Store
from stores.platforms.americommerce.rest import hooks as rest_hooks
from stores.services import store_create, store_deactivate, store_switch_road, store_update
from tests import factories

pytestmark = pytest.mark.django_db
BASE = "http://outbound.test"


@pytest.fixture
def server(sandbox_factory):
    return sandbox_factory(orders=10, seed=5)


@pytest.fixture(autouse=True)
def public(settings):
    settings.PUBLIC_BASE_URL = BASE


def _subscriptions(server) -> list[dict]:
    return server.truth(include_orders=False)["webhooks"]["subscriptions"]


def _posts(server) -> int:
    return server.requests_served.get("rest:POST webhooks", 0)


def _connect(tenant, server, run_tasks):
    with run_tasks(execute=True):
        store = factories.connect_sandbox(tenant, server, road="rest")
    store.refresh_from_db()
    return store


def _token_in(url: str) -> str:
    assert url.startswith(f"{BASE}/hooks/americommerce/") and url.endswith("/")
    return url.rstrip("/").rsplit("/", 1)[-1]


def test_connecting_a_rest_store_subscribes_its_order_events(
    tenant_a, server, django_capture_on_commit_callbacks, client
):
    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    subs = _subscriptions(server)
    with _client(server) as api:
        fronts = rest_hooks.storefront_ids(api)
    assert fronts and sorted({(s["event_type"], s["store_id"]) for s in subs}) == sorted(
        (event, front) for event in rest_hooks.ORDER_EVENTS for front in fronts
    )
    assert len(subs) == len(rest_hooks.ORDER_EVENTS) * len(fronts)
    assert {(s["failure_type"], s["cache_length"]) for s in subs} == {("Ignore", "NoCache")}
    urls = {s["url"] for s in subs}
    assert len(urls) == 1
    token = _token_in(urls.pop())
    assert len(token) >= 40 and factories.realtime_row(store).token_hash == token_hash(token)
    assert sorted(factories.realtime_row(store).subscription_ids) == sorted(s["id"] for s in subs)
    assert token not in json.dumps(list(Store.objects.filter(pk=store.pk).values()), default=str)  # only its hash
    # The URL works: an event is taken.
    path = f"/hooks/americommerce/{token}/"
    with django_capture_on_commit_callbacks():
        assert client.post(path, b'{"order": {"id": 100001}}', content_type="application/json").status_code == 200


def test_subscribing_again_reuses_what_is_there(tenant_a, server, django_capture_on_commit_callbacks):
    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    posts, ids = _posts(server), sorted(factories.realtime_row(store).subscription_ids)
    assert hooks_subscribe(store.pk) == "already subscribed"
    with django_capture_on_commit_callbacks(execute=True):
        store_update(store=store, name="Renamed", import_interval_minutes=5)  # nothing real time follows
        store_update(store=store, api_token=server.rest_token)  # the same token again: checked, kept
    store.refresh_from_db()
    assert _posts(server) == posts and sorted(factories.realtime_row(store).subscription_ids) == ids
    assert len(_subscriptions(server)) == len(ids)


def test_the_connector_reuses_subscriptions_for_the_same_url(server):
    with _client(server) as client:
        url = "https://outbound.example/hooks/americommerce/same/"
        first = rest_hooks.subscribe(client, url, [1])
        again = rest_hooks.subscribe(client, url, [1])
        assert first == again and len(_subscriptions(server)) == len(rest_hooks.ORDER_EVENTS)
        assert rest_hooks.unsubscribe(client, first + [987654]) == len(first)
    assert _subscriptions(server) == []


def _client(server):
    from stores.platforms.americommerce.rest import RestConnector

    return RestConnector(server.rest_base_url, server.rest_token)


def test_switching_to_xml_unsubscribes_and_revokes_the_token_at_once(
    tenant_a, server, django_capture_on_commit_callbacks, client
):
    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    token = _token_in(_subscriptions(server)[0]["url"])
    with django_capture_on_commit_callbacks(execute=True):
        store_switch_road(store=store, road="xml", username=server.username, password=server.password)
    assert _subscriptions(server) == []
    response = client.post(f"/hooks/americommerce/{token}/", b'{"order": {"id": 100001}}', content_type="x/y")
    assert response.status_code == 404
    # Back to REST: a new token, new subscriptions; the old token stays dead.
    with django_capture_on_commit_callbacks(execute=True):
        store_switch_road(store=store, road="rest", api_token=server.rest_token)
    store.refresh_from_db()
    subs = _subscriptions(server)
    assert len(subs) == len(factories.realtime_row(store).subscription_ids) > 0
    assert _token_in(subs[0]["url"]) != token
    assert client.post(f"/hooks/americommerce/{token}/", b"{}", content_type="x/y").status_code == 404


def test_switching_the_store_off_unsubscribes(tenant_a, server, django_capture_on_commit_callbacks):
    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        store_deactivate(store=store)
    assert _subscriptions(server) == []
    with django_capture_on_commit_callbacks(execute=True):
        store_update(store=Store.objects.get(pk=store.pk), is_active=True)  # reactivated: subscribed again
    assert len(_subscriptions(server)) == len(factories.realtime_row(store).subscription_ids) > 0


def test_a_token_without_the_system_scope_leaves_real_time_off_in_plain_words(
    tenant_a, server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        store = store_create(
            tenant=tenant_a, name="Limited", url=server.base_url, road="rest", api_token=server.rest_limited_token
        )
    store.refresh_from_db()
    assert (
        factories.realtime_row(store).message == SCOPE_MISSING
        and factories.realtime_row(store).token_hash == ""
        and _subscriptions(server) == []
    )


def test_without_a_public_address_nothing_is_subscribed(tenant_a, server, settings, django_capture_on_commit_callbacks):
    settings.PUBLIC_BASE_URL = ""
    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    assert _subscriptions(server) == [] and factories.realtime_row(store).token_hash == ""
    assert server.requests_served.get("rest:GET webhooks", 0) == 0


def test_the_receiver_url_is_the_public_address_plus_the_platforms_receiver_and_the_token():
    from stores.connector import registry
    from stores.models import Store

    realtime = registry.realtime_of(Store(platform="americommerce"))
    assert receiver_url("abc", realtime) == f"{BASE}/hooks/americommerce/abc/"
    assert reverse("hooks:americommerce", args=["abc"]) == "/hooks/americommerce/abc/"


def test_connecting_with_the_americommerce_app_subscribes_too(
    tenant_a, server, settings, django_capture_on_commit_callbacks
):
    from sandbox import rest_oauth
    from tests.stores.test_oauth import _oauth_store

    settings.AMERICOMMERCE_OAUTH_CLIENT_ID = rest_oauth.TEST_CLIENT_ID
    settings.AMERICOMMERCE_OAUTH_SECRET = rest_oauth.TEST_CLIENT_SECRET
    with django_capture_on_commit_callbacks(execute=True):
        store = _oauth_store(tenant_a, server)
    store.refresh_from_db()
    assert store.rest_auth == "oauth" and factories.realtime_row(store).token_hash
    assert sorted(s["id"] for s in _subscriptions(server)) == sorted(factories.realtime_row(store).subscription_ids)
