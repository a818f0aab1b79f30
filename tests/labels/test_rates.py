"""Issue 29 part 3: rates from every label account at once, cheapest first; a failing carrier's words beside
the others' rates; what the parcel lacks named instead of calling anyone; the mapped method preselected."""

from __future__ import annotations

import pytest

from labels.rates import rates_for, service_name
from shipments.method_mapping import shipping_method_mapping_set
from tests.factories import make_detailed_order

pytestmark = pytest.mark.django_db


def test_every_carrier_s_rates_cheapest_first(accounts_a, store_a, carrier_sandbox):
    order = make_detailed_order(store_a, number="A-1")
    answer = rates_for(order)
    assert answer.errors == [] and answer.problems == []
    assert {r.carrier for r in answer.rates} == {"UPS", "USPS", "FedEx"} and len(answer.rates) == 9
    prices = [r.price for r in answer.rates]
    assert prices == sorted(prices)
    assert all(r.currency == "USD" and r.delivery_days >= 1 for r in answer.rates)
    assert {r.account_id for r in answer.rates} == {a.pk for a in accounts_a.values()}
    assert carrier_sandbox.rate_requests() == 3  # one request each, asked at once
    assert service_name("ups_2nd_day_air") == "UPS 2nd Day Air"


def test_a_failing_carrier_shows_its_own_error_and_the_rest_still_show(accounts_a, store_a, carrier_sandbox):
    carrier_sandbox.set_faults("rate", "fedex", error_rate=1.0)
    answer = rates_for(make_detailed_order(store_a))
    assert {r.carrier for r in answer.rates} == {"UPS", "USPS"}
    [(carrier, words)] = answer.errors
    assert carrier == "FedEx" and "busy" in words


def test_what_the_parcel_lacks_is_named_and_nobody_is_called(accounts_a, store_a, carrier_sandbox):
    order = make_detailed_order(store_a)
    order.lines.filter(sku="MUG-RED").update(unit_weight=None)
    answer = rates_for(order)
    assert answer.rates == [] and answer.problems == ["no weight for 1 of 1 line: MUG-RED"]
    assert carrier_sandbox.rate_requests() == 0


def test_no_label_account(store_a):
    assert rates_for(make_detailed_order(store_a)).no_accounts


def test_the_requested_method_s_mapping_is_preselected(accounts_a, store_a):
    order = make_detailed_order(store_a)  # requested "USPS Priority"
    assert rates_for(order).preselected is None
    shipping_method_mapping_set(
        store=store_a, requested_method="USPS Priority", carrier="USPS", service="usps_priority_mail"
    )
    chosen = rates_for(order).preselected
    assert (chosen.carrier, chosen.service) == ("USPS", "usps_priority_mail")
    assert [r for r in rates_for(order).rates if r.preselected] == [chosen]
