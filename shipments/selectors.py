"""Reads for shipments and the outbox, always scoped to a tenant."""

from __future__ import annotations

from django.db.models import Sum
from django.http import Http404

from orders.actions import left_to_ship, line_ships
from orders.models import Order
from outbox.models import OutboxMessage, OutboxState
from stores.models import Store, Tenant

from .models import OutboxKind, Shipment, ShipmentLine, ShipmentState, ShippingMethodMapping, shipment_ref


def shipment_list(*, tenant: Tenant, order_id=None, state: str | None = None, store_update_state: str | None = None):
    qs = Shipment.objects.for_tenant(tenant).select_related("order", "order__store", "created_by_user")
    if order_id:
        qs = qs.filter(order_id=order_id)
    if state:
        qs = qs.filter(state=state)
    if store_update_state:
        qs = qs.filter(store_update_state=store_update_state)
    return qs


def voided_tracking_by_order(*, tenant: Tenant, order_ids) -> dict[int, list[str]]:
    """order id -> the tracking numbers of its voided shipments (oldest first), in one query: the list marks
    those orders "voided — ship again"."""
    found: dict[int, list[str]] = {}
    rows = (
        Shipment.objects.for_tenant(tenant)
        .filter(order_id__in=list(order_ids), state=ShipmentState.VOIDED)
        .order_by("created_at", "id")
        .values_list("order_id", "tracking_number")
    )
    for order_id, tracking_number in rows:
        found.setdefault(order_id, []).append(tracking_number)
    return found


def shipment_get(*, tenant: Tenant, pk) -> Shipment:
    try:
        return shipment_list(tenant=tenant).get(pk=pk)
    except (Shipment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such shipment.")


def store_updates_by_shipment(*, tenant: Tenant, shipments) -> dict[int, OutboxMessage]:
    """Each shipment's store update (the outbox row: attempts, last answer, next try), in one query."""
    rows = OutboxMessage.objects.for_tenant(tenant).filter(
        kind=OutboxKind.STORE_UPDATE, ref__in=[shipment_ref(s.pk) for s in shipments]
    )
    return {row.payload["shipment_id"]: row for row in rows}


def _with_shipments(messages, *, tenant: Tenant | None = None) -> list[OutboxMessage]:
    """The store-update messages, each with its `shipment` (order and store loaded): one more query.
    `tenant`: the tenant's shipments only (None: an operator's view across tenants)."""
    messages = list(messages)
    scope = Shipment.objects.for_tenant(tenant) if tenant else Shipment.objects.all()
    shipments = scope.select_related("order__store").in_bulk({m.payload.get("shipment_id") for m in messages} - {None})
    for message in messages:
        message.shipment = shipments.get(message.payload.get("shipment_id"))
    return messages


def retrying_store_updates(*, tenant: Tenant, limit: int = 10) -> list[OutboxMessage]:
    """Store updates that failed at least once and wait for their next try (not yet given up), the
    `limit` next due, each with its shipment."""
    return _with_shipments(
        OutboxMessage.objects.for_tenant(tenant)
        .filter(kind=OutboxKind.STORE_UPDATE, state=OutboxState.PENDING, attempts__gt=0)
        .order_by("next_attempt_at", "id")[:limit],
        tenant=tenant,
    )


def operator_failed_store_updates(*, limit: int = 20) -> list[OutboxMessage]:
    """Across tenants, for operators: store updates that gave up, newest first, each with its shipment."""
    return _with_shipments(
        OutboxMessage.objects.filter(kind=OutboxKind.STORE_UPDATE, state=OutboxState.FAILED)
        .select_related("tenant")
        .order_by("-updated_at", "-id")[:limit]
    )


def failed_store_updates(*, tenant: Tenant):
    return shipment_list(tenant=tenant, store_update_state=OutboxState.FAILED)


def latest_shipment(*, tenant: Tenant, store: Store) -> Shipment | None:
    """The store's newest shipment that is not voided (the e-mail preview shows it)."""
    return (
        Shipment.objects.for_tenant(tenant)
        .filter(order__store=store)
        .exclude(state=ShipmentState.VOIDED)
        .select_related("order", "order__store")
        .order_by("-created_at", "-id")
        .first()
    )


# --- quantities -----------------------------------------------------------------------------------


is_shippable = line_ships  # orders.actions: electronic, does-not-ship and adjustment lines never ship


def shippable_lines(order: Order):
    return order.lines.filter(is_shippable=True, is_adjustment=False).order_by("position", "pk")


def shipped_quantities(order: Order) -> dict[int, int]:
    """Quantity shipped per order line id, counting every shipment that is not voided."""
    return shipped_quantities_for([order.pk])


def shipped_quantities_for(order_ids) -> dict[int, int]:
    """shipped_quantities for many orders in one query (line ids are unique across orders)."""
    rows = (
        ShipmentLine.objects.filter(shipment__order_id__in=order_ids)
        .exclude(shipment__state=ShipmentState.VOIDED)
        .values("order_line_id")
        .annotate(total=Sum("quantity"))
    )
    return {row["order_line_id"]: row["total"] for row in rows}


def remaining_quantities(order: Order, *, lines=None, shipped: dict[int, int] | None = None) -> dict[int, int]:
    """Quantity left to ship per shippable line id. `lines` (any of the order's lines; the shippable ones
    count) and `shipped` (shipped_quantities) save their queries when the caller holds them already."""
    shipped = shipped_quantities(order) if shipped is None else shipped
    return left_to_ship(shippable_lines(order) if lines is None else lines, shipped)  # orders.actions' count


def shipping_method_mapping_list(*, tenant: Tenant, store_id):
    """A store's requested shipping methods and the carrier + service each maps to, alphabetical."""
    return ShippingMethodMapping.objects.for_tenant(tenant).filter(store_id=store_id).order_by("requested_method", "id")


def shipping_method_mapping_get(*, tenant: Tenant, store_id, pk) -> ShippingMethodMapping:
    try:
        return shipping_method_mapping_list(tenant=tenant, store_id=store_id).select_related("store").get(pk=pk)
    except (ShippingMethodMapping.DoesNotExist, ValueError, TypeError):
        raise Http404("No such shipping method.")


def shipping_method_mappings_for(*, tenant: Tenant, orders) -> dict[int, ShippingMethodMapping]:
    """{order id: its store's mapping of its requested method} for many orders, in one query."""
    wanted = {(o.store_id, (o.shipping_method or "").strip()) for o in orders} - {(o.store_id, "") for o in orders}
    if not wanted:
        return {}
    found = {
        (m.store_id, m.requested_method): m
        for m in ShippingMethodMapping.objects.filter(
            tenant_id=tenant.pk,
            store_id__in={store for store, _ in wanted},
            requested_method__in={method for _, method in wanted},
        )
    }
    pairs = {o.pk: (o.store_id, (o.shipping_method or "").strip()) for o in orders}
    return {pk: found[pair] for pk, pair in pairs.items() if pair in found}


def shipping_method_mapping_for(order: Order) -> ShippingMethodMapping | None:
    """What the ship form starts with for `order`: its store's mapping of the order's requested method."""
    method = (order.shipping_method or "").strip()
    if not method:
        return None
    return ShippingMethodMapping.objects.filter(
        tenant_id=order.tenant_id, store_id=order.store_id, requested_method=method
    ).first()
