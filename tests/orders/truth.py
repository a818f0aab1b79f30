"""Compare what Outbound holds with the sandbox's truth."""

from decimal import Decimal

from orders.models import Order
from stores import statuses


def expected_orders(truth: dict, mapping) -> dict[str, dict]:
    """Truth orders Outbound should hold: with a ship-to and a mapped status."""
    lookup = mapping.lookup()
    return {
        o["OrderID"]: o
        for o in truth["orders"]
        if o["Customer"]["ShipTo"] is not None and statuses.map_status(lookup, o["OrderStatus"])
    }


def mismatches(store, truth: dict) -> list[str]:
    expected = expected_orders(truth, store.status_mapping)
    held = {o.external_id: o for o in Order.objects.filter(store=store).prefetch_related("lines")}
    problems = []
    for missing in sorted(set(expected) - set(held)):
        problems.append(f"missing {missing}")
    for extra in sorted(set(held) - set(expected)):
        problems.append(f"unexpected {extra}")
    for oid in set(expected) & set(held):
        t, o = expected[oid], held[oid]
        if o.store_status != t["OrderStatus"]:
            problems.append(f"{oid} stale status {o.store_status!r} != {t['OrderStatus']!r}")
        if o.order_total != Decimal(t["OrderTotal"]):
            problems.append(f"{oid} total {o.order_total} != {t['OrderTotal']}")
        lines = {(li.line_item_id, li.quantity) for li in o.lines.all()}
        want = {(i["LineItemID"], i["Quantity"]) for i in t["Items"]}
        if lines != want:
            problems.append(f"{oid} lines {sorted(lines)} != {sorted(want)}")
        if o.internal_notes != t["InternalNotes"]:
            problems.append(f"{oid} stale internal notes")
    return problems
