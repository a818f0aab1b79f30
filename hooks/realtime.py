"""Real time's side of a store's lifecycle: after a store write (announced by stores.changes, listened to here
from HooksConfig.ready), subscribe its webhooks or revoke them.

A store connected on the REST road (created, connected by OAuth, switched to REST, switched back on, a new
token) gets a subscribe task (hooks.tasks, a django-q2 task, never the web request). A store that leaves
real time (switched off, moved to the XML road) has its token revoked at once, in the
write's own transaction (its events get 404 from then on), and an unsubscribe task removes the
subscriptions. So does a store that moves to another address (from the old site, with the credentials it
had there: realtime_site) before it subscribes on the new one, and a store being deleted.

The unsubscribe keeps the site and its credentials in a row of its own (PendingUnsubscribe) and queues the
task with that row's id only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from core import queues
from stores import changes
from stores.credentials import SecretKind
from stores.models import Store

from .models import PendingUnsubscribe, StoreRealtime

SUBSCRIBE_TASK = "hooks.tasks.hooks_subscribe_task"
UNSUBSCRIBE_TASK = "hooks.tasks.hooks_unsubscribe_task"
# Edits that may start or end real time, or move it to another site or token.
FOLLOWED_FIELDS = {"road", "rest_auth", "url", "is_active", SecretKind.REST_TOKEN, SecretKind.REST_OAUTH}
# What reaches a store's site: enough to remove its webhooks from there after it moved or was deleted (and the
# REST road's secret documents, still encrypted: SITE_SECRETS).
SITE_FIELDS = (
    "platform",  # whose webhooks (the connector registry's realtime_of); a row saved before it: the default
    "url",
    "rest_auth",
)
SITE_SECRETS = (SecretKind.REST_TOKEN, SecretKind.REST_OAUTH)


def store_changed(change: changes.StoreChange) -> None:
    """The listener (stores.changes): a write that may start, end or move real time is followed; a store
    being deleted has its webhooks removed from its site."""
    store = change.store
    if change.kind == changes.CREATED:
        realtime_row_ensure(store.pk)
    if change.kind == changes.DELETING:
        store_realtime_forget(store)
    elif change.kind == changes.OAUTH_TOKENS and _realtime_row(store).subscription_ids:
        return  # a refresh of a subscribed store changes nothing for real time
    elif change.kind != changes.BEFORE_DELETE and change.touches(FOLLOWED_FIELDS):
        previous = realtime_site(change.previous) if change.previous is not None else None
        store_realtime_follow(store, previous_site=previous)


def has_realtime(store: Store) -> bool:
    """Whether the store's connection type (its platform and road) has webhooks, as the registry declares."""
    return store.connection.realtime is not None


def realtime_row_ensure(store_id: int) -> None:
    """Make the store's real-time row if it has none (safe when two workers do it at once)."""
    StoreRealtime.objects.bulk_create([StoreRealtime(store_id=store_id)], ignore_conflicts=True)


def _realtime_row(store: Store) -> StoreRealtime:
    """The store's real-time row as it is in the database now (the store object may have been loaded before
    a subscribe switched it)."""
    return StoreRealtime.objects.filter(store_id=store.pk).first() or StoreRealtime(store_id=store.pk)


def realtime_wanted(store: Store) -> bool:
    """Whether the store should have webhooks: active, on a road with webhooks, with credentials that work.

    A store that needs a reconnect keeps its token and subscriptions (its credentials could not remove them
    anyway): its events wait as pending fetches, and the reconnect finds them subscribed."""
    return bool(store.is_active and has_realtime(store) and store.rest_credentials_set and not store.needs_reconnect)


def enqueue_hooks_task(task: str, *args, **options) -> None:
    """Queue one of this app's tasks (named: SUBSCRIBE_TASK, UNSUBSCRIBE_TASK) for a store or a row
    (args[0]); `options`: django-q2's (save=False: neither the result nor the arguments are kept)."""
    queues.enqueue(
        queues.IMPORTS, task, *args, group="hooks", task_name=f"{task.rsplit('.', 1)[-1]}-{args[0]}", **options
    )


def _awaits_reconnect(store: Store) -> bool:
    return bool(store.is_active and has_realtime(store) and store.needs_reconnect)


def realtime_site(store: Store) -> dict:
    """Where the store's webhooks live and the (encrypted) credentials that reach them."""
    documents = store.secret_documents
    site = {name: getattr(store, name) for name in SITE_FIELDS}
    return {**site, "secret_documents": {kind: documents[kind] for kind in SITE_SECRETS if kind in documents}}


def store_realtime_follow(store: Store, *, previous_site: dict | None = None) -> None:
    """After a store write that may have changed real time (`previous_site`: realtime_site() before the write,
    when it may have changed the address)."""
    moved = previous_site is not None and previous_site["url"] != store.url
    wanted = realtime_wanted(store)
    # A store waiting for a reconnect (realtime_wanted's docstring) keeps its webhooks: the OAuth
    # reconnect writes the road before the new tokens, and must find them still subscribed.
    if moved or not (wanted or _awaits_reconnect(store)):
        _revoke(store, previous_site if moved else None)
    if wanted and settings.PUBLIC_BASE_URL:
        transaction.on_commit(lambda: enqueue_hooks_task(SUBSCRIBE_TASK, store.pk))


def store_realtime_forget(store: Store) -> None:
    """Before a store is deleted: its webhooks are removed from its site by a task (which cannot read the store
    any more, hence the site and credentials in its row)."""
    if _realtime_row(store).token_hash:
        _revoke(store, realtime_site(store))


def _revoke(store: Store, site: dict | None) -> None:
    with transaction.atomic():  # the row locked from the read to the write: no switch of token in between
        row = StoreRealtime.objects.select_for_update().filter(store_id=store.pk).first()
        if row is None or not (row.token_hash or row.subscription_ids):
            return
        old_hash = row.token_hash
        StoreRealtime.objects.filter(store_id=store.pk).update(token_hash="", subscription_ids=[])
    if Store.realtime.is_cached(store):
        store.realtime.token_hash, store.realtime.subscription_ids = "", []
    if old_hash:
        hooks_unsubscribe_queue(store.pk, old_hash, site)


def site_from_row(site: dict | None) -> dict | None:
    """The site a PendingUnsubscribe row keeps, as Store(**site) takes it. A row queued by the code before the
    secret documents (its secrets in columns of their own) reaches its site with no credentials: the
    unsubscribe says so and the row goes."""
    if site is None:
        return None
    return {name: value for name, value in site.items() if name in (*SITE_FIELDS, "secret_documents")}


def hooks_unsubscribe_queue(store_id: int, old_hash: str, site: dict | None = None) -> PendingUnsubscribe:
    """Remove a revoked token's webhooks, by a task after commit (called in the revoking write's transaction:
    a rolled-back write queues nothing). The site and its encrypted credentials wait in a PendingUnsubscribe
    row; the task's only argument is the row's id, and django-q saves neither its result nor its arguments
    (save=False), so no credential reaches django-q's tables. hooks.services.hooks_unsubscribe_pending runs
    it."""
    row = PendingUnsubscribe.objects.create(store_id=store_id, token_hash=old_hash, site=site)
    transaction.on_commit(lambda: enqueue_hooks_task(UNSUBSCRIBE_TASK, row.pk, save=False))
    return row
