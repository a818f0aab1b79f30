"""shipment_create's rules: refusals, partial shipments, non-shipping lines, void and re-ship."""

import pytest
from django.core.exceptions import ValidationError

from orders.models import OrderLine, OrderStatus, ProductKind
from outbox.models import OutboxMessage, OutboxState
from shipments.models import ShipmentState
from shipments.selectors import remaining_quantities
from shipments.services import shipment_create, shipment_void

from .conftest import order_from_truth, physical_items, pick_orders, relay_all, store_truth


@pytest.fixture
def order(store, shop):
    return order_from_truth(store, pick_orders(shop, min_lines=3)[0])


def line_ids(order):
    return list(order.lines.filter(is_shippable=True).values_list("pk", flat=True))


def test_three_line_order_shipped_in_two_parts(order, shop):
    first, second, third = line_ids(order)[:3]
    qty = {line.pk: line.quantity for line in order.lines.all()}
    shipment_create(order=order, lines={first: qty[first], second: qty[second]}, carrier="UPS", tracking_number="1ZA")
    relay_all()
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_SHIPMENT
    shipment_create(order=order, carrier="UPS", tracking_number="1ZB")  # everything that remains
    relay_all()
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED and order.shipped_in_outbound
    notices = store_truth(shop, order.number)["Shipments"]
    by_id = {line.pk: line.line_item_id for line in order.lines.all()}
    assert [{i["LineItemID"]: i["Quantity"] for i in n["Items"]} for n in notices] == [
        {by_id[first]: qty[first], by_id[second]: qty[second]},
        {by_id[pk]: qty[pk] for pk in line_ids(order)[2:]},
    ]


@pytest.mark.parametrize(
    "status, words",
    [
        (OrderStatus.AWAITING_PAYMENT, "awaiting payment"),
        (OrderStatus.ON_HOLD, "on hold"),
        (OrderStatus.CANCELLED, "cancelled"),
    ],
)
def test_unshippable_statuses_are_refused_with_a_reason(order, status, words):
    order.status = status
    order.save()
    with pytest.raises(ValidationError, match=words):
        shipment_create(order=order, carrier="USPS")


def test_an_operator_may_override_a_blocked_status(order, operator, alice):
    order.status = OrderStatus.CANCELLED
    order.save()
    with pytest.raises(ValidationError, match="Only an operator"):
        shipment_create(order=order, carrier="USPS", override_status=True, user=alice)
    shipment_create(order=order, carrier="USPS", override_status=True, user=operator)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED


def test_quantities_beyond_what_remains_are_refused(order):
    line = order.lines.filter(is_shippable=True).first()
    with pytest.raises(ValidationError, match=f"Only {line.quantity} of"):
        shipment_create(order=order, lines={line.pk: line.quantity + 1}, carrier="USPS")
    shipment_create(order=order, lines={line.pk: line.quantity}, carrier="USPS")
    with pytest.raises(ValidationError, match="Only 0 of"):
        shipment_create(order=order, lines={line.pk: 1}, carrier="USPS")


def test_lines_of_another_order_and_empty_shipments_are_refused(store, shop, order):
    other = order_from_truth(store, pick_orders(shop, count=2, min_lines=3)[1])
    with pytest.raises(ValidationError, match="is not on order"):
        shipment_create(order=order, lines={line_ids(other)[0]: 1}, carrier="USPS")
    with pytest.raises(ValidationError, match="at least one line"):
        shipment_create(order=order, lines={line_ids(order)[0]: 0}, carrier="USPS")
    with pytest.raises(ValidationError, match="not a carrier"):
        shipment_create(order=order, carrier="Pony Express")


def test_electronic_and_non_shipping_lines_are_never_required(order):
    for kind in (ProductKind.ELECTRONIC, ProductKind.NO_SHIP):
        OrderLine.objects.create(
            order=order,
            line_key=f"extra-{kind}",
            position=99,
            sku=f"X-{kind}",
            quantity=1,
            product_kind=kind,
            is_shippable=False,
        )
    shipment = shipment_create(order=order, carrier="usps")  # codes are matched without regard to case
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert shipment.carrier == "USPS" and shipment.lines.count() == len(line_ids(order))


def test_void_gives_quantities_back_and_reship_sends_the_new_tracking(order, shop):
    shipment = shipment_create(order=order, carrier="UPS", tracking_number="1ZOLD")
    relay_all()
    shipment_void(shipment=shipment, actor="alice")
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_SHIPMENT
    assert sum(remaining_quantities(order).values()) == sum(
        i["Quantity"] for i in physical_items(store_truth(shop, order.number))
    )
    shipment_create(order=order, carrier="UPS", tracking_number="1ZNEW")
    relay_all()
    assert [s["TrackingNumber"] for s in store_truth(shop, order.number)["Shipments"]] == ["1ZOLD", "1ZNEW"]
    assert set(order.events.values_list("kind", flat=True)) >= {
        "shipment_created",
        "shipment_voided",
        "store_notified",
        "status",
    }


def test_voiding_before_the_store_heard_cancels_the_update(order, shop):
    shipment = shipment_create(order=order, carrier="UPS", tracking_number="1ZNEVER")
    shipment_void(shipment=shipment)
    assert relay_all() == 0
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {OutboxState.CANCELLED}
    assert store_truth(shop, order.number)["Shipments"] == []
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.VOIDED
    with pytest.raises(ValidationError, match="already voided"):
        shipment_void(shipment=shipment)


def test_tracking_url_follows_the_carrier(order):
    shipment = shipment_create(order=order, carrier="FedEx", tracking_number="7946 0000")  # printed spaces go
    assert shipment.tracking_url == "https://www.fedex.com/fedextrack/?trknbr=79460000"
