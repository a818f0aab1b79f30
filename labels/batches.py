"""Label batches (issue 29 part 5): up to 500 orders, a preview before any money is spent, one confirmation,
then workers buy the labels through `label_buy` (the one way to buy), and one merged document comes out.

label_batch_preview   every order's rate (cheapest of every label account, one shipping preset for all, or
  │                   each order's own preset), asked of the carriers at once (a thread pool over
  │                   labels.rates.rates_fetch; the database is read first, in the caller's thread), or why
  │                   it cannot be labelled → a LabelBatch "preview" and its items. Nothing is bought.
label_batch_confirm   the daily spend limit checked (the tenant's row locked), then ONE conditional UPDATE
  │                   preview → buying: the same confirmation posted twice, by a double click or two
  │                   operators, confirms one batch; LABEL_BATCH_WORKERS tasks are queued.
label_batch_work      a task: claims a chunk of LABEL_BATCH_CHUNK pending items with a lease (skip-locked
  │                   rows, a conditional UPDATE: two workers never take the same item), buys each through
  │                   label_buy with the item's own idempotency key (`batch:<id>:<order>`), then queues
  │                   itself again behind the other tasks of the batches queue (tenants interleave).
  │                   A worker killed mid-chunk: its items' lease runs out and another worker takes them;
  │                   label_buy with the same key answers the purchase already recorded (never a second
  │                   one), and a purchase left "calling" is the labels sweep's: uncertain → matched/flagged.
label_batches_sweep   every minute: a buying batch with pending items and no live lease is queued again;
                      one with nothing pending is finished.

Money: the batch's items are bought with `check_limit=False`: the batch's total was checked against the
daily limit when it was confirmed, and its unbought items count as spent meanwhile (selectors.spend_today).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from carriers.models import PackagePreset
from carriers.selectors import label_accounts
from core import queues
from orders.models import Order, ShippingPreset
from shipments.services import ship_actions

from .models import (
    LIVE_STATES,
    BatchMode,
    BatchState,
    ItemState,
    LabelBatch,
    LabelBatchItem,
    LabelDocument,
    LabelFormat,
    LabelPurchase,
    PurchaseState,
)
from .rates import rates_fetch, rates_prepare

log = logging.getLogger(__name__)

MAX_BATCH = 500


class BatchRefused(ValidationError):
    pass


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.LABEL_BATCH_LEASE_SECONDS)


# --- preview ------------------------------------------------------------------------------------------------


def _choice(order: Order, mode: str, preset: ShippingPreset | None, package: PackagePreset | None):
    """(accounts to ask, the service wanted or "" for the cheapest, the package) or a problem in words."""
    if mode == BatchMode.ORDER_PRESET:
        preset = order.shipping_preset
        if preset is None:
            return gettext("This order has no shipping preset.")
    if mode in (BatchMode.PRESET, BatchMode.ORDER_PRESET):
        account = preset.carrier_account
        if not (account.is_active and account.use_for_labels):
            return gettext("The carrier account of preset %(name)s does not buy labels.") % {"name": preset.name}
        return [account], preset.service, preset.package or order.package
    return None, "", package or order.package


def label_batch_preview(
    *,
    tenant,
    orders: list[Order],
    mode: str,
    preset: ShippingPreset | None = None,
    package: PackagePreset | None = None,
    label_format: str = LabelFormat.PDF,
    key: str,
    user=None,
    created_by_label: str = "",
) -> LabelBatch:
    """Rate every order (the carriers asked at once) and record the preview: each order's rate, or why it
    cannot be labelled. Buys nothing. A key already used answers its batch."""
    if mode not in BatchMode.values:
        raise BatchRefused(gettext("Choose how to pick each order's rate."))
    if mode == BatchMode.PRESET and (preset is None or preset.tenant_id != tenant.pk):
        raise BatchRefused(gettext("Choose a shipping preset."))
    if label_format not in LabelFormat.values:
        raise BatchRefused(gettext("The label format is pdf or zpl."))
    orders = [o for o in orders if o.tenant_id == tenant.pk]
    if not orders:
        raise BatchRefused(gettext("Select at least one order first."))
    if len(orders) > MAX_BATCH:
        raise BatchRefused(
            gettext("A batch takes at most %(max)s orders: narrow the list with its filters.") % {"max": MAX_BATCH}
        )
    existing = LabelBatch.objects.for_tenant(tenant).filter(key=key).first()
    if existing is not None:
        return existing
    accounts = list(label_accounts(tenant=tenant))
    live = set(
        LabelPurchase.objects.for_tenant(tenant)
        .filter(order__in=[o.pk for o in orders], state__in=LIVE_STATES)
        .values_list("order_id", flat=True)
    )
    # The database first, in this thread: each order's choice and rate plan.
    rows: list[dict] = []
    gateways: dict = {}  # one karrio gateway per account for the whole preview
    for order in orders:
        row = {"order": order, "problem": "", "service": "", "package": None, "plan": None}
        rows.append(row)
        if order.pk in live:
            row["problem"] = gettext("This order already has a label, or one is being bought.")
            continue
        actions = ship_actions(order)
        if not actions.can_ship:
            row["problem"] = actions.ship_why_not
            continue
        choice = _choice(order, mode, preset, package)
        if isinstance(choice, str):
            row["problem"] = choice
            continue
        wanted, row["service"], row["package"] = choice
        if wanted is None and not accounts:
            row["problem"] = gettext("No carrier account buys labels: add one in Carriers.")
            continue
        plan = rates_prepare(
            order, package=row["package"], accounts=wanted if wanted is not None else accounts, gateways=gateways
        )
        if plan.answer.problems:
            row["problem"] = "; ".join(plan.answer.problems)
            continue
        row["plan"] = plan
    # Then the carriers, at once (no database in the threads).
    planned = [row for row in rows if row["plan"] is not None]
    if planned:
        with ThreadPoolExecutor(max_workers=max(1, min(settings.LABEL_RATE_CONCURRENCY, len(planned)))) as pool:
            for row, answer in zip(planned, pool.map(rates_fetch, [r["plan"] for r in planned]), strict=True):
                row["answer"] = answer
    items, total, currency = [], Decimal(0), ""
    for position, row in enumerate(rows):
        item = LabelBatchItem(position=position, order=row["order"], package=row["package"], problem=row["problem"])
        answer = row.get("answer")
        if answer is not None:
            candidates = [r for r in answer.rates if not row["service"] or r.service == row["service"]]
            if candidates:
                rate = candidates[0]  # cheapest first
                item.account_id, item.carrier, item.service = rate.account_id, rate.carrier, rate.service
                item.price, item.currency, item.delivery_days = rate.price, rate.currency, rate.delivery_days
                total += rate.price
                currency = currency or rate.currency
            else:
                why = "; ".join(f"{carrier}: {words}" for carrier, words in answer.errors)
                if row["service"]:
                    item.problem = gettext("No rate for %(service)s: %(why)s") % {
                        "service": row["service"],
                        "why": why or gettext("the service is not offered for this parcel"),
                    }
                else:
                    item.problem = gettext("No carrier offered a rate: %(why)s") % {"why": why or "—"}
        if item.problem:
            item.state = ItemState.SKIPPED
        items.append(item)
    try:
        with transaction.atomic():
            batch = LabelBatch.objects.create(
                tenant=tenant,
                key=key[:120],
                mode=mode,
                shipping_preset=preset if mode == BatchMode.PRESET else None,
                package=package,
                label_format=label_format,
                total_price=total,
                currency=currency or "USD",
                created_by=user if user is not None and user.is_authenticated else None,
                created_by_label=created_by_label or (user.get_username() if user is not None else "system"),
            )
            for item in items:
                item.batch = batch
            LabelBatchItem.objects.bulk_create(items)
    except IntegrityError:  # the same key's preview was recorded meanwhile
        return LabelBatch.objects.for_tenant(tenant).get(key=key[:120])
    return batch


# --- confirm ------------------------------------------------------------------------------------------------


def label_batch_confirm(*, batch: LabelBatch, user=None) -> LabelBatch:
    """Confirm the preview: the daily limit checked, then preview → buying once, and its workers queued.
    A batch already confirmed is answered as it is (the same confirmation twice is one batch)."""
    from .services import spend_check

    if batch.state != BatchState.PREVIEW:
        return batch
    if not batch.items.filter(state=ItemState.PENDING).exists():
        raise BatchRefused(gettext("None of these orders can be labelled: nothing to buy."))
    now = timezone.now()
    with transaction.atomic():
        spend_check(tenant=batch.tenant, amount=batch.total_price)  # locks the tenant's row
        won = LabelBatch.objects.filter(pk=batch.pk, state=BatchState.PREVIEW).update(
            state=BatchState.BUYING, confirmed_at=now, queued_at=now
        )
    batch.refresh_from_db()
    if won:
        enqueue_workers(batch)
    return batch


def enqueue_workers(batch: LabelBatch) -> None:
    pending = batch.items.filter(state=ItemState.PENDING).count()
    tasks = max(1, min(settings.LABEL_BATCH_WORKERS, -(-pending // settings.LABEL_BATCH_CHUNK)))
    if settings.Q_CLUSTER.get("sync"):
        tasks = 1  # inline: one task does every chunk in turn
    for _ in range(tasks):
        if settings.Q_CLUSTER.get("sync"):
            _enqueue(batch.pk)
        else:
            transaction.on_commit(lambda: _enqueue(batch.pk))


def _enqueue(batch_id: int) -> None:
    queues.enqueue(queues.BATCHES, "labels.tasks.label_batch_task", batch_id, group="label-batches")


# --- the workers' side --------------------------------------------------------------------------------------


def _claim(batch: LabelBatch, worker: str, size: int) -> list[int]:
    """Take up to `size` pending items no live lease holds (skip-locked rows, then a conditional UPDATE)."""
    now = timezone.now()
    with transaction.atomic():
        free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        ids = list(
            LabelBatchItem.objects.select_for_update(skip_locked=True)
            .filter(batch_id=batch.pk, state=ItemState.PENDING)
            .filter(free)
            .order_by("position")
            .values_list("pk", flat=True)[:size]
        )
        if not ids:
            return []
        LabelBatchItem.objects.filter(pk__in=ids, state=ItemState.PENDING).filter(free).update(
            lease_until=now + _lease(), leased_by=worker[:100]
        )
    mine = LabelBatchItem.objects.filter(pk__in=ids, leased_by=worker[:100])
    return list(mine.order_by("position").values_list("pk", flat=True))


def item_key(item: LabelBatchItem) -> str:
    """The purchase's idempotency key: a resumed worker asking again gets the purchase already recorded."""
    return f"batch:{item.batch_id}:{item.order_id}"


def _buy(item: LabelBatchItem, batch: LabelBatch) -> None:
    from .services import LabelInProgress, label_buy

    fields = {"state": ItemState.DONE, "lease_until": None, "error": ""}
    if item.account is None:
        fields["error"] = gettext("The carrier account of this rate was deleted.")
    else:
        try:
            fields["purchase"] = label_buy(
                order=Order.objects.for_tenant(batch.tenant_id).get(pk=item.order_id),
                account=item.account,
                service=item.service,
                package=item.package,
                price=item.price,
                currency=item.currency,
                label_format=batch.label_format,
                user=batch.created_by,
                created_by_label=batch.created_by_label,
                idempotency_key=item_key(item),
                check_limit=False,
            )
        except LabelInProgress as exc:
            if exc.purchase.idempotency_key == item_key(item):  # this item's own purchase (a resumed worker)
                fields["purchase"] = exc.purchase
            else:  # another purchase (a second batch, an operator) got there first
                fields["error"] = exc.messages[0]
        except ValidationError as exc:  # the order changed since the preview: nothing was bought
            fields["error"] = " ".join(exc.messages)[:1000]
    LabelBatchItem.objects.filter(pk=item.pk, state=ItemState.PENDING).update(**fields)


def label_batch_work(batch_id: int, *, worker: str, size: int | None = None) -> str:
    """One chunk of a batch for this worker: claim, buy, then queue the next chunk (or finish the batch)."""
    batch = LabelBatch.objects.select_related("created_by").filter(pk=batch_id).first()
    if batch is None or batch.state != BatchState.BUYING:
        return f"label batch {batch_id}: nothing to do"
    size = size or settings.LABEL_BATCH_CHUNK
    sync = settings.Q_CLUSTER.get("sync")
    # Purchases wait for the carrier most of their time: a worker buys its chunk LABEL_BATCH_THREADS at a
    # time, each thread with its own connection (not inline, where the caller's transaction holds the rows,
    # nor on SQLite, which takes one writer at a time).
    threads = 1 if sync or connection.vendor == "sqlite" else settings.LABEL_BATCH_THREADS
    bought = 0
    while True:
        ids = _claim(batch, worker, size)
        items = list(
            LabelBatchItem.objects.filter(pk__in=ids).select_related("account", "package").order_by("position")
        )

        def buy(item, *, own_connection: bool, ids=ids) -> None:
            try:
                # The lease of what is left of the chunk is renewed before each purchase (a carrier call may
                # last up to CARRIER_REQUEST_TIMEOUT; a killed worker stops renewing, another takes its items).
                LabelBatchItem.objects.filter(pk__in=ids, leased_by=worker[:100], state=ItemState.PENDING).update(
                    lease_until=timezone.now() + _lease()
                )
                _buy(item, batch)
            finally:
                if own_connection:
                    connection.close()

        if threads > 1 and len(items) > 1:
            with ThreadPoolExecutor(max_workers=min(threads, len(items))) as pool:
                list(pool.map(lambda item: buy(item, own_connection=True), items))
        else:
            for item in items:
                buy(item, own_connection=False)
        bought += len(items)
        if not ids or not sync:
            break  # a worker does one chunk, then queues the next behind other tenants' work
    if ids and batch.items.filter(state=ItemState.PENDING).exists():
        LabelBatch.objects.filter(pk=batch.pk).update(queued_at=timezone.now())
        _enqueue(batch.pk)
        return f"label batch {batch_id}: {bought} bought or tried; the next chunk is queued"
    _finish_if_done(batch)
    return f"label batch {batch_id}: {bought} bought or tried"


def _finish_if_done(batch: LabelBatch) -> bool:
    if batch.items.filter(state=ItemState.PENDING).exists():
        return False
    return bool(
        LabelBatch.objects.filter(pk=batch.pk, state=BatchState.BUYING).update(
            state=BatchState.DONE, finished_at=timezone.now()
        )
    )


def label_batches_sweep(*, now: dt.datetime | None = None, enqueue=None) -> dict[str, int]:
    """Every minute: a buying batch whose pending items no live lease holds, queued longer than a lease ago
    (its worker was killed, its task lost), is queued again (claimed first: a conditional UPDATE of its
    queued_at, so two sweeps queue it once); a batch with nothing pending is finished."""
    now = now or timezone.now()
    done = {"resumed": 0, "finished": 0}
    for batch in LabelBatch.objects.filter(state=BatchState.BUYING).only("pk", "queued_at", "tenant_id")[:500]:
        if _finish_if_done(batch):
            done["finished"] += 1
            continue
        leased = batch.items.filter(state=ItemState.PENDING, lease_until__gte=now).exists()
        if leased or (batch.queued_at and batch.queued_at > now - _lease()):
            continue
        if LabelBatch.objects.filter(pk=batch.pk, queued_at=batch.queued_at).update(queued_at=now):
            (enqueue or _enqueue)(batch.pk)
            done["resumed"] += 1
    return done


# --- reads --------------------------------------------------------------------------------------------------


def label_batch_get(*, tenant, pk) -> LabelBatch:
    try:
        return LabelBatch.objects.for_tenant(tenant).get(pk=pk)
    except (LabelBatch.DoesNotExist, ValueError, TypeError):
        raise Http404("No such label batch.") from None


def batch_items(batch: LabelBatch):
    return (
        LabelBatchItem.objects.for_tenant(batch.tenant_id)
        .filter(batch=batch)
        .select_related("order", "purchase", "account")
        .order_by("position", "pk")
    )


OUTCOMES = ("pending", "bought", "failed", "uncertain", "skipped")


def item_outcome(item: LabelBatchItem) -> str:
    """pending | bought | failed | uncertain | skipped (cannot be labelled) — the purchase's state decides, as
    the labels sweep may still move it (calling → uncertain → bought or failed)."""
    if item.state == ItemState.SKIPPED:
        return "skipped"
    if item.state == ItemState.PENDING:
        return "pending"
    purchase = item.purchase
    if purchase is None:
        return "failed"
    if purchase.state in (PurchaseState.CALLING, PurchaseState.UNCERTAIN):
        return "uncertain" if purchase.state == PurchaseState.UNCERTAIN else "pending"
    if purchase.state == PurchaseState.BOUGHT:
        return "bought"
    return "failed"


def batch_progress(batch: LabelBatch) -> dict:
    counts = dict.fromkeys(OUTCOMES, 0)
    spent = Decimal(0)
    for item in batch_items(batch):
        outcome = item_outcome(item)
        counts[outcome] += 1
        if outcome == "bought" and item.purchase.price is not None:
            spent += item.purchase.price
    to_buy = sum(counts[k] for k in ("pending", "bought", "failed", "uncertain"))
    return {
        "id": batch.pk,
        "state": batch.state,
        "total": to_buy,
        "done": to_buy - counts["pending"],
        "percent": int(100 * (to_buy - counts["pending"]) / to_buy) if to_buy else 100,
        "counts": counts,
        "spent": str(spent),
        "finished": batch.state == BatchState.DONE,
    }


def label_batch_document(batch: LabelBatch) -> tuple[bytes, int]:
    """One document of every label the batch bought, in the batch's order: one 4×6 label a page (PDF,
    the labels' pages one after another) or one ZPL file (the labels one after another). Answers (the
    bytes, how many labels); labels matched by reference have no document (the carrier keeps it)."""
    purchases = [
        item.purchase_id
        for item in batch_items(batch)
        if item.purchase_id is not None and item.purchase.state == PurchaseState.BOUGHT
    ]
    documents = {
        d.purchase_id: bytes(d.content)
        for d in LabelDocument.objects.for_tenant(batch.tenant_id).filter(
            purchase_id__in=purchases, format=batch.label_format
        )
    }
    contents = [documents[pk] for pk in purchases if pk in documents]
    if batch.label_format == LabelFormat.ZPL:
        return b"\n".join(c.rstrip(b"\n") for c in contents) + (b"\n" if contents else b""), len(contents)
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for content in contents:
        writer.append(PdfReader(io.BytesIO(content)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), len(contents)
