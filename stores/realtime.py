"""Real time's side of a store's lifecycle: after a store write (stores.services), subscribe its webhooks
or revoke them.

A store connected on the REST road (created, connected by OAuth, switched to REST, switched back on, a new
token) gets a subscribe task (hooks.tasks, a django-q2 task, never the web request). A store that leaves
real time (switched off, moved to the XML road) has its token revoked at once, in the write's own
transaction (its events get 404 from then on), and an unsubscribe task removes the subscriptions.

The tasks are named, not imported: the hooks app sits above the stores app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from .models import Road, Store

SUBSCRIBE_TASK = "hooks.tasks.hooks_subscribe_task"
UNSUBSCRIBE_TASK = "hooks.tasks.hooks_unsubscribe_task"
# Edits that may start or end real time, or move it to another site or token.
FOLLOWED_FIELDS = {"road", "rest_auth", "url", "is_active", "api_token_encrypted", "oauth_access_token_encrypted"}


def realtime_wanted(store: Store) -> bool:
    """Whether the store should have webhooks: active, on the REST road, with credentials that work."""
    return bool(
        store.is_active and store.road == Road.REST and store.rest_credentials_set and not store.needs_reconnect
    )


def _enqueue(task: str, *args) -> None:
    from django_q.tasks import async_task

    async_task(task, *args, group="hooks", task_name=f"{task.rsplit('.', 1)[-1]}-{args[0]}")


def store_realtime_follow(store: Store, changed=None) -> None:
    """Call after a store write (`changed`: the fields written; None: everything may have changed)."""
    if changed is not None and not FOLLOWED_FIELDS & set(changed):
        return
    if realtime_wanted(store):
        if settings.PUBLIC_BASE_URL:
            transaction.on_commit(lambda: _enqueue(SUBSCRIBE_TASK, store.pk))
        return
    if store.hooks_token_hash or store.hooks_subscription_ids:
        ids, old_hash = list(store.hooks_subscription_ids), store.hooks_token_hash
        Store.objects.filter(pk=store.pk).update(hooks_token_hash="", hooks_subscription_ids=[])
        store.hooks_token_hash, store.hooks_subscription_ids = "", []
        transaction.on_commit(lambda: _enqueue(UNSUBSCRIBE_TASK, store.pk, ids, old_hash))
