"""Issue 29 parts 4, 6 and 7: buying a label through the one shipment service, never paying twice, voiding."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from labels.models import LabelPurchase, PurchaseState
from labels.services import LabelInProgress, label_buy, label_release, label_void, labels_sweep
from orders.models import OrderStatus
from outbox.models import OutboxMessage
from shipments.models import ShipmentState
from tests.factories import make_detailed_order

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    import pypdf

    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def buy(order, account, service, **kwargs):
    return label_buy(order=order, account=account, service=service, created_by_label="test", **kwargs)


def test_a_label_bought_is_a_shipment_with_its_cost_and_document(accounts_a, store_a, carrier_sandbox):
    order = make_detailed_order(store_a, number="A-1")
    purchase = buy(order, accounts_a["FedEx"], "fedex_ground")
    assert purchase.state == PurchaseState.BOUGHT, purchase.error
    [sold] = carrier_sandbox.labels_sold()
    shipment = purchase.shipment
    assert (shipment.carrier, shipment.service, shipment.tracking_number) == (
        "FedEx",
        "fedex_ground",
        sold.tracking_number,
    )
    assert shipment.carrier_fee == purchase.price and float(purchase.price) == sold.price
    assert sold.reference == purchase.reference == f"A-1-L{purchase.pk}"
    [document] = purchase.documents.all()
    assert document.format == "pdf" and sold.tracking_number in pdf_text(bytes(document.content))
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert OutboxMessage.objects.filter(ref=f"shipment:{shipment.pk}", kind="store_update").count() == 1


def test_zpl_when_asked(accounts_a, store_a, carrier_sandbox):
    purchase = buy(make_detailed_order(store_a), accounts_a["UPS"], "ups_ground", label_format="zpl")
    [document] = purchase.documents.all()
    assert document.format == "zpl" and bytes(document.content).startswith(b"^XA")


def test_a_second_purchase_for_the_order_sees_the_first(accounts_a, store_a, carrier_sandbox):
    order = make_detailed_order(store_a)
    first = buy(order, accounts_a["UPS"], "ups_ground")
    with pytest.raises(LabelInProgress) as refused:
        buy(order, accounts_a["USPS"], "usps_ground_advantage")
    assert refused.value.purchase == first and first.tracking_number in refused.value.messages[0]
    assert len(carrier_sandbox.labels_sold()) == 1


def test_the_same_idempotency_key_answers_the_first_purchase(accounts_a, store_a, carrier_sandbox):
    order = make_detailed_order(store_a)
    first = buy(order, accounts_a["UPS"], "ups_ground", idempotency_key="k-1")
    again = buy(order, accounts_a["UPS"], "ups_ground", idempotency_key="k-1")
    assert again == first and len(carrier_sandbox.labels_sold()) == 1
    with pytest.raises(ValidationError):
        buy(make_detailed_order(store_a), accounts_a["UPS"], "ups_ground", idempotency_key="k-1")


def test_a_refusal_buys_nothing_and_the_order_can_be_labelled_again(accounts_a, store_a, carrier_sandbox):
    order = make_detailed_order(store_a)
    order.ship_to = {**order.ship_to, "address2": "UNDELIVERABLE"}
    order.save()
    purchase = buy(order, accounts_a["USPS"], "usps_ground_advantage")  # USPS rates by ZIP Code alone
    assert purchase.state == PurchaseState.FAILED and "not valid" in purchase.error
    assert purchase.shipment is None and carrier_sandbox.labels_sold() == []
    order.ship_to = {**order.ship_to, "address2": ""}
    order.save()
    assert buy(order, accounts_a["USPS"], "usps_ground_advantage").state == PurchaseState.BOUGHT


@pytest.mark.parametrize("carrier", ["UPS", "FedEx"])
def test_a_lost_answer_is_matched_by_reference_and_never_bought_twice(accounts_a, store_a, carrier_sandbox, carrier):
    carrier_sandbox.set_faults("ship", carrier.lower(), lose_rate=1.0)
    order = make_detailed_order(store_a)
    service = {"UPS": "ups_ground", "FedEx": "fedex_ground"}[carrier]
    purchase = buy(order, accounts_a[carrier], service)
    [sold] = carrier_sandbox.labels_sold()
    assert sold.answer_lost
    assert purchase.state == PurchaseState.BOUGHT and purchase.matched
    assert purchase.tracking_number == sold.tracking_number == purchase.shipment.tracking_number
    assert len(carrier_sandbox.label_by_reference(purchase.reference)) == 1


def test_a_lost_usps_answer_is_flagged_then_void_and_retry(accounts_a, store_a, carrier_sandbox):
    carrier_sandbox.set_faults("ship", "usps", lose_rate=1.0)
    order = make_detailed_order(store_a)
    purchase = buy(order, accounts_a["USPS"], "usps_ground_advantage")
    assert purchase.state == PurchaseState.UNCERTAIN and "check with the carrier" in purchase.error
    assert len(carrier_sandbox.labels_sold()) == 1
    with pytest.raises(LabelInProgress):  # never bought again by itself
        buy(order, accounts_a["USPS"], "usps_ground_advantage")
    assert len(carrier_sandbox.labels_sold()) == 1
    label_release(purchase=purchase, actor="alice")
    carrier_sandbox.set_faults("ship", "usps")
    again = buy(order, accounts_a["USPS"], "usps_ground_advantage")
    assert again.state == PurchaseState.BOUGHT and len(carrier_sandbox.labels_sold()) == 2


class Killed(BaseException):
    """The worker dies (SIGKILL) after the carrier sold the label, before anything was recorded."""


def test_a_purchase_left_calling_is_swept_and_matched_without_a_second_purchase(
    accounts_a, store_a, carrier_sandbox, monkeypatch
):
    import labels.services

    def killed(*args, **kwargs):
        raise Killed

    order = make_detailed_order(store_a)
    with monkeypatch.context() as patch:
        patch.setattr(labels.services, "_record_label", killed)
        with pytest.raises(Killed):
            buy(order, accounts_a["FedEx"], "fedex_ground")
    purchase = LabelPurchase.objects.get()
    assert purchase.state == PurchaseState.CALLING and len(carrier_sandbox.labels_sold()) == 1
    with pytest.raises(LabelInProgress):  # the order page's buy button: no second purchase
        buy(order, accounts_a["FedEx"], "fedex_ground")
    assert labels_sweep() == 0  # not stale yet: a live worker may still be calling
    assert labels_sweep(now=timezone.now() + dt.timedelta(hours=1)) == 1
    purchase.refresh_from_db()
    assert purchase.state == PurchaseState.BOUGHT and purchase.matched and purchase.shipment is not None
    assert purchase.tracking_number == carrier_sandbox.labels_sold()[0].tracking_number
    assert len(carrier_sandbox.labels_sold()) == 1


def test_void_refunds_and_reopens_the_order(accounts_a, store_a, carrier_sandbox):
    order = make_detailed_order(store_a)
    purchase = buy(order, accounts_a["UPS"], "ups_ground")
    label_void(purchase=purchase, actor="alice")
    purchase.refresh_from_db()
    order.refresh_from_db()
    assert purchase.state == PurchaseState.VOIDED and purchase.refund_state == "requested"
    assert purchase.shipment.state == ShipmentState.VOIDED and order.status == OrderStatus.AWAITING_SHIPMENT
    [sold] = carrier_sandbox.labels_sold()
    assert sold.voided and sold.refund_status == "refunded"
    again = buy(order, accounts_a["UPS"], "ups_ground")  # a voided label is no longer live
    assert again.state == PurchaseState.BOUGHT


def test_a_refused_void_says_so_and_changes_nothing(accounts_a, store_a, carrier_sandbox):
    order = make_detailed_order(store_a)
    purchase = buy(order, accounts_a["USPS"], "usps_ground_advantage")
    carrier_sandbox.advance(4)  # scanned
    with pytest.raises(ValidationError) as refused:
        label_void(purchase=purchase, actor="alice")
    assert "refused to void" in refused.value.messages[0] and "scanned" in refused.value.messages[0]
    purchase.refresh_from_db()
    order.refresh_from_db()
    assert purchase.state == PurchaseState.BOUGHT and purchase.shipment.state == ShipmentState.SHIPPED
    assert order.status == OrderStatus.SHIPPED


def test_a_label_bought_and_voided_is_in_the_audit_trail(accounts_a, store_a, carrier_sandbox, alice):
    from audit.models import Action, AuditEntry

    order = make_detailed_order(store_a)
    purchase = label_buy(order=order, account=accounts_a["UPS"], service="ups_ground", user=alice)
    label_void(purchase=purchase, user=alice)
    entries = {e.action: e for e in AuditEntry.objects.filter(tenant_id=store_a.tenant_id, target_id=str(purchase.pk))}
    bought, voided = entries[Action.LABEL_BOUGHT], entries[Action.LABEL_VOIDED]
    assert bought.actor_name == voided.actor_name == "alice"
    assert bought.after["tracking_number"] == purchase.tracking_number and bought.after["carrier"] == "UPS"
    assert voided.before == {"state": "bought"} and voided.after["state"] == "voided"


def test_labels_bought_and_their_spend_are_in_the_metrics(accounts_a, store_a, carrier_sandbox, client, settings):
    from tests.ops.test_metrics import TOKEN, scrape

    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = TOKEN, []
    before = scrape(client)
    assert before.get("outbound_labels_bought_total|carrier=UPS", 0) == 0
    first = buy(make_detailed_order(store_a), accounts_a["UPS"], "ups_ground")
    second = buy(make_detailed_order(store_a), accounts_a["UPS"], "ups_ground")
    label_void(purchase=second, actor="alice")
    after = scrape(client)
    assert after["outbound_labels_bought_total|carrier=UPS"] == 2
    paid = sum(float(sold.price) for sold in carrier_sandbox.labels_sold())
    assert after["outbound_label_spend_total|carrier=UPS|currency=USD"] == pytest.approx(paid)
    assert float(first.price) + float(second.price) == pytest.approx(paid)
    assert after["outbound_label_purchases_uncertain"] == 0
