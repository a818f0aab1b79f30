"""A targeted import: a few orders fetched one by one (a store webhook named them), written by the same
page import as any run (orders.importing.page.import_page: the claim, the mapping, the status machine,
the history, Outbound's own webhooks).

    token = claim_store_for_fetch(store_id)      the store's import claim (as a scheduled check takes it),
                                                 None while another import holds it
    result = import_fetched(store, exports, token)
    release_store_for_fetch(store_id, token)

The watermark is left alone: the scheduled import goes on from where it was and reads these orders
again, recognised unchanged from their bytes.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from stores.connector.types import ExportOrder
from stores.models import Store

from .check import _release, _token
from .page import PageResult, import_page
from .run import ImportAborted
from .snapshot import ImportContext
from .state import import_state, import_state_update, lease


def claim_store_for_fetch(store_id: int) -> int | None:
    """Take the store's import claim (free, or its lease expired) under a fresh negative token."""
    now = timezone.now()
    token = _token()
    if not Store.objects.filter(pk=store_id, is_active=True).exists():
        return None
    claimed = import_state_update(
        store_id,
        Q(import_running_since__isnull=True) | Q(import_running_since__lt=now - lease()),
        import_running_since=now,
        import_lock_run=token,
    )
    return token if claimed else None


def release_store_for_fetch(store_id: int, token: int) -> None:
    _release(store_id, token)


def import_fetched(store: Store, exports: list[ExportOrder], token: int, *, actor: str = "webhook") -> PageResult:
    """Write the fetched orders as one page, the claim renewed in the page's transaction (a worker that
    took over an expired claim cannot race this one)."""
    if not exports:
        return PageResult()
    ctx = ImportContext.for_store(store, actor=actor)
    with transaction.atomic():
        if not import_state(store.pk).filter(import_lock_run=token).update(import_running_since=timezone.now()):
            raise ImportAborted("Another import took over this store (this fetch's claim expired).")
        return import_page(ctx, exports)
