"""What an import page tells the webhooks: its order events, and its new orders as instances built from
the rows it has just written, so that their payloads cost no query (webhooks.services.webhook_emit_orders)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from django.db import DEFAULT_DB_ALIAS
from django.db.models import DecimalField
from django.db.models.base import ModelState

from ..models import Order, OrderLine
from .snapshot import ImportContext


def payloads_wanted(ctx: ImportContext) -> bool:
    """Whether some subscriber wants the page's new orders (their payloads are built from the rows)."""
    return bool(ctx.webhook_events() & {"order.imported", "import.recovered"})


def emit_order_events(
    ctx: ImportContext, *, created: list[int], updated: list[int], recovered: list[int], loaded: dict[int, Order]
) -> None:
    from webhooks.services import webhook_emit_orders

    webhook_emit_orders(
        tenant_id=ctx.store.tenant_id,
        wanted=ctx.webhook_events(),
        created=created,
        updated=updated,
        recovered=recovered,
        loaded=loaded,
    )


def as_loaded(
    ctx: ImportContext,
    new: list[str],
    orders: list[dict],
    lines: dict[str, list[dict]],
    ids: dict[str, int],
    line_ids: dict,
) -> dict[int, Order]:
    """{pk: Order} of the page's new orders (`new`: their order ids) as the database now holds them,
    built from the rows just written (`orders`, `lines` by order id, `ids` and `line_ids` the write
    returned) instead of read back: their lines and no shipments in the prefetch cache, the columns
    the page did not write at their defaults (a new row got those), decimals rounded as the database
    rounds them. The webhooks serialise them with the API's serializer, no query; an order the page
    updated is read back (Outbound's own columns, its shipments). A test checks that each payload
    equals what the API shows of the order afterwards."""
    if not new or not payloads_wanted(ctx):
        return {}
    new = set(new)
    loaded = {}
    for row in orders:
        if row["external_id"] not in new:
            continue
        order = _instance(Order, row, id=ids[row["external_id"]])
        order_lines = [
            _instance(OrderLine, line, id=line_ids[(order.pk, line["line_key"])], order_id=order.pk)
            for line in lines[row["external_id"]]
        ]
        order._prefetched_objects_cache = {"lines": order_lines, "shipments": []}
        loaded[order.pk] = order
    return loaded


def _instance(model, row: dict, **more):
    """The `model` instance of a row as written, its decimals at their columns' places, rounded half
    away from zero as PostgreSQL rounds them, the columns the row leaves out at their defaults.

    Built as Django unpickles an instance (`__new__`, then its attributes), not through Model.__init__,
    which costs ten times more per instance and would be most of a page's serialisation time."""
    obj = model.__new__(model)
    values = obj.__dict__
    values.update(row)
    values.update(more)
    fixed, made = _left_out(model, tuple(values))
    values.update(fixed)
    for column in made:
        values[column.attname] = column.get_default()
    for attname, step in _decimals(model):
        value = values[attname]
        if isinstance(value, Decimal):
            values[attname] = value.quantize(step, ROUND_HALF_UP)
    state = values["_state"] = ModelState()
    state.adding, state.db = False, DEFAULT_DB_ALIAS
    return obj


@cache
def _decimals(model) -> tuple:
    """(attname, the decimal step of its places) of each decimal field."""
    return tuple(
        (f.attname, Decimal(1).scaleb(-f.decimal_places))
        for f in model._meta.concrete_fields
        if isinstance(f, DecimalField)
    )


@cache
def _left_out(model, given: tuple[str, ...]) -> tuple[dict, tuple]:
    """The concrete fields not among `given` (the rows of a page all have the same keys): {attname: default}
    of those whose default is a constant, and the fields whose default is made afresh for each row."""
    left = [f for f in model._meta.concrete_fields if f.attname not in given]
    made = tuple(f for f in left if f.has_default() and callable(f.default))
    return {f.attname: f.get_default() for f in left if f not in made}, made
