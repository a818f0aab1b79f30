"""Reads for shipments and the outbox, always scoped to a tenant."""

from __future__ import annotations

from django.http import Http404

from orders.models import Order
from stores.models import Tenant

from .models import EmailSend, OutboxKind, OutboxMessage, OutboxState, Shipment, ShipmentLine
from .services import remaining_quantities, shipped_quantities


def shipment_list(*, tenant: Tenant, order_id=None, state: str | None = None, store_update_state: str | None = None):
    qs = Shipment.objects.for_tenant(tenant).select_related("order", "order__store", "created_by_user")
    if order_id:
        qs = qs.filter(order_id=order_id)
    if state:
        qs = qs.filter(state=state)
    if store_update_state:
        qs = qs.filter(store_update_state=store_update_state)
    return qs


def shipment_get(*, tenant: Tenant, pk) -> Shipment:
    try:
        return shipment_list(tenant=tenant).get(pk=pk)
    except (Shipment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such shipment.")


def shipment_lines(*, shipment: Shipment):
    return ShipmentLine.objects.filter(shipment=shipment).select_related("order_line").order_by(
        "order_line__position", "pk"
    )


def order_shipping_summary(*, order: Order) -> list[dict]:
    """Per shippable line: ordered, shipped (non-voided shipments) and remaining quantities."""
    shipped = shipped_quantities(order)
    remaining = remaining_quantities(order)
    return [
        {"line": line, "ordered": line.quantity, "shipped": shipped.get(line.pk, 0), "remaining": remaining[line.pk]}
        for line in order.lines.filter(pk__in=remaining.keys()).order_by("position", "pk")
    ]


def outbox_message_list(*, tenant: Tenant, state: str | None = None, kind: str | None = None):
    qs = OutboxMessage.objects.for_tenant(tenant).select_related("shipment", "shipment__order")
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def store_updates_by_shipment(*, tenant: Tenant, shipments) -> dict[int, OutboxMessage]:
    """Each shipment's store update (the outbox row: attempts, last answer, next try), in one query."""
    rows = OutboxMessage.objects.for_tenant(tenant).filter(kind=OutboxKind.STORE_UPDATE,
                                                           shipment__in=[s.pk for s in shipments])
    return {row.shipment_id: row for row in rows}


def retrying_store_updates(*, tenant: Tenant):
    """Store updates that failed at least once and wait for their next try (not yet given up)."""
    return (OutboxMessage.objects.for_tenant(tenant)
            .filter(kind=OutboxKind.STORE_UPDATE, state=OutboxState.PENDING, attempts__gt=0)
            .select_related("shipment__order__store").order_by("next_attempt_at", "id"))


def operator_failed_store_updates(*, limit: int = 20):
    """Across tenants, for operators: store updates that gave up, newest first."""
    return (OutboxMessage.objects.filter(kind=OutboxKind.STORE_UPDATE, state=OutboxState.FAILED)
            .select_related("tenant", "shipment__order__store").order_by("-updated_at", "-id")[:limit])


def failed_store_updates(*, tenant: Tenant):
    return shipment_list(tenant=tenant, store_update_state=OutboxState.FAILED)


def email_send_list(*, tenant: Tenant, shipment: Shipment | None = None):
    qs = EmailSend.objects.for_tenant(tenant)
    if shipment is not None:
        qs = qs.filter(shipment=shipment)
    return qs
