"""Issue 28, part 2: the stores app announces its writes (stores.changes) and the apps above listen, instead of
the stores app calling up into them."""

from __future__ import annotations

import pytest

from stores import changes
from stores.models import Road, Store
from stores.services import (
    status_mapping_set,
    store_create,
    store_deactivate,
    store_delete,
    store_disconnect,
    store_mark_needs_reconnect,
    store_reconnect,
    store_set_api_token,
    store_set_password,
    store_update,
)
from tests import factories


@pytest.fixture
def heard(monkeypatch):
    """What the stores app announced, in order (the real listeners still run)."""
    seen: list[changes.StoreChange] = []
    monkeypatch.setattr(changes, "_listeners", [*changes._listeners, seen.append])
    return seen


def test_every_store_write_is_announced_with_what_it_wrote(tenant_a, operator, heard):
    store = store_create(tenant=tenant_a, name="Acme", url="https://shop.example.com", username="u", password="p1")
    store_update(store=store, url="https://new.example.com", name="Acme Two")
    store_set_password(store=store, password="p2")
    store_update(store=store, road=Road.REST, api_token="token-1")
    store_set_api_token(store=store, api_token="token-2")
    store_mark_needs_reconnect(store=store, reason="The store refused the token.")
    store_disconnect(store=store)
    store_reconnect(store=store)
    store_deactivate(store=store)
    status_mapping_set(store=store, lists={"on_hold": "Fraud Review"}, user=operator)
    store_delete(store=store, typed_name="Acme Two")

    assert [(c.kind, None if c.fields is None else sorted(c.fields)) for c in heard] == [
        (changes.CREATED, None),
        (changes.CHANGED, ["name", "url"]),
        (changes.PASSWORD, ["xml_secret"]),
        (changes.CHANGED, ["needs_reconnect", "reconnect_reason", "rest_token_secret", "road"]),
        (changes.API_TOKEN, ["needs_reconnect", "reconnect_reason", "rest_token_secret"]),
        (changes.NEEDS_RECONNECT, ["needs_reconnect", "reconnect_reason"]),
        (changes.DISCONNECTED, ["disconnected_at", "is_active"]),
        (changes.RECONNECTED, ["disconnected_at", "is_active"]),
        (changes.DEACTIVATED, ["is_active"]),
        (changes.MAPPING_CHANGED, []),
        (changes.BEFORE_DELETE, None),
        (changes.DELETING, None),
    ]
    moved = heard[1]
    assert (moved.previous.url, moved.store.url) == ("https://shop.example.com", "https://new.example.com")
    assert moved.touches({"url"}) and not moved.touches({"road"}) and heard[0].touches({"road"})
    assert heard[-3].user == operator and all(c.store.pk == store.pk for c in heard[:-1])


def test_a_store_deleted_any_other_way_is_announced_as_it_goes(tenant_a, monkeypatch):
    """An operator's delete in the admin, or a tenant's cascade, bypass store_delete: the row's deletion
    (Django's pre_delete) is announced all the same, while the row is still there."""
    kept, gone = factories.make_store(tenant_a, name="Kept"), factories.make_store(factories.make_tenant(), name="Gone")
    heard = []
    monkeypatch.setattr(
        changes,
        "_listeners",
        [lambda c: heard.append((c.kind, c.store.pk, Store.objects.filter(pk=c.store.pk).exists()))],
    )
    gone.tenant.delete()
    assert heard == [(changes.DELETING, gone.pk, True)]
    assert Store.objects.filter(pk=kept.pk).exists() and not Store.objects.filter(pk=gone.pk).exists()


def test_a_listener_that_fails_undoes_the_write(store_a, monkeypatch):
    def refuse(change):
        if change.kind == changes.CHANGED:
            raise RuntimeError("a listener could not do its part")

    monkeypatch.setattr(changes, "_listeners", [*changes._listeners, refuse])
    with pytest.raises(RuntimeError):
        store_update(store=store_a, name="Renamed")
    assert Store.objects.get(pk=store_a.pk).name == "Acme Main"


def test_announce_returns_what_the_listeners_started(monkeypatch):
    monkeypatch.setattr(changes, "_listeners", [])
    changes.subscribe(lambda change: None)
    changes.subscribe(lambda change: f"run for {change.kind}")
    changes.subscribe(changes._listeners[0])  # once only
    assert len(changes._listeners) == 2
    assert changes.announce(changes.StoreChange(changes.CREATED, store=None)) == ["run for created"]
