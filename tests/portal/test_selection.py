"""A batch's selection: explicit ids or "all matching" the list's filters, always within the tenant, in the
list's order (portal.selection, shared by every batch action)."""

import datetime as dt

from django.http import QueryDict
from django.utils import timezone

from orders.models import OrderStatus
from portal.selection import resolve_order_selection
from tests.factories import make_order


def _q(**params) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, value in params.items():
        query.setlist(name, value if isinstance(value, list) else [value])
    return query


def test_explicit_ids_select_those_orders_of_the_tenant_only(tenant_a, store_a, store_b):
    mine = [make_order(store_a) for _ in range(3)]
    theirs = make_order(store_b)
    selection = resolve_order_selection(
        tenant_a, _q(order_ids=[str(mine[0].pk), str(mine[2].pk), str(theirs.pk), "nonsense", str(mine[0].pk)])
    )
    assert not selection.all_matching and not selection.empty
    assert {o.pk for o in selection.orders} == {mine[0].pk, mine[2].pk}
    assert ("order_ids", str(mine[2].pk)) in selection.hidden_fields()


def test_all_matching_follows_the_lists_filters_and_order(tenant_a, store_a, store_b):
    now = timezone.now()
    old = make_order(store_a, number="OLD", order_date=now - dt.timedelta(days=3))
    new = make_order(store_a, number="NEW", order_date=now - dt.timedelta(days=1))
    make_order(store_a, number="HELD", status=OrderStatus.ON_HOLD)
    make_order(store_b, number="OTHER")
    selection = resolve_order_selection(tenant_a, _q(status="awaiting_shipment", all_matching="1", page="3"))
    assert selection.all_matching
    assert [o.pk for o in selection.orders] == [old.pk, new.pk]  # Awaiting Shipment: oldest first
    assert ("all_matching", "1") in selection.hidden_fields()
    assert ("status", "awaiting_shipment") in selection.hidden_fields()
    assert "page" not in dict(selection.hidden_fields())
    searched = resolve_order_selection(tenant_a, _q(q="NEW", all_matching="1"))
    assert [o.number for o in searched.orders] == ["NEW"]


def test_a_store_of_another_tenant_is_a_refused_filter_not_a_leak_nor_the_whole_tenant(tenant_a, store_a, store_b):
    make_order(store_a)
    make_order(store_b)
    # Issue 25, item 41: another tenant's store, a deleted store's id, garbage: refused, never dropped (a
    # dropped filter made "all matching" every order of the tenant).
    for bad in (str(store_b.pk), "987654", "abc", "²"):
        selection = resolve_order_selection(tenant_a, _q(store=bad, all_matching="1"))
        assert list(selection.orders) == [] and selection.refusal, bad
        assert "no store of this workspace" in selection.refusal
    garbage_date = resolve_order_selection(tenant_a, _q(date_from="yesterday", all_matching="1"))
    assert list(garbage_date.orders) == [] and "is not a date" in garbage_date.refusal
    fine = resolve_order_selection(tenant_a, _q(store=str(store_a.pk), all_matching="1"))
    assert len(fine.orders) == 1 and not fine.refusal


def test_nothing_selected_is_empty(tenant_a, store_a):
    make_order(store_a)
    selection = resolve_order_selection(tenant_a, _q())
    assert selection.empty and list(selection.orders) == []
