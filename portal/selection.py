"""The order list's filters and a batch's selection of orders, read the same way everywhere.

A batch action (ship, packing slips, pick list, mark delivered, re-send, export) receives the orders the
merchant picked on the list in one of two forms:

- explicit ids: ``order_ids`` repeated (``order_ids=12&order_ids=15``);
- every order the list shows across its pages: the list's own filter querystring (``status``, ``q``,
  ``store``, ``storefront``, ``date_from``, ``date_to``, ``tag``, ``assignee``, ``shipping_preset``,
  ``sort``, ``partially_shipped``, ``needs_attention``) plus ``all_matching=1``.

`resolve_order_selection(tenant, data)` turns either into a tenant-scoped queryset in the list's order, so
an action acts on exactly the orders the list showed (the same parsing as the list: `list_filters`). Ids
of another tenant's orders, or not numbers, select nothing. A filter that narrows the list but cannot be
read (a store or storefront that is not the tenant's, a deleted one, a date that is no date) is refused,
never dropped: the list shows no order and says why, and "all matching" acts on nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from orders.models import Order, OrderStatus
from orders.selectors import ORDER_SORTS, assignable_people, shipping_preset_list, tag_list
from orders.selectors import order_list as select_orders
from stores.models import Tenant
from stores.selectors import store_list, storefront_list

from .forms import OrderFilterForm

# The list's querystring parameters that say which orders it shows (page is not one of them).
FILTER_PARAMS = (
    "status",
    "partially_shipped",
    "needs_attention",
    "q",
    "store",
    "storefront",
    "date_from",
    "date_to",
    "tag",
    "assignee",
    "shipping_preset",
    "sort",
)
# The filters that narrow the list: one that cannot be read must not be dropped (the list would widen).
NARROWING = ("store", "storefront", "date_from", "date_to", "tag", "assignee", "shipping_preset")


@dataclass
class ListFilters:
    """The order list's filters read from a querystring: the form (with its errors), the status tab, the
    keyword arguments of `orders.selectors.order_list` other than the status, and the sort."""

    form: OrderFilterForm
    status: str
    partially_shipped: bool
    attention: bool
    common: dict
    sort: str
    refused: list[str] = field(default_factory=list)  # why a narrowing filter was refused (nothing matches)

    def orders(self, tenant: Tenant) -> QuerySet:
        """The matching orders, in the list's order (none when a filter was refused)."""
        if self.refused:
            return Order.objects.none()
        qs = select_orders(
            tenant=tenant,
            status=self.status or None,
            partially_shipped=True if self.partially_shipped else None,
            **self.common,
        )
        return qs.order_by(*ORDER_SORTS[self.sort])


def list_filters(tenant: Tenant, data, *, stores=None, storefronts=None) -> ListFilters:
    """Read the list's filters from `data` (a QueryDict). `stores`/`storefronts` are the tenant's (read
    here when not given): a store or storefront id that is not the tenant's is an invalid filter, refused
    (`refused` says why; the list matches nothing)."""
    stores = list(store_list(tenant=tenant)) if stores is None else stores
    storefronts = list(storefront_list(tenant=tenant)) if storefronts is None else storefronts
    relevant = QueryDict(mutable=True)
    for name in FILTER_PARAMS:
        if name in data:
            relevant.setlist(name, data.getlist(name))
    form = OrderFilterForm(
        relevant or None,
        stores=stores,
        storefronts=storefronts,
        tags=tag_list(tenant=tenant),
        members=assignable_people(tenant=tenant),
        presets=shipping_preset_list(tenant=tenant),
    )
    form.is_valid()
    filters = getattr(form, "cleaned_data", {})  # the valid filters, also when one of them is not
    status = data.get("status") or ""
    if status and status not in OrderStatus.values:
        status = ""
    # "Partially shipped" is a filter of the Awaiting Shipment tab; "needs attention" comes from the dashboard.
    partially_shipped = status == OrderStatus.AWAITING_SHIPMENT and data.get("partially_shipped") == "true"
    attention = data.get("needs_attention") == "true"
    common = {
        "store_id": filters.get("store"),
        "storefront_id": filters.get("storefront"),
        "search": filters.get("q") or "",
        "tag_id": filters.get("tag"),
        "assignee_id": filters.get("assignee"),
        "preset_id": filters.get("shipping_preset"),
        "needs_attention": True if attention else None,
        "date_from": dt.datetime.combine(filters["date_from"], dt.time.min, tzinfo=dt.UTC)
        if filters.get("date_from")
        else None,
        "date_to": dt.datetime.combine(filters["date_to"] + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
        if filters.get("date_to")
        else None,
    }
    # Awaiting Shipment is worked oldest first; the other tabs show the newest first.
    sort = filters.get("sort") or ("oldest" if status == OrderStatus.AWAITING_SHIPMENT else "newest")
    # A value that is not one of the choices or no date (not the inverted range, which the form words itself).
    refused = [
        message
        for name in NARROWING
        for error in form.errors.as_data().get(name, [])
        if error.code in ("invalid", "invalid_choice")
        for message in error.messages
    ]
    return ListFilters(
        form=form,
        status=status,
        partially_shipped=partially_shipped,
        attention=attention,
        common=common,
        sort=sort,
        refused=refused,
    )


def filter_query(data) -> QueryDict:
    """Only the list's filter parameters of `data` (to carry a selection from page to page)."""
    query = QueryDict(mutable=True)
    for name in FILTER_PARAMS:
        values = [v for v in data.getlist(name) if v != ""]
        if values:
            query.setlist(name, values)
    return query


@dataclass
class OrderSelection:
    """The orders a batch acts on. `orders` is tenant-scoped and in the list's order; `ids` are the explicit
    ids asked for (empty with `all_matching`); `query` the list's filters."""

    orders: QuerySet
    all_matching: bool
    ids: list[int] = field(default_factory=list)
    query: QueryDict = field(default_factory=QueryDict)
    refused: list[str] = field(default_factory=list)  # "all matching" with a refused filter: acts on nothing

    @property
    def refusal(self) -> str:
        """Why nothing is done ("" when the selection can be acted on)."""
        if not self.refused:
            return ""
        return _("Nothing was done: the list's filters could not be read. %(reasons)s") % {
            "reasons": " ".join(self.refused)
        }

    @property
    def empty(self) -> bool:
        """Nothing was selected (the orders may still be none when the filters match nothing)."""
        return not self.all_matching and not self.ids

    def hidden_fields(self) -> list[tuple[str, str]]:
        """(name, value) pairs that post this selection again, e.g. from a confirmation page's form."""
        pairs = [(name, value) for name in self.query for value in self.query.getlist(name)]
        if self.all_matching:
            return pairs + [("all_matching", "1")]
        return pairs + [("order_ids", str(pk)) for pk in self.ids]


def _ids(values) -> list[int]:
    seen: dict[int, None] = {}
    for value in values:
        for part in str(value).replace(",", " ").split():
            try:
                pk = int(part)
            except ValueError:
                continue
            if pk > 0:
                seen[pk] = None
    return list(seen)


def resolve_order_selection(tenant: Tenant, data, *, stores=None, storefronts=None) -> OrderSelection:
    """The orders `data` (request.POST or request.GET) selects: ``all_matching=1`` with the list's filters,
    or ``order_ids`` repeated (a comma-separated value is read too). Always within `tenant`."""
    filters = list_filters(tenant, data, stores=stores, storefronts=storefronts)
    query = filter_query(data)
    if data.get("all_matching") in ("1", "true", "on"):
        return OrderSelection(orders=filters.orders(tenant), all_matching=True, query=query, refused=filters.refused)
    ids = _ids(data.getlist("order_ids"))
    qs = Order.objects.for_tenant(tenant).select_related("store", "storefront").filter(pk__in=ids)
    return OrderSelection(orders=qs.order_by(*ORDER_SORTS[filters.sort]), all_matching=False, ids=ids, query=query)
