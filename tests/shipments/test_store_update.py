"""The store update reaches the sandbox with everything it must carry: status (the storefront's
shipped status applied by the store), tracking number, carrier, service, carrier fee and the notes to the buyer."""

from decimal import Decimal

from outbox.models import OutboxMessage, OutboxState
from shipments.services import shipment_create

from .conftest import order_from_truth, physical_items, pick_orders, relay_all, set_emails, store_truth


def test_notice_carries_tracking_carrier_service_fee_notes_and_lines(store, shop):
    truth = pick_orders(shop, min_lines=2)[0]
    order = order_from_truth(store, truth, notes_to_buyer="Thanks for your order!")
    shipment = shipment_create(
        order=order,
        carrier="UPS",
        service="UPS Ground",
        tracking_number="1Z999AA10123456784",
        carrier_fee=Decimal("7.35"),
        internal_notes="packed by Sam",
    )
    assert relay_all() == 2  # store update + confirmation e-mail
    (notice,) = store_truth(shop, order.number)["Shipments"]
    assert notice["TrackingNumber"] == "1Z999AA10123456784"
    assert (notice["Carrier"], notice["Service"]) == ("UPS", "UPS Ground")
    assert notice["ShippingCost"] == "7.35"
    assert notice["NotesToCustomer"] == "Thanks for your order!"
    assert notice["InternalNotes"] == "packed by Sam"
    shipped = {(i["LineItemID"], i["SKU"], i["Quantity"]) for i in physical_items(truth)}
    assert {(i["LineItemID"], i["SKU"], i["Quantity"]) for i in notice["Items"]} == shipped
    shipment.refresh_from_db()
    assert shipment.store_update_state == OutboxState.SENT


def test_each_storefront_applies_its_own_shipped_status(store, shop):
    storefronts = {s["name"]: s["shipped_status"] for s in shop.truth(include_orders=False)["storefronts"]}
    assert storefronts["Main Store"] != storefronts["Outlet"]
    for name in ("Main Store", "Outlet"):
        order = order_from_truth(store, pick_orders(shop, storefront=name)[0])
        shipment_create(order=order, carrier="USPS", tracking_number=f"9400{order.pk:018d}")
        relay_all()
        assert store_truth(shop, order.number)["OrderStatus"] == storefronts[name]


def test_notify_customer_is_false_when_outbound_emails_the_buyer(store, shop):
    first, second = (order_from_truth(store, t) for t in pick_orders(shop, count=2))
    shipment_create(order=first, carrier="FedEx", tracking_number="T-ON")
    set_emails(store, confirmation=False, delivery=False)
    shipment_create(order=second, carrier="FedEx", tracking_number="T-OFF")
    relay_all()
    assert store_truth(shop, first.number)["Shipments"][0]["NotifyCustomer"] is False
    assert store_truth(shop, second.number)["Shipments"][0]["NotifyCustomer"] is True


def test_success_is_recorded_with_the_answer_and_never_repeated(store, shop):
    order = order_from_truth(store, pick_orders(shop)[0])
    shipment_create(order=order, carrier="USPS", tracking_number="9400100000000000000001")
    relay_all()
    message = OutboxMessage.objects.get(kind="store_update")
    assert (message.state, message.response_status, message.response_body) == ("sent", 200, "OK")
    assert relay_all() == 0
    assert shop.truth(include_orders=False)["shipnotify_log"]["received"] == 1
    assert list(order.events.filter(kind="store_notified").values_list("kind", flat=True)) == ["store_notified"]
