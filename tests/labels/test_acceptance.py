"""Issue 29, acceptance line 1, for each of UPS, USPS and FedEx: against the carrier sandbox and the store
sandbox, karrio's real connectors over loopback HTTP: rates shown; a label bought; its PDF read back shows
the tracking number; the store receives the shipment once; the buyer e-mail goes out once; tracking follows
it to delivered; a void refunds and puts the order back in Awaiting Shipment."""

from __future__ import annotations

import io
from decimal import Decimal

import pypdfium2
import pytest
from django.core import mail

from labels.models import PurchaseState
from labels.rates import rates_for
from labels.services import label_buy, label_void
from orders.models import OrderStatus
from shipments.models import ShipmentState
from tests.factories import connect_sandbox
from tests.sandbox.code128 import decode_image
from tests.shipments.conftest import order_from_truth, pick_orders, relay_all, store_truth
from tracking.models import ShipmentTracking
from tracking.services import tracking_poll_due

from .conftest import label_setup
from .test_buy import pdf_text

pytestmark = pytest.mark.django_db

GROUND = {"UPS": "ups_ground", "USPS": "usps_ground_advantage", "FedEx": "fedex_ground"}
US_SHIP_TO = {"address1": "1 Main Street", "city": "Chicago", "state": "IL", "postal_code": "60614", "country": "US"}


@pytest.fixture
def shop(sandbox_factory):
    return sandbox_factory(orders=40, seed=7)


def _labellable(store, truth):
    order = order_from_truth(store, truth)
    order.ship_to = {**order.ship_to, **US_SHIP_TO}
    order.save(update_fields=["ship_to"])
    order.lines.update(unit_weight=Decimal("0.5"), weight_unit="Pounds")
    return order


@pytest.mark.parametrize("carrier", ["UPS", "USPS", "FedEx"])
def test_rates_label_pdf_store_email_tracking_and_void(carrier, tenant_a, shop, carrier_sandbox):
    from carriers.gateway import forget_all_tokens

    forget_all_tokens()
    store = connect_sandbox(tenant_a, shop, name="Harbor & Pine")
    accounts = label_setup(tenant_a, store, carrier_sandbox)
    first_truth, second_truth = pick_orders(shop, count=2)
    order, other = _labellable(store, first_truth), _labellable(store, second_truth)

    answer = rates_for(order)
    assert answer.errors == [] and {r.carrier for r in answer.rates} == {"UPS", "USPS", "FedEx"}
    rate = answer.find(accounts[carrier].pk, GROUND[carrier])
    purchase = label_buy(
        order=order, account=accounts[carrier], service=rate.service, price=rate.price, currency=rate.currency
    )
    assert purchase.state == PurchaseState.BOUGHT, purchase.error
    number = purchase.tracking_number
    [sold] = carrier_sandbox.labels_sold()
    assert (sold.tracking_number, float(purchase.price)) == (number, sold.price)
    pdf = bytes(purchase.documents.get(format="pdf").content)
    if carrier == "UPS":  # UPS sends an image of its label (karrio wraps it into a PDF): its barcode holds it
        page = pypdfium2.PdfDocument(io.BytesIO(pdf))[0]
        assert decode_image(page.render(scale=4).to_pil()) == number
    else:
        assert number in pdf_text(pdf)

    relay_all()
    [notice] = store_truth(shop, order.number)["Shipments"]
    assert (notice["TrackingNumber"], notice["Carrier"]) == (number, carrier)
    assert shop.truth(include_orders=False)["shipnotify_log"]["received"] == 1
    confirmations = [m for m in mail.outbox if order.number in m.subject]
    assert len(confirmations) == 1 and number in confirmations[0].body

    tracking_poll_due()
    carrier_sandbox.advance(100)
    ShipmentTracking.objects.filter(shipment=purchase.shipment).update(next_poll_at=purchase.created_at)
    tracking_poll_due()
    relay_all()
    shipment = purchase.shipment
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.DELIVERED

    second = label_buy(order=other, account=accounts[carrier], service=GROUND[carrier])
    label_void(purchase=second, actor="alice")
    other.refresh_from_db()
    second.refresh_from_db()
    assert second.state == PurchaseState.VOIDED and other.status == OrderStatus.AWAITING_SHIPMENT
    voided = next(label for label in carrier_sandbox.labels_sold() if label.tracking_number == second.tracking_number)
    assert voided.voided and voided.refund_status == "refunded"
    live = carrier_sandbox.labels_sold(live_only=True)
    assert [label.tracking_number for label in live] == [number]  # the truth: one label paid for, as recorded
