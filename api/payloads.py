"""The API's serializers as the webhooks' payload builders: a webhook carries the object as the API shows
it. Registered in ApiConfig.ready (webhooks.payloads is the registry; it imports nothing from here)."""

from __future__ import annotations

import functools

from orders.models import Order
from webhooks.payloads import register_payload_builder


@functools.cache
def _order_serializer():
    """The API's order serializer, its fields built once per process rather than once per page."""
    from .serializers import OrderDetailSerializer

    return OrderDetailSerializer()


def order_payload(order) -> dict:
    """One order as the API shows it (lines and shipments included)."""
    return _order_serializer().to_representation(order)


def order_payloads(tenant_id: int, ids) -> dict[int, dict]:
    """Many orders of one tenant as the API shows them, in a constant number of queries (prefetched). The
    serializer's output is JSON already (decimals and dates as strings)."""
    from .serializers import OrderDetailSerializer

    orders = OrderDetailSerializer.prefetch(Order.objects.for_tenant(tenant_id).filter(pk__in=ids))
    serializer = _order_serializer()
    return {order.pk: serializer.to_representation(order) for order in orders}


def shipment_payload(shipment) -> dict:
    from .serializers import ShipmentSerializer

    return ShipmentSerializer(shipment).data


def register() -> None:
    register_payload_builder("orders.order", one=order_payload, many=order_payloads)
    register_payload_builder("shipments.shipment", one=shipment_payload)
