"""Issue 28 part 3: real time asks the connector registry what a platform's webhooks are, and names no platform.

A made-up platform ("acme", on the REST road) declares its webhooks as a `registry.RealTime` whose calls are
recorded in memory (the platform's collaborator, not the thing under test): subscribing, receiving an event and
unsubscribing a store of it go through those calls and its receiver segment, never through AmeriCommerce's."""

from __future__ import annotations

import pytest
from django.test import override_settings

from hooks import services as hooks_services
from hooks.services import COALESCED, QUEUED, UNKNOWN, hook_receive, hooks_subscribe, hooks_unsubscribe, token_hash
from stores.connector import registry
from stores.connector.registry import RealTime
from stores.models import Store
from tests import factories

pytestmark = pytest.mark.django_db
BASE = "http://outbound.test"


class Site:
    """The made-up platform's side: its subscriptions, as its API would keep them."""

    def __init__(self) -> None:
        self.subscriptions: list[dict] = []
        self.calls: list[str] = []

    def list(self, client) -> list:
        self.calls.append("list")
        from types import SimpleNamespace

        return [SimpleNamespace(**s) for s in self.subscriptions]

    def fronts(self, client) -> list[int]:
        return [7]

    def subscribe(self, client, url, fronts, existing) -> list[int]:
        self.calls.append("subscribe")
        made = []
        for front in fronts:
            for event in ("order.changed",):
                sub = {"id": len(self.subscriptions) + 1, "event_type": event, "url": url, "store_id": front}
                self.subscriptions.append(sub)
                made.append(sub["id"])
        return made

    def unsubscribe(self, client, ids) -> int:
        self.calls.append("unsubscribe")
        before = len(self.subscriptions)
        self.subscriptions = [s for s in self.subscriptions if s["id"] not in ids]
        return before - len(self.subscriptions)


class _Client:
    def close(self) -> None:
        pass


@pytest.fixture
def acme():
    site = Site()
    realtime = RealTime(
        receiver="acme",
        events=("order.changed",),
        connector=lambda store, **options: _Client(),
        list_subscriptions=site.list,
        storefront_ids=site.fronts,
        subscribe=site.subscribe,
        unsubscribe=site.unsubscribe,
        event_order_id=lambda body: int(body) if body.isdigit() else None,
    )
    registry.register("acme_rest", label="Acme", road="rest", realtime=realtime)(lambda store, **o: _Client())
    yield site
    registry.unregister("acme_rest")


def _acme_store(tenant) -> Store:
    store = factories.make_store(tenant)
    Store.objects.filter(pk=store.pk).update(platform="acme", road="rest", rest_auth="token")
    store = Store.objects.get(pk=store.pk)
    store.set_api_token("acme-token")
    store.save(update_fields=["rest_token_secret"])  # the token alone: no announcement, no subscribe
    return Store.objects.get(pk=store.pk)


@override_settings(PUBLIC_BASE_URL=BASE)
def test_a_platform_declaring_its_webhooks_is_subscribed_received_and_unsubscribed_through_them(acme, tenant_a):
    store = _acme_store(tenant_a)
    assert registry.realtime_of(store).receiver == "acme"

    assert hooks_subscribe(store.pk) == "subscribed 1"
    (sub,) = acme.subscriptions
    assert sub["url"].startswith(f"{BASE}/hooks/acme/") and sub["store_id"] == 7
    token = sub["url"].rstrip("/").rsplit("/", 1)[-1]
    row = factories.realtime_row(store)
    assert row.token_hash == token_hash(token) and row.subscription_ids == [sub["id"]]

    # Which order an event names is the platform's to say (here: the body is the id).
    assert hook_receive(token, b"42", enqueue=lambda store_id: None) == QUEUED
    assert hook_receive(token, b"42", enqueue=lambda store_id: None) == COALESCED
    assert hook_receive("not-a-token", b"42") == UNKNOWN

    assert hooks_unsubscribe(store.pk, row.token_hash) == "removed 1"
    assert acme.subscriptions == []


def test_a_platform_without_webhooks_has_no_real_time(tenant_a):
    store = factories.make_store(tenant_a, platform="custom_store")
    assert registry.realtime_of(store) is None
    assert not hooks_services.has_realtime(store)
    assert registry.oauth_of("custom_store") is None


def test_the_registry_says_which_platforms_have_webhooks_and_an_oauth_app(settings):
    from sandbox import rest_oauth

    assert "americommerce" in registry.realtime_receivers()
    settings.AMERICOMMERCE_OAUTH_CLIENT_ID = settings.AMERICOMMERCE_OAUTH_SECRET = ""
    assert registry.oauth_platforms() == [] and registry.oauth_platforms(configured=False) == ["americommerce"]
    settings.AMERICOMMERCE_OAUTH_CLIENT_ID = rest_oauth.TEST_CLIENT_ID
    settings.AMERICOMMERCE_OAUTH_SECRET = rest_oauth.TEST_CLIENT_SECRET
    assert registry.oauth_platforms() == ["americommerce"]
    assert registry.oauth_of("americommerce").grant_params == ("auth_id", "code")
