"""Issue 29 part 8: label spend per day, carrier and store in the picture of the day (and the API).

Spend is the carrier's charge of the labels bought and not voided, on the day they were bought; labels
voided since are counted apart (refunded or being refunded); failed, released, uncertain and calling
purchases are not spend."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from labels.models import LabelPurchase
from orders.insights import insights
from tests.factories import make_order, make_store

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)


def _label(order, *, carrier="UPS", price="10.00", state="bought", at=NOW, currency="USD"):
    return LabelPurchase.objects.create(
        tenant=order.tenant,
        order=order,
        carrier=carrier,
        service="svc",
        price=price,
        currency=currency,
        state=state,
        created_at=at,
    )


def test_spend_per_day_carrier_and_store(store_a, store_b, tenant_a):
    outlet = make_store(tenant_a, name="Outlet")
    _label(make_order(store_a), price="10.00")
    _label(make_order(store_a), carrier="USPS", price="4.50", at=NOW - dt.timedelta(days=1))
    _label(make_order(outlet), carrier="USPS", price="7.25")
    _label(make_order(store_a), price="3.00", state="voided")  # bought, then voided: apart
    _label(make_order(store_a), price="99.00", state="failed")  # never bought
    _label(make_order(store_a), price="99.00", state="uncertain")  # not known to be bought
    _label(make_order(store_a), price="99.00", at=NOW - dt.timedelta(days=31))  # before the 30 days
    _label(make_order(store_b), price="50.00")  # another tenant's

    spend = insights(tenant=tenant_a, now=NOW).spend
    assert [(s.currency, s.labels, s.amount, s.voided_labels, s.voided_amount) for s in spend.totals] == [
        ("USD", 3, Decimal("21.75"), 1, Decimal("3.00"))
    ]
    per_day = {s.key: (s.labels, s.amount) for s in spend.per_day}
    assert per_day == {NOW.date(): (2, Decimal("17.25")), NOW.date() - dt.timedelta(days=1): (1, Decimal("4.50"))}
    per_carrier = {s.key: (s.labels, s.amount, s.voided_labels) for s in spend.per_carrier}
    assert per_carrier == {"UPS": (1, Decimal("10.00"), 1), "USPS": (2, Decimal("11.75"), 0)}
    per_store = {s.key: (s.labels, s.amount) for s in spend.per_store}
    assert per_store == {store_a.pk: (2, Decimal("14.50")), outlet.pk: (1, Decimal("7.25"))}

    only_outlet = insights(tenant=tenant_a, store_id=outlet.pk, now=NOW).spend
    assert [(s.labels, s.amount) for s in only_outlet.totals] == [(1, Decimal("7.25"))]
    # The live scan reads the same spend.
    assert insights(tenant=tenant_a, now=NOW, live=True).spend == spend


def test_a_void_moves_a_label_out_of_the_spend(store_a, tenant_a):
    label = _label(make_order(store_a), price="12.00", at=timezone.now())
    assert [s.amount for s in insights(tenant=tenant_a).spend.totals] == [Decimal("12.00")]
    LabelPurchase.objects.filter(pk=label.pk).update(state="voided")
    totals = insights(tenant=tenant_a).spend.totals
    assert [(s.labels, s.amount, s.voided_labels, s.voided_amount) for s in totals] == [
        (0, Decimal("0"), 1, Decimal("12.00"))
    ]


def test_currencies_are_never_added_together(store_a, tenant_a):
    _label(make_order(store_a), price="10.00")
    _label(make_order(store_a), price="8.00", currency="CAD")
    totals = insights(tenant=tenant_a, now=NOW).spend.totals
    assert [(s.currency, s.amount) for s in totals] == [("CAD", Decimal("8.00")), ("USD", Decimal("10.00"))]
