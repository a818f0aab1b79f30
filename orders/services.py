"""Writes for orders: history events, the status machine, import requests.

The import pipeline itself lives in orders.importer.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from stores.models import Store

from .models import STATUS_MOVES, ImportRun, ImportState, ImportTrigger, Order, OrderEvent, OrderStatus


def order_event_add(*, order: Order, kind: str, message: str, actor: str = "", data: dict | None = None) -> OrderEvent:
    return OrderEvent.objects.create(order=order, kind=kind, message=message, actor=actor, data=data or {})


def order_set_status(*, order: Order, status: str, actor: str, reason: str = "") -> Order:
    """Move an order along the status machine, recording the move; refuses moves not in STATUS_MOVES."""
    if status == order.status:
        return order
    if status not in STATUS_MOVES.get(order.status, set()):
        raise ValidationError(
            f"An order cannot move from {OrderStatus(order.status).label} to {OrderStatus(status).label}."
        )
    previous = order.status
    order.status = status
    order.updated_at = timezone.now()
    order.save(update_fields=["status", "updated_at"])
    order_event_add(
        order=order,
        kind="status",
        message=f"Status {OrderStatus(previous).label} → {OrderStatus(status).label}"
        + (f": {reason}" if reason else ""),
        actor=actor,
        data={"from": previous, "to": status},
    )
    return order


@transaction.atomic
def order_set_hold(*, order: Order, hold: bool, actor: str, reason: str = "") -> Order:
    """Put an order on hold in Outbound, or release it back to Awaiting Shipment."""
    if hold:
        order_set_status(order=order, status=OrderStatus.ON_HOLD, actor=actor, reason=reason or "put on hold")
        order.hold_reason = reason
    else:
        if order.status != OrderStatus.ON_HOLD:
            raise ValidationError("This order is not on hold.")
        order_set_status(order=order, status=OrderStatus.AWAITING_SHIPMENT, actor=actor, reason="hold released")
        order.hold_reason = ""
    order.save(update_fields=["hold_reason"])
    return order


def order_set_notes(*, order: Order, actor: str, notes_to_buyer: str | None = None,
                    outbound_notes: str | None = None) -> Order:
    fields = []
    if notes_to_buyer is not None:
        order.notes_to_buyer = notes_to_buyer
        fields.append("notes_to_buyer")
    if outbound_notes is not None:
        order.outbound_notes = outbound_notes
        fields.append("outbound_notes")
    if fields:
        order.updated_at = timezone.now()
        order.save(update_fields=[*fields, "updated_at"])
        order_event_add(order=order, kind="notes", message="Notes edited", actor=actor, data={"fields": fields})
    return order


def import_request(*, store: Store, trigger: str = ImportTrigger.MANUAL, user=None,
                   since: datetime | None = None) -> ImportRun:
    """Queue an import of one store now (portal, API, admin) and return its run.

    A store with a run already queued or running gets that run back instead of a second one; a `since`
    further back than that run reaches is remembered on the store and covered by the next run.
    """
    from .tasks import enqueue_import

    with transaction.atomic():
        Store.objects.select_for_update().filter(pk=store.pk).first()
        if since is not None:  # kept until a run covers it, whether this request's run or a later one
            from .importer import remember_requested_window

            remember_requested_window(store, since)
        active = ImportRun.objects.filter(store=store, state__in=[ImportState.QUEUED, ImportState.RUNNING]).first()
        if active:
            return active
        run = ImportRun.objects.create(store=store, trigger=trigger, requested_by=user, since=since)
        # Enqueue after commit: a worker must find the run row when the task reaches it.
        transaction.on_commit(lambda: enqueue_import(run.pk))
    run.refresh_from_db()
    return run


@transaction.atomic
def unmapped_status_add_to_mapping(*, unmapped, outbound_status: str, user=None) -> ImportRun:
    """Add an unmapped store status to one mapping list and re-import the window it was seen in."""
    from .models import UnmappedStatus

    mapping = unmapped.store.status_mapping
    mapping.add_status(outbound_status, unmapped.status)
    mapping.save()
    since = unmapped.earliest_modified
    UnmappedStatus.objects.filter(pk=unmapped.pk).delete()
    run = import_request(store=unmapped.store, trigger=ImportTrigger.MANUAL, user=user, since=since)
    return run
