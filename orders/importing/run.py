"""A whole import run: claims, heartbeat, the page walk, spans, the tail check, the finish.

    orders.services.import_tick (every minute)     orders.services.import_request (portal, API, admin)
          │  stores due, no active run                  │
          ▼                                             ▼
    ImportRun(queued) ──► django-q2 task orders.tasks.import_run_task(run_id)
          │
          ▼
    orders.services.import_run_execute: claim the run (queued → running, conditional UPDATE)
          │            claim the store (lease on StoreImportState.import_running_since, conditional UPDATE)
          ▼
    window = [watermark − overlap, now]     (first import: [since, now])
          │
          ▼
    walk export pages 1..N ──► page.import_page(): map statuses, skip no ship-to / unmapped,
          │                    bulk upsert orders, lines, products, events — constant queries per page
          ▼
    tail check: export [end, now']; orders seen in the walk that moved again may have shifted later
          │     pages (docs/custom-store-v1.md#paging-hazard) → re-walk the part of the window they could have hidden
          ▼
    watermark advances only when every page succeeded; the store claim is released.

The durable truth lives in our tables (ImportRun, StoreImportState.import_watermark), not in the queue: a task
that is lost, run twice or killed mid-way is harmless, because the claim makes a second copy a no-op,
writes are idempotent upserts, and a failed or killed run leaves the watermark where it was so the next
run covers the same window again.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import socket
from contextlib import contextmanager
from typing import NamedTuple

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, F, Q, When
from django.utils import timezone

from stores.connector.errors import StoreError
from stores.connector.registry import connector_for_store
from stores.models import StatusMapping, Store

from ..limits import export_limits
from ..models import ImportRun, ImportState, ImportTrigger, StoreImportState, import_state_of
from .page import PageResult, import_page
from .snapshot import ImportContext
from .state import import_state, import_state_update, lease

log = logging.getLogger(__name__)

ATTENTION_AFTER = 3  # consecutive failures before a store is flagged "needs attention"
CLAIM_RENEW_EVERY = 10.0  # seconds between claim renewals while pages bring nothing to write
PROGRESS_EVERY = 0.5  # seconds between saves of a running import's progress (its pages and counts)
TAIL_SLACK = dt.timedelta(seconds=60)  # the tail check reads from this long before a window's end (_import_span)


class Span(NamedTuple):
    """A part of a run's window, imported (and its watermark saved) as one."""

    start: dt.datetime
    end: dt.datetime


def overlap() -> dt.timedelta:
    return dt.timedelta(seconds=settings.IMPORT_OVERLAP_SECONDS)


def first_import_default() -> dt.timedelta:
    return dt.timedelta(days=settings.IMPORT_FIRST_DAYS)


class ImportAborted(Exception):
    pass


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _heartbeat(
    ctx: ImportContext, run: ImportRun, totals: PageResult, pages_total: int | None, requests: int, *, wrote: bool
) -> None:
    """Renew the store claim, and show the run's progress.

    A page that writes renews the claim inside its transaction: the row lock, held until the page
    commits, is what stops a worker that took over an expired claim from racing this one. A page with
    nothing to write renews it only every few seconds, well inside the lease. The progress row is saved
    at most every PROGRESS_EVERY seconds (and always when the run ends): a progress bar needs no more.
    """
    now = timezone.now()
    renew_every = min(CLAIM_RENEW_EVERY, lease().total_seconds() / 4)
    if wrote or ctx.claim_renewed_at is None or (now - ctx.claim_renewed_at).total_seconds() >= renew_every:
        if not import_state(ctx.store.pk).filter(import_lock_run=run.pk).update(import_running_since=now):
            raise ImportAborted("Another import took over this store (this run's claim expired).")
        ctx.claim_renewed_at = now
    run.pages_done += 1
    run.pages_total = max(pages_total or 0, run.pages_done)
    run.orders_seen, run.orders_created, run.orders_updated = totals.seen, totals.created, totals.updated
    run.orders_unchanged, run.skipped, run.http_requests = totals.unchanged, dict(totals.skipped), requests
    if run.heartbeat_at is not None and (now - run.heartbeat_at).total_seconds() < PROGRESS_EVERY:
        return
    run.heartbeat_at = now
    run.save(
        update_fields=[
            "pages_done",
            "pages_total",
            "orders_seen",
            "orders_created",
            "orders_updated",
            "orders_unchanged",
            "skipped",
            "http_requests",
            "heartbeat_at",
        ]
    )


def _add(totals: PageResult, page: PageResult) -> None:
    totals.seen += page.seen
    totals.created += page.created
    totals.updated += page.updated
    totals.unchanged += page.unchanged
    totals.skipped.update(page.skipped)


@contextmanager
def _relaxed_commits():
    """On PostgreSQL, let each page's commit return before its WAL reaches the disk, for this walk.

    Safe here because PostgreSQL never reorders commits: a crash can only lose the last pages, never
    a page while keeping a later watermark, and the store still holds whatever was lost, so the next
    run (which starts from the old watermark) writes it again. It saves a disk flush per page. Set
    once for the session (not per page: a round trip per page is what this walk cannot afford) and
    reset before the run's outcome and watermark are saved, which are then durable as usual.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:  # a broken connection takes the setting with it when Django drops it
            log.warning("Could not reset synchronous_commit after an import walk", exc_info=True)


def _walk(
    client,
    ctx,
    run,
    totals,
    start,
    end,
    seen: dict[str, dt.datetime],
    digests: dict[str, str],
    recent_from: dt.datetime,
) -> str:
    """Import every page of one window; returns the store's sort direction as observed ('asc'/'desc'/'?').

    `seen` gets each order's LastModified as first served; `digests`, for the orders modified since
    `recent_from`, the digest of what was served (see _moved).
    """
    direction = "?"
    with _relaxed_commits():
        return _walk_pages(client, ctx, run, totals, start, end, seen, direction, digests, recent_from)


def _walk_pages(client, ctx, run, totals, start, end, seen, direction, digests, recent_from) -> str:
    for page in client.export_pages(start, end, skip=ctx.unchanged_ids):
        if direction == "?" and len(page.orders) > 1:
            first, last = page.orders[0].last_modified, page.orders[-1].last_modified
            direction = "asc" if first < last else "desc" if first > last else "?"
        for export in page.orders:
            seen.setdefault(export.order_id, export.last_modified)
            if export.last_modified >= recent_from:
                digests.setdefault(export.order_id, ctx.content_hash(export))
        for order_id in page.unchanged:
            modified = seen.setdefault(order_id, ctx.unchanged_modified.pop(order_id, end))
            if modified >= recent_from:
                digests.setdefault(order_id, ctx.held[order_id].content_hash)
        # One transaction per page: the page's rows, the claim and the run's progress commit together. A
        # page with nothing to write (every order unchanged or skipped) costs no query at all, and the
        # claim is then renewed only now and then: re-reading an unchanged window costs the store's time.
        with transaction.atomic():
            result = import_page(ctx, page.orders)
            result.seen += len(page.unchanged)
            unchanged, skipped = ctx.recognised(page.unchanged)
            result.unchanged += unchanged
            result.skipped.update(skipped)
            _add(totals, result)
            _heartbeat(ctx, run, totals, page.pages, client.requests_made, wrote=result.wrote)
    return direction


def plan_spans(client, start: dt.datetime, end: dt.datetime) -> list[Span]:
    """Split a long window so that no span holds more than IMPORT_SPAN_MAX_ORDERS orders.

    The store says how big the window is (page 1's `pages` × its size); one probe request, made only
    for windows longer than a day (a first import), none for the everyday incremental run.
    """
    if end - start <= dt.timedelta(days=1):
        return [Span(start, end)]
    probe = client.export_page(start, end, 1, skip=lambda digests: set(digests))  # size only: convert nothing
    total = probe.pages * max(probe.size, 1)
    count = max(1, math.ceil(total / settings.IMPORT_SPAN_MAX_ORDERS))
    step = (end - start) / count
    return [Span(start + step * i, end if i == count - 1 else start + step * (i + 1)) for i in range(count)]


def _moved(
    seen: dict[str, dt.datetime], digests: dict[str, str], later: dict[str, dt.datetime], later_digests: dict[str, str]
) -> list[dt.datetime]:
    """When the orders served again in `later` were first seen, for those that changed in between.

    A newer LastModified says so; but the protocol's dates are minutes, so an order changed twice within
    one minute looks the same: for orders modified since the run began, what was served tells instead.
    """
    moved = []
    for order_id, modified in later.items():
        first = seen.get(order_id)
        if first is None:
            continue
        if modified > first or (
            modified == first
            and order_id in digests
            and later_digests.get(order_id, digests[order_id]) != digests[order_id]
        ):
            moved.append(first)
    return moved


def _import_span(client, ctx, run, totals, start, end, *, tail_from: dt.datetime, final: bool) -> dt.datetime:
    """Import [start, end]; returns how far the watermark may go (end, or further for the final span).

    Tail check (docs/custom-store-v1.md#paging-hazard): an order served on an early page and modified
    while we paged drops out of the window and shifts later pages, hiding one order per page boundary.
    The orders that moved show up in [tail_from − TAIL_SLACK, now] (tail_from = the run's end; the slack
    because a store whose clock is behind ours, or whose stamps are coarser than our end, dates a change
    made during the walk before that end and keeps the order in the window, at its newest end); the part
    of the span they could hide is walked again, up to three rounds, each reading the tail again (its own
    pages drift too) and also counting the orders a re-walk served changed. The watermark is the time
    the tail check began, never the end sent (rounded up to a minute on the XML road: window_end_sent).
    """
    seen: dict[str, dt.datetime] = {}
    digests: dict[str, str] = {}
    recent_from = (tail_from - TAIL_SLACK).replace(second=0, microsecond=0)
    walk_started = timezone.now()
    direction = _walk(client, ctx, run, totals, start, end, seen, digests, recent_from)
    if not final:
        if not seen:
            return end  # nothing served, nothing can have moved
        # Only orders modified since this span's walk began can have moved during it; reading from the
        # run's end instead would fetch the same recent orders again for every span.
        tail_from = max(tail_from, walk_started)
    span_start, span_end = start, end
    carried: list[dt.datetime] = []  # orders a re-walk found moved: the next round re-walks for them too
    for _round in range(3):
        # Every round reads from the same tail_from: an order hidden while the previous tail check paged
        # (it moves too) is read by this one.
        tail_end = timezone.now()
        tail_seen: dict[str, dt.datetime] = {}
        tail_digests: dict[str, str] = {}
        _walk(client, ctx, run, totals, tail_from - TAIL_SLACK, tail_end, tail_seen, tail_digests, recent_from)
        moved = carried + _moved(seen, digests, tail_seen, tail_digests)
        seen.update(tail_seen)
        digests.update(tail_digests)
        if not moved:
            return tail_end if final else end
        if direction == "asc":
            rewalk = Span(min(moved), span_end)
        elif direction == "desc":
            rewalk = Span(span_start, max(moved))
        else:
            rewalk = Span(span_start, span_end)
        rewalk_start = rewalk.start.replace(second=0, microsecond=0)
        rewalk_seen: dict[str, dt.datetime] = {}
        rewalk_digests: dict[str, str] = {}
        _walk(client, ctx, run, totals, rewalk_start, rewalk.end, rewalk_seen, rewalk_digests, recent_from)
        carried = _moved(seen, digests, rewalk_seen, rewalk_digests)
        seen.update(rewalk_seen)
        digests.update(rewalk_digests)
        span_start = rewalk_start
        if final:
            span_end = tail_end
    # Still moving after three rounds: leave the watermark early enough for the next run to cover it.
    return min([span_start, *carried]).replace(second=0, microsecond=0)


def import_window(
    *,
    run: ImportRun,
    store: Store,
    start: dt.datetime,
    end: dt.datetime,
    client=None,
    recover_until: dt.datetime | None = None,
) -> dt.datetime:
    """Import [start, end] and whatever moved meanwhile; returns the new watermark.

    A long window holding many orders (a first import reaching back months) goes in spans of at most
    IMPORT_SPAN_MAX_ORDERS orders; the watermark is saved after each, so a run cut off by django-q2's
    timeout or a dead worker is continued by the next one instead of starting over.
    """
    own_client = client is None
    client = client or connector_for_store(store)
    client.limits = export_limits()
    ctx = ImportContext.for_store(store, actor=f"import run {run.pk}")
    ctx.recover_until = recover_until
    ctx.load_held()
    totals = PageResult()
    try:
        spans = plan_spans(client, start, end)
        for number, (span_start, span_end) in enumerate(spans, start=1):
            final = number == len(spans)
            watermark = _import_span(client, ctx, run, totals, span_start, span_end, tail_from=end, final=final)
            if final or watermark < span_end:
                return watermark
            import_state(store.pk).filter(import_lock_run=run.pk).filter(
                Q(import_watermark__isnull=True) | Q(import_watermark__lt=span_end)
            ).update(import_watermark=span_end)
            # A requested window older than the watermark (a deep re-import) keeps its progress too;
            # one asked for meanwhile, further back than this run reaches, is left for the next run.
            import_state(store.pk).filter(
                import_lock_run=run.pk, import_pending_since__gte=start, import_pending_since__lt=span_end
            ).update(import_pending_since=span_end)
        return end  # pragma: no cover - the loop always returns on its final span
    finally:
        run.http_requests = client.requests_made
        run.recovered = ctx.recovered
        if own_client:
            client.close()


def claim_run(run_id: int) -> ImportRun | None:
    """Claim a queued run (queued → running); None when another caller claimed it first."""
    now = timezone.now()
    claimed = ImportRun.objects.filter(pk=run_id, state=ImportState.QUEUED).update(
        state=ImportState.RUNNING, started_at=now, heartbeat_at=now, worker=_worker_name()
    )
    if not claimed:
        return None
    return ImportRun.objects.select_related("store", "store__tenant").get(pk=run_id)


def skip_run(run: ImportRun) -> None:
    """End a claimed run whose store another import holds."""
    run.state, run.finished_at = ImportState.SKIPPED, timezone.now()
    run.error = "Skipped: another import of this store was already running."
    run.save(update_fields=["state", "finished_at", "error"])


def run_import(run: ImportRun, store: Store, client) -> None:
    """The work of a claimed run, with the store claimed: its window, its pages, its outcome. Any failure
    ends the run as failed (the watermark stays); the caller releases the store."""
    try:
        if run.trigger == ImportTrigger.RECONCILE:
            _reconcile(run, store, client)
            return
        end = timezone.now()
        start = _window_start(run, store, end)
        run.window_start, run.window_end = start, end
        run.save(update_fields=["window_start", "window_end"])
        watermark = import_window(run=run, store=store, start=start, end=end, client=client)
    except (StoreError, ImportAborted) as exc:
        finish_failed(run, store, str(exc))
    except Exception as exc:  # noqa: BLE001  (a bug must still end the run loudly, not leave it "running")
        log.exception("Import run %s crashed", run.pk)
        finish_failed(run, store, f"Unexpected error: {exc.__class__.__name__}: {exc}")
    else:
        _finish_ok(run, store, watermark)


def _window_start(run: ImportRun, store: Store, end: dt.datetime) -> dt.datetime:
    state = StoreImportState.objects.filter(store_id=store.pk).first() or import_state_of(store)
    if state.import_watermark:
        start = state.import_watermark - overlap()
    else:
        # No import has finished yet: honour the "how far back" the user picked for the first one,
        # even when that run was cut off and this is the schedule picking the store up again.
        picked = (
            run.since
            or ImportRun.objects.filter(store=store, since__isnull=False)
            .order_by("-queued_at")
            .values_list("since", flat=True)
            .first()
        )
        start = picked or (end - first_import_default())
    if run.since and run.since < start:
        start = run.since
    # A window asked for earlier and not covered yet (a deep re-import cut off) comes first.
    if state.import_pending_since and state.import_pending_since < start:
        start = state.import_pending_since
    if state.import_watermark and start < state.import_watermark - overlap():
        remember_requested_window(store, start)
    return start


def remember_requested_window(store: Store, since: dt.datetime) -> None:
    """Keep `since` as the start of a window to import until a run has covered it (see
    StoreImportState.import_pending_since): the earliest of those asked for wins."""
    import_state_update(
        store.pk, Q(import_pending_since__isnull=True) | Q(import_pending_since__gt=since), import_pending_since=since
    )


def mapping_lookup(store: Store) -> dict[str, str] | None:
    mapping = StatusMapping.objects.filter(store=store).first()
    return mapping.lookup() if mapping is not None else None


def _reconcile(run: ImportRun, store: Store, client) -> None:
    """The reconciliation sweep: walk the last `store.reconcile_days` days up to what the imports have
    covered (the watermark) and import whatever the store serves that we lack or hold older. Unchanged
    orders are recognised from their bytes as in any run; the watermark is left alone (the sweep checks
    the past, the everyday runs go on from where they were)."""
    now = timezone.now()
    end = import_state(store.pk).values_list("import_watermark", flat=True).first()
    if end is not None:
        start = min(now - dt.timedelta(days=store.reconcile_days), end)
        run.window_start, run.window_end = start, end
        run.save(update_fields=["window_start", "window_end"])
        # An order the store stamps with the watermark's minute may have changed after the run that set it
        # (LastModified travels at minute precision): only orders stamped a full minute before count as
        # missed. Later ones are imported all the same.
        import_window(
            run=run, store=store, start=start, end=end, client=client, recover_until=end - dt.timedelta(minutes=1)
        )
    run.state, run.finished_at = ImportState.SUCCEEDED, timezone.now()
    if run.pages_total is None:
        run.pages_total = run.pages_done
    run.save()
    if run.recovered:
        log.warning("Reconciliation sweep (import run %s) of store %s: %s", run.pk, store.pk, run.recovered_message)
    import_state_update(
        store.pk, last_reconcile_at=run.finished_at, orders_recovered=F("orders_recovered") + len(run.recovered)
    )


def _finish_ok(run: ImportRun, store: Store, watermark: dt.datetime) -> None:
    now = timezone.now()
    run.state, run.finished_at, run.window_end = ImportState.SUCCEEDED, now, max(run.window_end, watermark)
    if run.pages_total is None:
        run.pages_total = run.pages_done
    run.save()
    msg = (
        f"{run.orders_created} new, {run.orders_updated} updated, {run.orders_unchanged} unchanged, "
        f"{run.skipped_total} skipped."
    )
    import_state_update(
        store.pk,
        import_watermark=watermark,
        last_import_at=now,
        last_checked_at=now,
        last_import_ok=True,
        last_import_message=msg,
        consecutive_failures=0,
        needs_attention=False,
        # The requested window is covered now, unless one further back was asked for meanwhile.
        import_pending_since=Case(
            When(import_pending_since__gte=run.window_start, then=None), default=F("import_pending_since")
        ),
    )


def finish_failed(run: ImportRun, store: Store, error: str, *, due_again: bool = False) -> None:
    now = timezone.now()
    run.state, run.finished_at, run.error = ImportState.FAILED, now, error
    run.save()
    changes = {
        "last_import_ok": False,
        "last_import_message": error,
        "consecutive_failures": F("consecutive_failures") + 1,
    }
    if not due_again:
        changes["last_import_at"] = now
    import_state_update(store.pk, **changes)
    import_state(store.pk).filter(consecutive_failures__gte=ATTENTION_AFTER).update(needs_attention=True)
