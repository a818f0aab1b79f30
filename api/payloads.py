"""The API's serializers as the webhooks' payload builders: a webhook carries the object as the API shows
it. Registered in ApiConfig.ready (webhooks.payloads is the registry; it imports nothing from here).

An import page serialises up to hundreds of orders inside its transaction, so the order serializer is
*compiled* once per process (`represent`): the same fields, in the same order, each read with a plain
attribute getter and converted by the DRF field's own `to_representation` (skipped where it is the
identity for the value's type: a str through CharField, an int through IntegerField, a bool through
BooleanField). DRF's generic per-field machinery (source lookups, SkipField, PKOnlyObject) is where most
of the time went; a field the compiler does not recognise goes through that machinery unchanged. Tests
check that the compiled output equals `OrderDetailSerializer(order).data`.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from decimal import Decimal
from operator import attrgetter

from django.db import models
from django.utils import timezone
from rest_framework import fields as drf_fields
from rest_framework import relations, serializers
from rest_framework.fields import SkipField
from rest_framework.settings import ISO_8601, api_settings

from orders.models import Order
from webhooks.payloads import register_payload_builder

Represent = Callable[[models.Model], dict]

# The current time zone while a batch of payloads is built (`_one_zone`): Django's own lookup goes through
# an asgiref Local, and was a third of a page's serialisation time when asked once per datetime.
_ZONE: ContextVar[datetime.tzinfo | None] = ContextVar("payload_zone", default=None)


@contextlib.contextmanager
def _one_zone() -> Iterator[None]:
    """Within the block, payloads read the current time zone once (nothing in a batch activates another)."""
    token = _ZONE.set(timezone.get_current_timezone())
    try:
        yield
    finally:
        _ZONE.reset(token)


def _many(name: str) -> Callable[[models.Model], Iterable]:
    """The related objects `name` of an instance: its prefetch cache when it holds them (as a related
    manager's all() would return them, without building the manager), else all()."""

    def related(obj):
        cache = getattr(obj, "_prefetched_objects_cache", None)
        if cache is not None and name in cache:
            return cache[name]
        return getattr(obj, name).all()

    return related


def _forward_fk(model: type[models.Model], name: str) -> models.ForeignKey | None:
    try:
        field = model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - not a model field (a property): not a foreign key
        return None
    return field if isinstance(field, models.ForeignKey) else None


def _identity_for(field) -> type | None:
    """The value type for which the field's to_representation returns the value itself."""
    kind = type(field)
    if kind in (drf_fields.CharField, drf_fields.EmailField, drf_fields.URLField, drf_fields.SlugField):
        return str
    if kind is drf_fields.IntegerField:
        return int
    if kind is drf_fields.BooleanField:
        return bool
    return None


def _step(field, model: type[models.Model]):
    """(name, getter, converter, identity type) for one readable field, or None when DRF must read it."""
    attrs = field.source_attrs
    if isinstance(field, serializers.ListSerializer) and isinstance(field.child, serializers.ModelSerializer):
        child = compile_representation(field.child)
        if len(attrs) != 1:
            return None
        name = attrs[0]
        return field.field_name, _many(name), (lambda items: [child(i) for i in items]), None
    if isinstance(field, serializers.BaseSerializer) or len(attrs) != 1:
        return None
    if isinstance(field, relations.PrimaryKeyRelatedField):
        fk = _forward_fk(model, attrs[0])
        if fk is None or field.pk_field is not None:
            return None
        return field.field_name, attrgetter(fk.attname), None, None
    if isinstance(field, relations.RelatedField):
        return None
    return field.field_name, attrgetter(attrs[0]), _converter(field), _identity_for(field)


def _converter(field) -> Callable:
    """The field's to_representation, or a faster function giving the same output for every value."""
    kind = type(field)
    if kind is drf_fields.DecimalField:
        return _memoised(field.to_representation)
    if kind is drf_fields.ChoiceField:
        choices = field.choice_strings_to_values

        def choice(value, slow=field.to_representation):
            # A plain non-empty str is looked up as DRF does; an enum member or "" goes through DRF.
            return choices.get(value, value) if type(value) is str and value else slow(value)

        return choice
    if (
        kind is drf_fields.DateTimeField
        and getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601
        and not hasattr(field, "timezone")
    ):

        def moment(value, slow=field.to_representation):
            # DRF's own steps for an aware datetime: to the current time zone, ISO 8601, "Z" for UTC.
            if type(value) is not datetime.datetime or value.tzinfo is None:
                return slow(value)
            text = value.astimezone(_ZONE.get() or timezone.get_current_timezone()).isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text

        return moment
    if kind is drf_fields.JSONField and not field.binary:
        return _same
    return field.to_representation


def _same(value):
    return value


def _memoised(convert: Callable, size: int = 4096) -> Callable:
    """`convert` remembered by the value's text (a decimal's text determines it, sign of zero included)."""
    seen: dict[str, object] = {}

    def remembered(value):
        if type(value) is not Decimal:
            return convert(value)
        key = str(value)
        found = seen.get(key)
        if found is None:
            if len(seen) >= size:
                seen.clear()
            found = seen[key] = convert(value)
        return found

    return remembered


@functools.cache
def _compiled(serializer_class: type[serializers.ModelSerializer]) -> Represent:
    return compile_representation(serializer_class())


def compile_representation(serializer: serializers.ModelSerializer) -> Represent:
    """A function giving `serializer.to_representation(instance)`, faster (see the module's docstring)."""
    model = serializer.Meta.model
    steps = []
    for field in serializer._readable_fields:
        step = _step(field, model)
        steps.append(step if step is not None else (field.field_name, None, field, None))

    def represent(instance) -> dict:
        out = {}
        for name, get, convert, identity in steps:
            if get is None:  # a field DRF reads itself (`convert`), as Serializer.to_representation does
                try:
                    value = convert.get_attribute(instance)
                except SkipField:
                    continue
                check = value.pk if isinstance(value, relations.PKOnlyObject) else value
                out[name] = None if check is None else convert.to_representation(value)
                continue
            value = get(instance)
            if value is None:
                out[name] = None
            elif convert is None or type(value) is identity:
                out[name] = value
            else:
                out[name] = convert(value)
        return out

    return represent


def _order_represent() -> Represent:
    from .serializers import OrderDetailSerializer

    return _compiled(OrderDetailSerializer)


def order_payload(order) -> dict:
    """One order as the API shows it (lines and shipments included)."""
    return _order_represent()(order)


def order_payloads(tenant_id: int, ids) -> dict[int, dict]:
    """Many orders of one tenant as the API shows them, in a constant number of queries (prefetched). The
    output is JSON already (decimals and dates as strings)."""
    from .serializers import OrderDetailSerializer

    orders = OrderDetailSerializer.prefetch(Order.objects.for_tenant(tenant_id).filter(pk__in=ids))
    return order_payloads_loaded(orders)


def order_payloads_loaded(orders: Iterable[Order]) -> dict[int, dict]:
    """Orders loaded already, their lines and shipments in the prefetch cache: no query."""
    represent = _order_represent()
    with _one_zone():
        return {order.pk: represent(order) for order in orders}


def shipment_payload(shipment) -> dict:
    from .serializers import ShipmentSerializer

    return ShipmentSerializer(shipment).data


def register() -> None:
    register_payload_builder("orders.order", one=order_payload, many=order_payloads, loaded=order_payloads_loaded)
    register_payload_builder("shipments.shipment", one=shipment_payload)
