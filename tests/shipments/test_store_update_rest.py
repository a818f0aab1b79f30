"""The store update over the REST road, through the outbox: the shipment reaches the sandbox's REST face with
tracking number and URL, carrier, service, label cost, package count and the notes to the buyer, then the
order's status becomes its storefront's shipped status; a repeat adds nothing."""

from decimal import Decimal

from outbox.models import OutboxMessage, OutboxState
from shipments.models import tracking_url_for
from shipments.services import shipment_correct_tracking_number, shipment_create

from .conftest import order_from_truth, pick_orders, relay_all, store_truth


def test_the_shipment_and_the_storefronts_shipped_status_reach_the_store(rest_store, shop):
    for name in ("Main Store", "Outlet"):
        truth = pick_orders(shop, storefront=name)[0]
        order = order_from_truth(rest_store, truth, notes_to_buyer="Thanks for your order!")
        shipment = shipment_create(
            order=order,
            carrier="UPS",
            service="UPS Ground",
            tracking_number=f"1Z999AA1{order.pk:010d}",
            carrier_fee=Decimal("7.35"),
            internal_notes="packed by Sam",
        )
        relay_all()
        held = store_truth(shop, order.number)
        (notice,) = held["Shipments"]
        assert (notice["Carrier"], notice["Service"], notice["TrackingNumber"]) == (
            "UPS",
            "UPS Ground",
            shipment.tracking_number,
        )
        assert notice["TrackingUrl"] == shipment.tracking_url and notice["TrackingUrl"]
        assert (notice["ShippingCost"], notice["Packages"]) == ("7.35", 1)
        assert (notice["NotesToCustomer"], notice["InternalNotes"]) == ("Thanks for your order!", "packed by Sam")
        assert {i["LineItemID"] for i in notice["Items"]} == {
            line.line_item_id for line in order.lines.all() if line.is_shippable
        }
        front = next(f for f in shop.truth(include_orders=False)["storefronts"] if f["name"] == name)
        assert held["OrderStatus"] == front["shipped_status"]
        shipment.refresh_from_db()
        assert shipment.store_update_state == OutboxState.SENT


def test_a_store_update_sent_again_adds_no_second_shipment(rest_store, shop):
    order = order_from_truth(rest_store, pick_orders(shop)[0])
    shipment_create(order=order, carrier="USPS", tracking_number="9400100000000000000001")
    relay_all()
    message = OutboxMessage.objects.get(kind="store_update")
    assert (message.state, message.response_status) == ("sent", 200)
    # The worker died after the store took it, before the outbox knew: the same update goes again.
    OutboxMessage.objects.filter(pk=message.pk).update(state=OutboxState.PENDING)
    relay_all()
    assert len(store_truth(shop, order.number)["Shipments"]) == 1
    assert shop.truth(include_orders=False)["shipnotify_log"]["recorded"] == 1


def _rest_calls(shop) -> dict[str, int]:
    return {k: v for k, v in shop.requests_served.items() if k.startswith("rest:")}


def test_a_first_try_costs_the_store_two_calls_the_shipment_and_the_status(rest_store, shop):
    """Issue 26: about 10 store calls a shipment before (the order, statuses and storefronts re-read for each
    write): now the shipment and the status, the store's statuses read once for all of them."""
    truths = pick_orders(shop, count=5)
    orders = [order_from_truth(rest_store, t) for t in truths]
    before = _rest_calls(shop)
    for n, order in enumerate(orders):
        shipment_create(order=order, carrier="USPS", tracking_number=f"94001000000000000{n:05d}")
    relay_all()
    after = _rest_calls(shop)
    spent = {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}
    assert spent == {"rest:POST order_shipments": 5, "rest:PUT orders": 5, "rest:GET order_statuses": 1}
    for order, truth in zip(orders, truths, strict=True):
        held = store_truth(shop, order.number)
        front = next(
            f for f in shop.truth(include_orders=False)["storefronts"] if f["name"] == truth["Storefront"]["name"]
        )
        assert len(held["Shipments"]) == 1 and held["OrderStatus"] == front["shipped_status"]


def test_a_corrected_tracking_number_reaches_a_rest_store(rest_store, shop):
    """Issue 28 part 5: on the REST road too, the correction is a new store update with the new number."""
    order = order_from_truth(rest_store, pick_orders(shop)[0])
    shipment = shipment_create(order=order, carrier="UPS", tracking_number="1ZWRONGREST")
    relay_all()
    shipment_correct_tracking_number(shipment=shipment, tracking_number="1ZRIGHTREST", actor="operator")
    relay_all()
    held = store_truth(shop, order.number)["Shipments"]
    assert [s["TrackingNumber"] for s in held] == ["1ZWRONGREST", "1ZRIGHTREST"]
    assert held[-1]["TrackingUrl"] == tracking_url_for("UPS", "1ZRIGHTREST")
