"""Batches: ship, mark delivered or re-send the store update for many orders, order by order.

Each order goes through the same services as a single one (shipments.services), in its own transaction
together with its BatchItem, so an order is never half-applied and a second submission of the same batch
(same key) skips every order it finds done. An order refused (already shipped, blocked by its status, an
invalid tracking number) gets its reason; the batch goes on with the next order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from orders.models import Order, OrderStatus, Shipping
from outbox.models import OutboxState
from stores.models import Tenant

from . import services
from .models import DONE_OUTCOMES, Batch, BatchItem, BatchKind, Outcome, Shipment, ShipmentState

# A batch form lists its orders one per row: beyond this, narrow the list's filters.
MAX_BATCH = 500

TRACKING_MAX = Shipment._meta.get_field("tracking_number").max_length
_TRACKING_CHARS = re.compile(r"^[A-Za-z0-9-]+$")


class Refused(Exception):
    """An order the batch leaves alone, with the outcome that says why (and a code or words as detail)."""

    def __init__(self, outcome: str, detail: str = ""):
        super().__init__(outcome)
        self.outcome, self.detail = outcome, detail


def tracking_problem(value: str) -> str:
    """"" for a usable tracking number, else why not: "too_long" or "characters" (letters, digits and
    hyphens only: a pasted space, comma or quote is a mistake, not part of a carrier's number)."""
    value = (value or "").strip()
    if len(value) > TRACKING_MAX:
        return "too_long"
    if value and not _TRACKING_CHARS.match(value):
        return "characters"
    return ""


def batch_for(*, tenant: Tenant, key: str, kind: str, user=None) -> Batch:
    """The batch with this key (a second submission of the same form finds the first's), counted."""
    batch, _ = Batch.objects.get_or_create(tenant=tenant, key=key[:80], defaults={"kind": kind,
                                                                                  "created_by_user": user})
    if batch.kind != kind:
        raise ValidationError("This form was already used for another action; open it again.")
    Batch.objects.filter(pk=batch.pk).update(submissions=F("submissions") + 1)
    batch.refresh_from_db(fields=["submissions"])
    return batch


def apply_item(batch: Batch, *, ref: str, position: int, order: Order | None, order_number: str,
               action: Callable[[], tuple[str, str, Shipment | None]]) -> BatchItem | None:
    """Run `action` for one order (or row) unless this batch already did it: the item and what the action
    wrote commit together. A refusal or a service's ValidationError becomes the item's outcome."""
    try:
        with transaction.atomic():
            item = BatchItem.objects.select_for_update().filter(batch=batch, ref=ref).first()
            if item is not None and item.outcome in DONE_OUTCOMES:
                return item
            if item is None:
                # Created first: a concurrent submission of the same batch waits here, then fails the unique key.
                item = BatchItem.objects.create(batch=batch, ref=ref, position=position, order=order,
                                                order_number=order_number, outcome=Outcome.INVALID)
            try:
                with transaction.atomic():
                    outcome, detail, shipment = action()
            except Refused as refusal:
                outcome, detail, shipment = refusal.outcome, refusal.detail, None
            except ValidationError as exc:
                outcome, detail, shipment = Outcome.INVALID, " ".join(exc.messages), None
            item.outcome, item.detail, item.shipment = outcome, detail, shipment
            item.save(update_fields=["outcome", "detail", "shipment"])
            return item
    except IntegrityError:
        return None  # the same batch, submitted at the same moment, recorded this one: its outcome stands


# --- ship ------------------------------------------------------------------------------------------


@dataclass
class ShipRow:
    order: Order
    carrier: str
    service: str = ""
    tracking_number: str = ""
    ship_date: dt.date | None = None
    carrier_fee: object = None


def check_can_ship(order: Order) -> None:
    """Refuse an order a batch must not ship (Refused with the reason)."""
    if order.status in services.BLOCKED_STATUSES:
        raise Refused(Outcome.BLOCKED, order.status)
    if order.status == OrderStatus.SHIPPED or order.shipping == Shipping.FULL:
        raise Refused(Outcome.ALREADY_SHIPPED)


def _ship(row: ShipRow, *, notify_buyer: bool, user, duplicate: bool):
    def action():
        # The order row is locked first: what it holds now decides, not what the form showed.
        order = Order.objects.select_for_update().select_related("store").get(pk=row.order.pk)
        check_can_ship(order)
        problem = "duplicate" if duplicate else tracking_problem(row.tracking_number)
        if problem:
            raise Refused(Outcome.INVALID_TRACKING, problem)
        try:
            shipment = services.shipment_create(
                order=order, carrier=row.carrier, service=row.service, tracking_number=row.tracking_number,
                ship_date=row.ship_date, carrier_fee=row.carrier_fee, notify_buyer=notify_buyer, user=user)
        except ValidationError as exc:
            if "Nothing is left to ship on this order." in exc.messages:
                raise Refused(Outcome.ALREADY_SHIPPED) from None
            raise
        return Outcome.SHIPPED, "", shipment

    return action


def batch_ship(*, tenant: Tenant, key: str, rows: list[ShipRow], notify_buyer: bool, user=None,
               kind: str = BatchKind.SHIP) -> Batch:
    """Ship each row's order (everything left to ship) with its carrier, service and tracking number."""
    batch = batch_for(tenant=tenant, key=key, kind=kind, user=user)
    seen: set[str] = set()
    for position, row in enumerate(rows):
        if row.order.tenant_id != tenant.pk:
            continue
        tracking = (row.tracking_number or "").strip()
        duplicate = bool(tracking) and tracking.upper() in seen
        seen.add(tracking.upper())
        apply_item(batch, ref=f"order:{row.order.pk}", position=position, order=row.order,
                   order_number=row.order.number,
                   action=_ship(row, notify_buyer=notify_buyer, user=user, duplicate=duplicate))
    return batch


# --- mark delivered, re-send -------------------------------------------------------------------------


def _active_shipments(order: Order) -> list[Shipment]:
    return list(Shipment.objects.filter(order=order).exclude(state=ShipmentState.VOIDED).order_by("pk"))


def _deliver(order: Order, actor: str):
    def action():
        shipments = _active_shipments(order)
        if not shipments:
            raise Refused(Outcome.NOT_SHIPPED)
        waiting = [s for s in shipments if s.state == ShipmentState.SHIPPED]
        if not waiting:
            raise Refused(Outcome.ALREADY_DELIVERED)
        for shipment in waiting:
            services.shipment_mark_delivered(shipment=shipment, actor=actor)
        return Outcome.DELIVERED, str(len(waiting)), waiting[-1]

    return action


def _resend(order: Order):
    def action():
        shipments = [s for s in _active_shipments(order)
                     if s.store_update_state in (OutboxState.FAILED, OutboxState.PENDING)]
        if not shipments:
            raise Refused(Outcome.NOTHING_TO_RESEND)
        for shipment in shipments:
            services.store_update_retry(shipment=shipment, deliver=False)  # the outbox workers send them
        return Outcome.RESENT, str(len(shipments)), shipments[-1]

    return action


def batch_mark_delivered(*, tenant: Tenant, key: str, orders: Iterable[Order], user=None) -> Batch:
    """Mark every shipment of each order that is not yet delivered as delivered."""
    batch = batch_for(tenant=tenant, key=key, kind=BatchKind.DELIVER, user=user)
    actor = user.get_username() if user is not None else "system"
    for position, order in enumerate(orders):
        apply_item(batch, ref=f"order:{order.pk}", position=position, order=order, order_number=order.number,
                   action=_deliver(order, actor))
    return batch


def batch_resend(*, tenant: Tenant, key: str, orders: Iterable[Order], user=None) -> Batch:
    """Send again each order's store updates that failed or wait for their next try."""
    batch = batch_for(tenant=tenant, key=key, kind=BatchKind.RESEND, user=user)
    for position, order in enumerate(orders):
        apply_item(batch, ref=f"order:{order.pk}", position=position, order=order, order_number=order.number,
                   action=_resend(order))
    return batch


# --- reads -----------------------------------------------------------------------------------------


def batch_get(*, tenant: Tenant, pk) -> Batch:
    from django.http import Http404

    try:
        return Batch.objects.for_tenant(tenant).get(pk=pk)
    except (Batch.DoesNotExist, ValueError, TypeError):
        raise Http404("No such batch.")


def batch_items(batch: Batch):
    return batch.items.select_related("order", "shipment").order_by("position", "id")
