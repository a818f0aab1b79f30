"""Issue 16, real time on the REST road, Outbound's side: the receiver and the targeted fetch, against the
REST sandbox over loopback (the store's own API is what the fetch reads)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hooks import services as hooks_services
from hooks.models import HookCounter, HookStats, PendingFetch
from hooks.services import hooks_fetch, token_hash
from orders.importing.targeted import claim_store_for_fetch, release_store_for_fetch
from orders.models import Order, OrderEvent
from stores.services import store_switch_road
from tests import factories

pytestmark = pytest.mark.django_db
TOKEN = "a-secret-token-for-tests-0123456789abcdefghij"


def _arm(store, token=TOKEN):
    """The store as a finished subscribe leaves it (the subscriptions themselves: test_subscriptions)."""
    factories.realtime_set(store, token_hash=token_hash(token), subscription_ids=[1, 2])
    store.refresh_from_db()
    return store


def _url(token=TOKEN):
    return f"/hooks/americommerce/{token}/"


def _post(client, order_id, token=TOKEN, event="OrderUpdated"):
    body = json.dumps({"order": {"id": order_id, "order_status_id": 1}, "event": event})
    return client.post(_url(token), body, content_type="application/json")


@pytest.fixture
def server(sandbox_factory):
    return sandbox_factory(orders=20, seed=3)


@pytest.fixture
def store(tenant_a, server, settings):
    settings.PUBLIC_BASE_URL = "http://testserver"
    return _arm(factories.connect_sandbox(tenant_a, server, road="rest"))


def _orders_asked(server) -> int:
    return server.requests_served.get("rest:GET orders", 0)


def _stats(store) -> HookStats:
    return HookStats.objects.get(store=store)


def test_an_event_is_acknowledged_at_once_with_no_store_request_and_few_queries(
    client, store, server, django_capture_on_commit_callbacks
):
    _post(client, 100002)  # the store's first event also creates its counters' row
    PendingFetch.objects.all().delete()  # ... and its fetch came and went
    before = server.requests_served.get("total", 0)
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks() as queued:
        response = _post(client, 100003)
    assert response.status_code == 200
    assert server.requests_served.get("total", 0) == before  # nothing asked of the store
    # the store by its token's hash, the pending row (in a savepoint), the counters, whether a fetch is
    # queued already
    assert len(queries) <= 6, "\n".join(q["sql"][:150] for q in queries)
    assert len(queued) == 1  # one fetch task, sent after the commit
    assert list(PendingFetch.objects.filter(order_id=100003).values_list("store_id", flat=True)) == [store.pk]
    assert _stats(store).events_received == 2 and _stats(store).last_event_at is not None


def test_fifty_events_for_one_order_make_exactly_one_fetch(client, store, server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        for _ in range(50):
            assert _post(client, 100004).status_code == 200
    assert len(queued) == 1 and PendingFetch.objects.count() == 1
    stats = _stats(store)
    assert (stats.events_received, stats.events_coalesced) == (50, 49)
    asked = _orders_asked(server)
    for callback in queued:
        callback()  # the fetch task (django-q2 runs it inline in the test settings)
    assert _orders_asked(server) == asked + 1  # one GET /orders?id=100004 for fifty events
    order = Order.objects.for_tenant(store.tenant).get(store=store, external_id="100004")
    assert order.events.exists()
    stats.refresh_from_db()
    assert (stats.orders_fetched, stats.orders_imported, stats.orders_not_found) == (1, 1, 0)
    assert not PendingFetch.objects.exists()


def test_a_replayed_event_changes_nothing_and_is_counted(client, store, server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, 100005)
    order = Order.objects.get(store=store, external_id="100005")
    history, updated_at, content = OrderEvent.objects.filter(order=order).count(), order.updated_at, order.content_hash
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, 100005).status_code == 200  # the same event again (or a late one)
    order.refresh_from_db()
    assert (OrderEvent.objects.filter(order=order).count(), order.updated_at, order.content_hash) == (
        history,
        updated_at,
        content,
    )
    stats = _stats(store)
    assert (stats.orders_fetched, stats.orders_imported, stats.orders_unchanged) == (2, 1, 1)


def test_a_changed_order_is_imported_through_the_ordinary_path(
    client, store, server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, 100006)
    server.mutate(order_ids=[100006])
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, 100006)
    order = Order.objects.get(store=store, external_id="100006")
    truth = next(o for o in server.truth()["orders"] if o["OrderID"] == "100006")
    assert order.store_status == truth["OrderStatus"]
    assert _stats(store).orders_imported == 2


def test_a_forged_event_for_an_order_the_store_lacks_imports_nothing(
    client, store, server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, 999_999_999).status_code == 200
    assert not Order.objects.filter(store=store).exists()
    assert _stats(store).orders_not_found == 1


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"order": {"id": "100003"}}', b'{"order": {"id": true}}', b'{"order": 5}', b"{}", b""],
)
def test_a_garbage_body_is_counted_and_nothing_is_fetched(client, store, server, body):
    before = server.requests_served.get("total", 0)
    response = client.post(_url(), body, content_type="application/json")
    assert response.status_code == 200
    assert not PendingFetch.objects.exists() and server.requests_served.get("total", 0) == before
    stats = _stats(store)
    assert (stats.events_received, stats.events_malformed) == (1, 1)


def test_an_unknown_token_is_404_and_counted(client, store):
    for token in ("nope", TOKEN[:-1] + "x"):
        assert _post(client, 100003, token=token).status_code == 404
    assert HookCounter.objects.get(name=HookCounter.UNKNOWN_TOKEN).count == 2
    assert not PendingFetch.objects.exists() and not HookStats.objects.exists()


def test_a_revoked_token_is_404_once_the_store_leaves_the_rest_road(client, store, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():  # the unsubscribe task is test_subscriptions' business
        store_switch_road(store=store, road="xml", username="shipstation", password="pw-1234")
    assert _post(client, 100003).status_code == 404
    store.refresh_from_db()
    assert factories.realtime_row(store).token_hash == "" and factories.realtime_row(store).subscription_ids == []


def test_another_tenants_order_id_imports_nothing_from_the_other_tenant(
    client, store, tenant_b, sandbox_factory, django_capture_on_commit_callbacks
):
    other_server = sandbox_factory(orders=200, seed=4)
    other = factories.connect_sandbox(tenant_b, other_server, road="rest", name="Bravo REST")
    before = other_server.requests_served.get("total", 0)
    with django_capture_on_commit_callbacks(execute=True):
        # 100150 exists at the other tenant's store only; the token is this store's.
        assert _post(client, 100150).status_code == 200
    assert not Order.objects.filter(external_id="100150").exists()
    assert other_server.requests_served.get("total", 0) == before  # the other store was never asked
    assert not Order.objects.for_tenant(tenant_b).exists() and other.pk != store.pk
    assert _stats(store).orders_not_found == 1


def test_a_store_busy_importing_keeps_its_pending_orders(client, store, server, django_capture_on_commit_callbacks):
    token = claim_store_for_fetch(store.pk)  # stands for a running import's claim
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, 100007)
    assert list(PendingFetch.objects.values_list("order_id", flat=True)) == [100007]  # left for later
    release_store_for_fetch(store.pk, token)
    assert hooks_fetch(store.pk)["imported"] == 1
    assert Order.objects.filter(store=store, external_id="100007").exists()


def test_the_receiver_is_post_only_and_needs_no_session_or_csrf(store, server):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.get(_url()).status_code == 405
    assert strict.post(_url(), b'{"order": {"id": 100003}}', content_type="application/json").status_code == 200


def test_outsider_a_token_of_another_store_reaches_only_that_store(
    client, store, tenant_b, django_capture_on_commit_callbacks
):
    other = _arm(factories.make_store(tenant_b, name="Bravo"), token="another-stores-token-0123456789abcdefghijkl")
    with django_capture_on_commit_callbacks():
        _post(client, 100003, token="another-stores-token-0123456789abcdefghijkl")
    assert list(PendingFetch.objects.values_list("store_id", flat=True)) == [other.pk]


def test_the_minute_sweep_queues_the_fetch_of_rows_left_waiting(store):
    import datetime as dt

    from django.utils import timezone

    from hooks.services import hooks_sweep

    now = timezone.now()
    PendingFetch.objects.create(store=store, order_id=100008, received_at=now - dt.timedelta(minutes=2))
    PendingFetch.objects.create(store=store, order_id=100009, received_at=now)  # its own task is on the way
    queued = []
    assert hooks_sweep(now, enqueue=queued.append)["fetches"] == 1
    assert queued == [store.pk]


def test_after_a_webhook_import_the_schedule_finds_the_order_unchanged(
    client, store, server, django_capture_on_commit_callbacks
):
    from orders.importing.check import IDLE, check_store
    from orders.services import import_store_now

    import_store_now(store=store)
    changed = [100010, 100011, 100012, 100013, 100014]
    server.mutate(order_ids=changed)
    with django_capture_on_commit_callbacks(execute=True):
        for order_id in changed:
            _post(client, order_id)
    stats = _stats(store)
    assert stats.orders_fetched == 5 and stats.orders_imported >= 1
    assert stats.orders_imported + stats.orders_skipped == 5 and stats.orders_unchanged == 0
    store.refresh_from_db()
    # The scheduled check reads the same order over the page road: recognised unchanged from its bytes.
    outcome = check_store(store.pk, timezone_now(), store.import_interval_minutes)
    assert outcome.outcome == IDLE


def timezone_now():
    from django.utils import timezone

    return timezone.now()


def test_a_fetch_with_a_worker_waits_for_a_short_import_to_free_the_store(
    client, store, server, django_capture_on_commit_callbacks
):
    token = claim_store_for_fetch(store.pk)
    with django_capture_on_commit_callbacks():
        _post(client, 100011)
    naps = []

    def sleep(seconds):  # the running import finishes during the second nap
        naps.append(seconds)
        if len(naps) == 2:
            release_store_for_fetch(store.pk, token)

    assert hooks_fetch(store.pk, wait=True, sleep=sleep)["fetched"] == 1
    assert len(naps) == 2 and not PendingFetch.objects.exists()


def test_a_store_holds_at_most_its_cap_of_waiting_orders_but_likely_ones_still_get_in(
    client, store, server, settings, django_capture_on_commit_callbacks
):
    from orders.services import import_store_now

    import_store_now(store=store)
    settings.HOOKS_MAX_PENDING_PER_STORE = 5
    newest = max(int(o["OrderID"]) for o in server.truth()["orders"])
    held = int(Order.objects.filter(store=store).order_by("pk").values_list("external_id", flat=True)[0])
    with django_capture_on_commit_callbacks() as queued:
        for forged in range(7_000_001, 7_000_011):
            assert _post(client, forged).status_code == 200
        assert _post(client, held).status_code == 200  # an order Outbound holds
        assert _post(client, newest + 1).status_code == 200  # a new order's id: next in the store's sequence
    assert len(queued) == 1  # one fetch task for them all
    waiting = set(PendingFetch.objects.filter(store=store).values_list("order_id", flat=True))
    assert waiting == {*range(7_000_001, 7_000_006), held, newest + 1}
    assert _stats(store).events_dropped == 5 and _stats(store).events_received == 12
    # The fetch takes the likely orders first, then the others newest first.
    assert hooks_services._take(store.pk)[0] == [held, newest + 1, *range(7_000_005, 7_000_000, -1)]


def test_after_a_run_of_not_found_answers_unlikely_orders_are_left_to_the_schedule(
    client, store, server, django_capture_on_commit_callbacks
):
    from orders.services import import_store_now

    import_store_now(store=store)
    forged = list(range(8_000_001, 8_000_041))
    with django_capture_on_commit_callbacks():
        for order_id in forged:
            _post(client, order_id)
        _post(client, int(Order.objects.filter(store=store).values_list("external_id", flat=True)[0]))
    asked = _orders_asked(server)
    outcomes = hooks_fetch(store.pk)
    # The held order first (found), then forged ids until the run; the rest dropped, not asked for.
    assert _orders_asked(server) - asked == 1 + hooks_services.NOT_FOUND_RUN
    assert outcomes["not_found"] == hooks_services.NOT_FOUND_RUN and outcomes["dropped"] == 40 - 10
    assert not PendingFetch.objects.filter(store=store).exists()
    assert _stats(store).not_found_run == hooks_services.NOT_FOUND_RUN and _stats(store).events_dropped == 30
