"""The Awaiting Shipment queue as the order list shows it: which order comes after this one ("Ship & next").

The next order is found by keyset, not by counting rows: the orders that sort after the current one under
the list's sort (orders.selectors.ORDER_SORTS), with the list's filters, still awaiting shipment. One query,
whatever the queue's length; the current order need not be in the queue any more (it was just shipped).
"""

from __future__ import annotations

from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce

from stores.models import Tenant

from .models import Order, OrderStatus
from .selectors import ORDER_SORTS, order_list

# The storefront sort compares names; an order without a storefront has "" (sorts first, as NULL does on SQLite).
_EXPRESSIONS = {"storefront__name": Coalesce(F("storefront__name"), Value(""))}


def next_in_queue(*, tenant: Tenant, after: Order, sort: str = "oldest", **filters) -> Order | None:
    """The first Awaiting Shipment order after `after` in the list's order (`filters`: order_list's)."""
    return neighbour_in_list(tenant=tenant, order=after, status=OrderStatus.AWAITING_SHIPMENT, sort=sort, **filters)


def neighbour_in_list(
    *,
    tenant: Tenant,
    order: Order,
    status: str | None = None,
    sort: str | None = None,
    previous: bool = False,
    **filters,
) -> Order | None:
    """The order just after (or, with `previous`, just before) `order` in the order list with this status tab,
    sort and filters. The sort defaults as the list's does: oldest first on Awaiting Shipment, else newest."""
    after = order
    default = "oldest" if status == OrderStatus.AWAITING_SHIPMENT else "newest"
    keys = ORDER_SORTS.get(sort or default) or ORDER_SORTS[default]
    qs = order_list(tenant=tenant, status=status or None, **filters).exclude(pk=after.pk)
    names, ordering, values = [], [], []
    for i, key in enumerate(keys):
        descending = key.startswith("-") != previous
        field = key.lstrip("-")
        name = f"_k{i}"
        expression = _EXPRESSIONS.get(field, F(field))
        qs = qs.annotate(**{name: expression})
        ordering.append(F(name).desc() if descending else F(name).asc())
        current = (
            (after.storefront.name if after.storefront_id else "")
            if field == "storefront__name"
            else getattr(after, field)
        )
        names.append((name, descending))
        values.append(current)
    # (k0, k1, …) > (v0, v1, …) lexicographically, each key in its own direction.
    after_q = Q()
    for i, (name, descending) in enumerate(names):
        step = Q(**{f"{name}__{'lt' if descending else 'gt'}": values[i]})
        for earlier, (earlier_name, _desc) in enumerate(names[:i]):
            step &= Q(**{earlier_name: values[earlier]})
        after_q |= step
    return qs.filter(after_q).order_by(*ordering).first()
