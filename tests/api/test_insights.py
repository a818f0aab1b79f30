"""Issue 17 item 6: the picture of the day through the API, /api/v1/insights/ (tenant-scoped)."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import make_order, make_shipment


def _earlier_today() -> dt.datetime:
    """An hour ago, or midnight when the day is younger than that: 'today' whatever the hour CI runs at."""
    now = timezone.localtime()
    return max(now - dt.timedelta(hours=1), now.replace(hour=0, minute=0, second=0, microsecond=0))


def test_insights_give_the_dashboards_figures(api_a, store_a, store_b):
    make_order(store_a, order_date=_earlier_today())
    make_order(store_a, order_date=timezone.now() - dt.timedelta(days=5))
    shipped = make_order(store_a, order_date=timezone.now() - dt.timedelta(hours=3))
    make_shipment(shipped)
    make_order(store_b, order_date=timezone.now() - dt.timedelta(hours=1))  # another tenant's
    response = api_a.get("/api/v1/insights/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["store"] is None
    assert len(body["days"]) == 30 and body["days"][-1]["day"] == body["today"]
    assert sum(d["received"] for d in body["days"]) == 3
    assert sum(d["shipped"] for d in body["days"]) == 1
    assert body["waiting"] == {"today": 1, "one_to_two_days": 0, "three_days_or_more": 1, "total": 2}
    assert len(body["weeks"]) == 8
    assert body["weeks"][-1]["orders"] == 1 and body["weeks"][-1]["median_hours"] is not None


def test_insights_of_one_store(api_a, store_a, tenant_a):
    from tests.factories import make_store

    other = make_store(tenant_a, name="Outlet")
    make_order(store_a)
    make_order(other)
    body = api_a.get(f"/api/v1/insights/?store={other.pk}").json()
    assert body["store"] == other.pk and body["waiting"]["total"] == 1


def test_outsider_cannot_read_another_tenants_store(api_b, store_a):
    make_order(store_a)
    response = api_b.get(f"/api/v1/insights/?store={store_a.pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert api_b.get("/api/v1/insights/?store=abc").status_code == 404
    # Without a store, the outsider sees its own (empty) tenant only.
    assert api_b.get("/api/v1/insights/").json()["waiting"]["total"] == 0


def test_insights_need_credentials(client, db):
    assert client.get("/api/v1/insights/").status_code == 401


def test_insights_are_in_the_schema(client, db):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/insights/"]["get"]
    assert operation["summary"] == "Read the picture of the day"
    assert "Insights" in schema["components"]["schemas"]


@pytest.mark.parametrize("value", ["²", "٣", "1" * 40, "-1", " 1"])
def test_an_unreadable_store_filter_is_not_found_not_a_500(api_a, store_a, value):
    assert api_a.get("/api/v1/insights/", {"store": value}).status_code == 404


def test_label_spend_per_day_carrier_and_store(api_a, api_b, store_a):
    """Issue 29 part 8: label spend in the API, one tenant's only; voided labels apart."""
    from labels.models import LabelPurchase

    for price, state, carrier in (("9.42", "bought", "USPS"), ("5.00", "voided", "UPS"), ("20.00", "failed", "UPS")):
        order = make_order(store_a)
        LabelPurchase.objects.create(
            tenant=store_a.tenant, order=order, carrier=carrier, service="s", price=price, currency="USD", state=state
        )
    spend = api_a.get("/api/v1/insights/").json()["label_spend"]
    assert spend["total"] == [
        {"currency": "USD", "labels": 1, "amount": "9.42", "voided_labels": 1, "voided_amount": "5.00"}
    ]
    assert [(d["day"], d["amount"]) for d in spend["per_day"]] == [(timezone.localdate().isoformat(), "9.42")]
    assert {c["carrier"]: (c["labels"], c["voided_labels"]) for c in spend["per_carrier"]} == {
        "UPS": (0, 1),
        "USPS": (1, 0),
    }
    assert [(s["store"], s["amount"]) for s in spend["per_store"]] == [(store_a.pk, "9.42")]
    assert api_b.get("/api/v1/insights/").json()["label_spend"] == {
        "total": [],
        "per_day": [],
        "per_carrier": [],
        "per_store": [],
    }
    schema = api_a.get("/api/schema/?format=json").json()
    assert "label_spend" in schema["components"]["schemas"]["Insights"]["properties"]
