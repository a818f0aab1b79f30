"""Issue 28, part 2: real time follows a store's writes by listening to the stores app (stores.changes): a write
that may start, end or move real time is acted on; any other write asks nothing of the store."""

from __future__ import annotations

import pytest

from hooks.models import PendingUnsubscribe
from stores.models import Store
from stores.services import status_mapping_set, store_set_password, store_update
from tests import factories


@pytest.fixture
def subscribed(tenant_a, settings, monkeypatch, django_capture_on_commit_callbacks):
    """A REST store with webhooks (as a finished subscribe leaves it), and the hooks tasks queued from then on."""
    settings.PUBLIC_BASE_URL = "http://outbound.test"
    queued: list[tuple] = []
    monkeypatch.setattr("hooks.realtime.enqueue_hooks_task", lambda task, *args, **kw: queued.append((task, args)))
    with django_capture_on_commit_callbacks(execute=True):
        store = factories.make_store(tenant_a, url="https://shop.example.com", road="rest", api_token="tok-1")
    assert queued == [("hooks.tasks.hooks_subscribe_task", (store.pk,))]
    queued.clear()
    factories.realtime_set(store, token_hash="a" * 64, subscription_ids=[7, 8])
    return Store.objects.get(pk=store.pk), queued


def test_a_write_that_leaves_real_time_as_it_was_asks_nothing_of_the_store(
    subscribed, alice, django_capture_on_commit_callbacks
):
    store, queued = subscribed
    with django_capture_on_commit_callbacks(execute=True):
        status_mapping_set(store=store, lists={"on_hold": "Fraud Review"}, user=alice)
        store_update(store=store, name="Renamed", import_interval_minutes=30)
        store_set_password(store=store, password="xml-road-only")
    assert queued == [] and not PendingUnsubscribe.objects.exists()
    assert factories.realtime_row(store).token_hash == "a" * 64


def test_a_store_that_moves_is_unsubscribed_from_its_old_site_and_subscribed_on_the_new(
    subscribed, django_capture_on_commit_callbacks
):
    store, queued = subscribed
    with django_capture_on_commit_callbacks(execute=True):
        store_update(store=store, url="https://new.example.com")
    pending = PendingUnsubscribe.objects.get()
    assert (pending.store_id, pending.token_hash, pending.site["url"]) == (
        store.pk,
        "a" * 64,
        "https://shop.example.com",
    )
    assert queued == [
        ("hooks.tasks.hooks_unsubscribe_task", (pending.pk,)),
        ("hooks.tasks.hooks_subscribe_task", (store.pk,)),
    ]
    assert factories.realtime_row(store).token_hash == ""  # revoked at once, in the write
