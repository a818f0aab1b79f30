"""Issue 16, real time when things go wrong, against the REST sandbox over loopback: a store that is down
while a fetch runs, one unreadable order among good ones, an error no one foresaw, a subscribe the vendor
fails half-way, a store that moves to another site or is deleted, a store that needs a reconnect."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from hooks.models import HookStats, PendingFetch
from hooks.selectors import realtime_state
from hooks.services import hooks_fetch, hooks_subscribe, hooks_sweep, token_hash
from orders.models import Order
from stores.connector.errors import StoreDocumentError
from stores.models import Store
from stores.platforms.americommerce.rest import RestConnector
from stores.services import store_mark_needs_reconnect, store_update
from tests import factories

pytestmark = pytest.mark.django_db
BASE = "http://outbound.test"


@pytest.fixture(autouse=True)
def public(settings):
    settings.PUBLIC_BASE_URL = BASE


@pytest.fixture
def server(sandbox_factory):
    return sandbox_factory(orders=20, seed=11)


def _subscriptions(server) -> list[dict]:
    return server.truth(include_orders=False)["webhooks"]["subscriptions"]


def _connect(tenant, server, run_tasks, name="Sandbox store"):
    with run_tasks(execute=True):
        store = factories.connect_sandbox(tenant, server, road="rest", name=name)
    store.refresh_from_db()
    assert factories.realtime_row(store).subscription_ids and factories.realtime_row(store).token_hash
    return store


def _pending(store, *order_ids):
    PendingFetch.objects.bulk_create([PendingFetch(store=store, order_id=i) for i in order_ids])


def _waiting(store) -> list[int]:
    return sorted(PendingFetch.objects.filter(store=store).values_list("order_id", flat=True))


# --- the targeted fetch -------------------------------------------------------------------------------


def test_a_store_down_ends_the_fetch_after_one_try_and_keeps_every_order(
    tenant_a, server, django_capture_on_commit_callbacks
):
    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    _pending(store, 100001, 100002, 100003)
    server.set_faults(down=True)
    asked = server.requests_served.get("rest:GET orders", 0)
    outcomes = hooks_fetch(store.pk)
    assert outcomes["failed"] == 1 and not outcomes["imported"]
    # One order asked (and its transport's retries), not twenty rounds of the same batch.
    assert server.requests_served.get("rest:GET orders", 0) - asked <= 5
    assert _waiting(store) == [100001, 100002, 100003]  # put back, for the sweep's next try
    assert not Order.objects.filter(store=store).exists()
    server.reset_faults()
    assert hooks_fetch(store.pk)["fetched"] == 3
    assert _waiting(store) == [] and Order.objects.filter(store=store).count() >= 1


def test_one_unreadable_order_is_counted_and_the_others_are_imported(
    tenant_a, server, django_capture_on_commit_callbacks
):
    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    _pending(store, 100004, 100006, 100009)
    real = RestConnector(server.rest_base_url, server.rest_token)

    class OnePoisoned:  # the store's real answers, but order 100006's cannot be read
        def fetch_order(self, order_id):
            if order_id == "100006":
                raise StoreDocumentError("The store's answer for this order is not JSON.")
            return real.fetch_order(order_id)

    try:
        outcomes = hooks_fetch(store.pk, client=OnePoisoned())
    finally:
        real.close()
    assert outcomes["unreadable"] == 1 and outcomes["fetched"] == 3
    assert _waiting(store) == []  # the unreadable one is left to the schedule, not retried forever
    assert not Order.objects.filter(store=store, external_id="100006").exists()
    stats = HookStats.objects.get(store=store)
    assert stats.orders_unreadable == 1
    assert stats.orders_imported + stats.orders_skipped == 2
    # The schedule meets it as it meets every order.
    from orders.services import import_store_now

    import_store_now(store=store)
    assert Order.objects.filter(store=store, external_id="100006").exists()


def test_an_unforeseen_error_puts_the_orders_back_and_is_raised(
    tenant_a, server, django_capture_on_commit_callbacks, monkeypatch
):
    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    _pending(store, 100007, 100008)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("hooks.services.import_fetched", broken)
    with pytest.raises(RuntimeError):
        hooks_fetch(store.pk)
    assert _waiting(store) == [100007, 100008]
    store.refresh_from_db()
    assert factories.import_state(store).import_running_since is None  # the claim is released


def test_a_slow_store_ends_the_fetch_at_its_time_budget_with_the_rest_put_back(
    tenant_a, server, django_capture_on_commit_callbacks
):
    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    _pending(store, *range(100001, 100011))
    now = [0.0]
    real = RestConnector(server.rest_base_url, server.rest_token)

    class Slow:  # the store's real answers; the budget is spent by the third
        fetched = 0

        def fetch_order(self, order_id):
            Slow.fetched += 1
            if Slow.fetched == 3:
                now[0] = 10_000.0
            return real.fetch_order(order_id)

    try:
        outcomes = hooks_fetch(store.pk, client=Slow(), clock=lambda: now[0])
    finally:
        real.close()
    assert outcomes["fetched"] == 3 and outcomes["put back"] == 7
    # None is likely (no order imported yet): the newest events were fetched first, the rest is the sweep's.
    assert _waiting(store) == list(range(100001, 100008))


def test_two_events_for_two_orders_queue_one_fetch_task(client, tenant_a, server, django_capture_on_commit_callbacks):
    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    token = "a-token-for-the-one-task-test-0123456789abcdef"
    factories.realtime_set(store, token_hash=token_hash(token))
    with django_capture_on_commit_callbacks() as queued:
        for order_id in (100001, 100002, 100003):
            body = json.dumps({"order": {"id": order_id}})
            assert (
                client.post(f"/hooks/americommerce/{token}/", body, content_type="application/json").status_code == 200
            )
    assert len(queued) == 1  # the first event's task takes the three rows
    assert hooks_fetch(store.pk)["fetched"] == 3


def test_a_store_that_needs_a_reconnect_keeps_its_events_for_later(
    tenant_a, server, django_capture_on_commit_callbacks
):
    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    subs = _subscriptions(server)
    _pending(store, 100009)
    PendingFetch.objects.update(received_at=timezone.now() - dt.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        store_mark_needs_reconnect(store=store, reason="The store refused the token.")
    asked = server.requests_served.get("total", 0)
    assert hooks_fetch(store.pk)["needs reconnect"] == 1
    assert server.requests_served.get("total", 0) == asked and _waiting(store) == [100009]
    queued = []
    assert hooks_sweep(enqueue=queued.append)["fetches"] == 0 and queued == []  # not every minute in vain
    state = realtime_state(store=Store.objects.get(pk=store.pk))
    assert not state.on and "reconnected" in state.reason
    assert _subscriptions(server) == subs  # its webhooks wait for the reconnect
    with django_capture_on_commit_callbacks(execute=True):
        store_update(store=Store.objects.get(pk=store.pk), api_token=server.rest_token)
    store.refresh_from_db()
    assert realtime_state(store=store).on and _subscriptions(server) == subs  # found subscribed
    assert hooks_fetch(store.pk)["fetched"] == 1


# --- subscriptions --------------------------------------------------------------------------------------


def test_a_subscribe_the_vendor_fails_half_way_leaves_the_old_webhooks_working(
    tenant_a, server, django_capture_on_commit_callbacks, client
):
    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    old_subs, old_hash = _subscriptions(server), factories.realtime_row(store).token_hash
    token = old_subs[0]["url"].rstrip("/").rsplit("/", 1)[-1]
    # One storefront's subscription went missing on the store: the next subscribe makes a new set ...
    with RestConnector(server.rest_base_url, server.rest_token) as api:
        api._call("DELETE", f"webhooks/{old_subs[-1]['id']}")
    # ... and the store fails it half-way: the third new subscription is refused.
    server.set_faults(sequence=["ok", "ok", "500", "500", "500", "500", "500", "500"], actions="shipnotify")
    assert hooks_subscribe(store.pk) == "failed"
    server.reset_faults()
    store.refresh_from_db()
    assert factories.realtime_row(store).token_hash == old_hash  # the store kept its token ...
    assert "tries again" in factories.realtime_row(store).message
    urls = {s["url"] for s in _subscriptions(server)}
    assert urls == {old_subs[0]["url"]}  # ... the half-made new ones are gone, the old ones still there
    with django_capture_on_commit_callbacks():
        body = b'{"order": {"id": 100001}}'
        assert client.post(f"/hooks/americommerce/{token}/", body, content_type="application/json").status_code == 200
    # The sweep retries it (the store has subscription ids, but its message says it failed).
    calls = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("django_q.tasks.async_task", lambda *a, **k: calls.append(a))
        assert hooks_sweep(timezone.now().replace(minute=0))["subscriptions"] == 1  # every 10 minutes
    assert calls and calls[0][1] == store.pk
    assert hooks_subscribe(store.pk).startswith("subscribed")
    store.refresh_from_db()
    assert factories.realtime_row(store).message == "" and factories.realtime_row(store).token_hash != old_hash
    assert {s["url"] for s in _subscriptions(server)} != {old_subs[0]["url"]}
    assert len(_subscriptions(server)) == len(old_subs)


def test_an_answer_without_an_id_is_a_failure_in_words_not_a_traceback(tenant_a, server, monkeypatch):
    store = factories.connect_sandbox(tenant_a, server, road="rest")  # no task ran: not subscribed yet
    from stores.platforms.americommerce.rest import hooks as rest_hooks

    def broken(client, url, fronts, existing=None):
        raise ValueError("The store's API answered a new webhook subscription without its id.")

    monkeypatch.setattr(rest_hooks, "subscribe", broken)
    assert hooks_subscribe(store.pk) == "failed"
    store.refresh_from_db()
    assert "without its id" in factories.realtime_row(store).message and factories.realtime_row(store).token_hash == ""


def test_a_store_that_moves_to_another_site_leaves_nothing_behind_and_touches_no_other_webhook(
    tenant_a, server, sandbox_factory, django_capture_on_commit_callbacks
):
    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    other_site = sandbox_factory(orders=5, seed=12)
    with RestConnector(other_site.rest_base_url, other_site.rest_token) as api:
        # Someone else's webhook on the new site, with an id the store may have recorded on the old one.
        for _ in range(len(factories.realtime_row(store).subscription_ids) + 1):
            api._call(
                "POST",
                "webhooks",
                body={"event_type": "NewOrder", "url": "https://crm.example.com/hook", "store_id": 1},
            )
    theirs = _subscriptions(other_site)
    with django_capture_on_commit_callbacks(execute=True):
        store_update(store=store, url=other_site.base_url, api_token=other_site.rest_token)
    store.refresh_from_db()
    assert _subscriptions(server) == []  # removed from the old site, with the old site's credentials
    new = [s for s in _subscriptions(other_site) if s["url"].startswith(BASE)]
    assert new and sorted(s["id"] for s in new) == sorted(factories.realtime_row(store).subscription_ids)
    assert [s for s in _subscriptions(other_site) if not s["url"].startswith(BASE)] == theirs


def test_a_deleted_store_has_its_webhooks_removed(tenant_a, server, django_capture_on_commit_callbacks):
    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        Store.objects.get(pk=store.pk).delete()
    assert _subscriptions(server) == []


def _django_q_rows_text() -> str:
    """Everything django-q2 keeps of its tasks (results, failures, the ORM queue), as text to search."""
    from django_q.models import OrmQ, Task

    rows = [(t.name, t.func, repr(t.args), repr(t.kwargs), repr(t.result)) for t in Task.objects.all()]
    return repr(rows) + repr([q.payload for q in OrmQ.objects.all()])


def test_a_deleted_stores_unsubscribe_leaves_no_credential_in_django_qs_tables(
    tenant_a, server, django_capture_on_commit_callbacks
):
    """Issue 25 item 36: the deleted store's site and credentials wait in a short-lived row the task deletes;
    the task's arguments carry that row's id only, and django-q keeps nothing of it."""
    from django_q.models import Task

    from hooks.models import PendingUnsubscribe

    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    secrets = [store.secret_documents["rest_token_secret"], server.rest_token]
    with django_capture_on_commit_callbacks(execute=True):
        Store.objects.get(pk=store.pk).delete()
    assert _subscriptions(server) == []  # the task ran, with the credentials from the row
    assert not PendingUnsubscribe.objects.exists()
    assert Task.objects.exists()  # the subscribe task is kept as before: the table is being searched
    text = _django_q_rows_text()
    assert not [s for s in secrets if s and s in text]
    assert not Task.objects.filter(func="hooks.tasks.hooks_unsubscribe_task").exists()


def test_an_unsubscribe_whose_task_was_lost_is_queued_again_by_the_sweep(
    tenant_a, server, django_capture_on_commit_callbacks
):
    from hooks.models import PendingUnsubscribe

    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):  # committed, its task never ran
        Store.objects.get(pk=store.pk).delete()
    row = PendingUnsubscribe.objects.get()
    assert row.site["url"] == server.base_url and _subscriptions(server)
    with django_capture_on_commit_callbacks(execute=True):
        hooks_sweep(timezone.now() + dt.timedelta(minutes=1), enqueue=lambda store_id: None)
    assert _subscriptions(server) == [] and not PendingUnsubscribe.objects.exists()


def test_a_deleted_tenant_has_its_stores_webhooks_removed(tenant_a, server, django_capture_on_commit_callbacks):
    _connect(tenant_a, server, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        type(tenant_a).objects.get(pk=tenant_a.pk).delete()
    assert _subscriptions(server) == []


def test_a_body_nested_ten_thousand_deep_is_malformed_not_a_crash(
    client, tenant_a, server, django_capture_on_commit_callbacks
):
    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    token = "a-token-for-the-nesting-test-0123456789abcdefgh"
    factories.realtime_set(store, token_hash=token_hash(token))
    body = b'{"order": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = client.post(f"/hooks/americommerce/{token}/", body, content_type="application/json")
    assert response.status_code == 200
    assert HookStats.objects.get(store=store).events_malformed == 1 and _waiting(store) == []


def test_no_false_alarm_before_the_first_event(tenant_a, server, django_capture_on_commit_callbacks):
    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    from orders.models import ImportRun, ImportState, ImportTrigger

    # A store on the XML road for a month, its orders changing, moved to REST (and subscribed) just now.
    Store.objects.filter(pk=store.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    ImportRun.objects.create(
        store=store,
        trigger=ImportTrigger.SCHEDULE,
        state=ImportState.SUCCEEDED,
        finished_at=timezone.now() - dt.timedelta(days=2),
        orders_created=3,
    )
    state = realtime_state(store=Store.objects.get(pk=store.pk))
    assert state.on and state.last_event_at is None
    assert state.missed_by_events is None  # subscribed just now: no event was due yet


def test_a_store_awaiting_a_reconnect_keeps_its_token_through_the_reconnects_own_writes(
    tenant_a, server, django_capture_on_commit_callbacks
):
    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    token_hash_before = factories.realtime_row(store).token_hash
    store_mark_needs_reconnect(store=store, reason="The store refused the token.")
    # The OAuth reconnect writes the road first, the new tokens after: the first write must not revoke.
    with django_capture_on_commit_callbacks() as queued:
        store_update(store=Store.objects.get(pk=store.pk), road="rest")
    assert queued == [] and factories.realtime_row(store).token_hash == token_hash_before
    # Switched off while awaiting it: that does revoke.
    with django_capture_on_commit_callbacks(execute=True):
        store_update(store=Store.objects.get(pk=store.pk), is_active=False)
    assert factories.realtime_row(store).token_hash == "" and _subscriptions(server) == []


def test_a_subscribe_that_races_a_move_withdraws_what_it_made_on_the_old_site(
    tenant_a, server, sandbox_factory, monkeypatch
):
    store = factories.connect_sandbox(tenant_a, server, road="rest")  # no task ran: not subscribed yet
    elsewhere = sandbox_factory(orders=5, seed=13)
    from stores.platforms.americommerce.rest import hooks as rest_hooks

    real_subscribe = rest_hooks.subscribe

    def subscribe_while_the_store_moves(*args, **kwargs):
        ids = real_subscribe(*args, **kwargs)
        Store.objects.filter(pk=store.pk).update(url=elsewhere.base_url)  # the move commits meanwhile
        return ids

    monkeypatch.setattr(rest_hooks, "subscribe", subscribe_while_the_store_moves)
    assert hooks_subscribe(store.pk) == "withdrawn"
    assert _subscriptions(server) == [] and factories.realtime_row(store).token_hash == ""


def test_a_failure_after_the_switch_leaves_the_old_webhooks_to_a_task(
    tenant_a, server, django_capture_on_commit_callbacks, monkeypatch
):
    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    old_hash = factories.realtime_row(store).token_hash
    with RestConnector(server.rest_base_url, server.rest_token) as api:  # one went missing: a new set is made
        api._call("DELETE", f"webhooks/{factories.realtime_row(store).subscription_ids[-1]}")
    from stores.platforms.americommerce.rest import hooks as rest_hooks

    real_unsubscribe = rest_hooks.unsubscribe

    def unsubscribe_fails_once(client, ids):
        monkeypatch.setattr(rest_hooks, "unsubscribe", real_unsubscribe)
        raise StoreDocumentError("The store's answer is not JSON.")

    monkeypatch.setattr(rest_hooks, "unsubscribe", unsubscribe_fails_once)
    calls = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **k: calls.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        assert hooks_subscribe(store.pk) == "failed"
    store.refresh_from_db()
    assert (
        factories.realtime_row(store).token_hash != old_hash and factories.realtime_row(store).subscription_ids
    )  # switched: the new ones work
    from hooks.models import PendingUnsubscribe

    pending = PendingUnsubscribe.objects.get()
    assert (pending.store_id, pending.token_hash) == (store.pk, old_hash)
    assert calls == [("hooks.tasks.hooks_unsubscribe_task", pending.pk)]
    from hooks.tasks import hooks_unsubscribe_task

    hooks_unsubscribe_task(*calls[0][1:])
    assert {s["url"] for s in _subscriptions(server)} == {
        s["url"]
        for s in _subscriptions(server)
        if token_hash(s["url"].rstrip("/").rsplit("/", 1)[-1]) == factories.realtime_row(store).token_hash
    }


# --- a waiting check batch fetches meanwhile ----------------------------------------------------------


def test_a_waiting_check_batch_fetches_a_fresh_event_but_not_a_failing_store(
    tenant_a, server, django_capture_on_commit_callbacks
):
    from hooks.services import SWEEP_AFTER, hooks_fetch_while_waiting

    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    assert hooks_fetch_while_waiting(30.0) is False  # nothing waits
    _pending(store, 100006)
    assert hooks_fetch_while_waiting(0.5) is False  # no time for it
    assert hooks_fetch_while_waiting(30.0) is True
    assert _waiting(store) == [] and Order.objects.filter(store=store, external_id="100006").exists()
    # A store that fails: its orders are put back dated for the sweep, which a waiting batch leaves alone.
    _pending(store, 100009)
    server.set_faults(down=True)
    assert hooks_fetch_while_waiting(30.0) is False
    server.reset_faults()
    row = PendingFetch.objects.get(store=store)
    assert row.order_id == 100009 and row.received_at <= timezone.now() - SWEEP_AFTER
    asked = server.requests_served.get("total", 0)
    assert hooks_fetch_while_waiting(30.0) is False and server.requests_served.get("total", 0) == asked
    queued = []
    assert hooks_sweep(enqueue=queued.append)["fetches"] == 1 and queued == [store.pk]  # the sweep's, at once


def test_a_check_batch_waiting_for_its_slot_imports_a_webhooks_order_meanwhile(
    tenant_a, server, django_capture_on_commit_callbacks
):
    from orders.services import import_checks_run

    store = _connect(tenant_a, server, django_capture_on_commit_callbacks)
    other = factories.connect_sandbox(tenant_a, server, road="rest", name="Second")
    _pending(store, 100016)
    slot = timezone.now() + dt.timedelta(seconds=5)  # room for the fetch on a loaded machine
    import_checks_run([(slot, other.pk, other.import_interval_minutes)], wait=True)
    assert _waiting(store) == [] and Order.objects.filter(store=store, external_id="100016").exists()
