"""The per-store table from a requested shipping method to carrier and service: learned from every
shipment, editable in the portal and the admin. Its one write path."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from orders.models import Order

from .models import MappingSource, ShippingMethodMapping, carrier_code


def shipping_method_mapping_learn(*, order: Order, carrier: str, service: str, actor: str = "") -> None:
    """Remember the carrier and service a shipment of `order` used for its requested method: the ship form
    of the next order with that method starts with them (the last choice wins, a hand-set one too)."""
    method = (order.shipping_method or "").strip()
    if not method or len(method) > ShippingMethodMapping._meta.get_field("requested_method").max_length:
        return
    mapping = (
        ShippingMethodMapping.objects.select_for_update()
        .filter(store_id=order.store_id, requested_method=method)
        .first()
    )
    if mapping is not None and (mapping.carrier, mapping.service) == (carrier, service):
        ShippingMethodMapping.objects.filter(pk=mapping.pk).update(times_used=models.F("times_used") + 1)
    else:
        shipping_method_mapping_set(
            store=order.store,
            requested_method=method,
            carrier=carrier,
            service=service,
            source=MappingSource.LEARNED,
            actor=actor,
            times_used=1,
        )


@transaction.atomic
def shipping_method_mapping_set(
    *,
    store,
    requested_method: str,
    carrier: str,
    service: str = "",
    source: str = MappingSource.EDITED,
    actor: str = "",
    times_used: int | None = None,
) -> ShippingMethodMapping:
    """Create or replace the store's mapping of one requested method (the one write path: the form, the
    admin and the learning above all come here)."""
    code = carrier_code(carrier)
    if code is None:
        raise ValidationError(
            {"carrier": [f"“{carrier}” is not a carrier Outbound knows; use “Other” for anything else."]}
        )
    requested_method = (requested_method or "").strip()
    mapping = ShippingMethodMapping.objects.select_for_update().filter(
        store_id=store.pk, requested_method=requested_method
    ).first() or ShippingMethodMapping(tenant_id=store.tenant_id, store=store, requested_method=requested_method)
    mapping.carrier = code
    mapping.service = (service or "").strip()
    mapping.source = source
    mapping.updated_by = actor[:200]
    mapping.updated_at = timezone.now()
    if times_used is not None:
        mapping.times_used = times_used
    mapping.full_clean(exclude=["tenant", "store"], validate_unique=False, validate_constraints=False)
    mapping.save()
    return mapping


def shipping_method_mapping_update(
    *, mapping: ShippingMethodMapping, carrier: str, service: str = "", actor: str = ""
) -> ShippingMethodMapping:
    """Change what a requested method maps to (its method stays)."""
    return shipping_method_mapping_set(
        store=mapping.store, requested_method=mapping.requested_method, carrier=carrier, service=service, actor=actor
    )


def shipping_method_mapping_delete(*, mapping: ShippingMethodMapping) -> None:
    """Forget a mapping: the ship form no longer pre-fills for that method until the next shipment teaches it."""
    ShippingMethodMapping.objects.filter(pk=mapping.pk).delete()
