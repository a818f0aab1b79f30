"""Issue 29 part 5 (label batches) and part 8's daily spend limit, against the carrier sandbox over loopback:
the preview before any money is spent, one confirmation, the labels bought through label_buy, the merged
document, a resubmitted batch, the limit. Tasks run inline here (Q_SYNC); the real cluster is in
test_batch_acceptance.py."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from labels.batches import (
    batch_items,
    batch_progress,
    item_outcome,
    label_batch_confirm,
    label_batch_document,
    label_batch_preview,
    label_batches_sweep,
)
from labels.models import BatchMode, BatchState, LabelPurchase, PurchaseState
from labels.selectors import spend_today
from labels.services import SpendLimitReached, label_buy
from orders.models import OrderStatus, ShippingPreset
from tests.factories import make_detailed_order

pytestmark = pytest.mark.django_db


def _orders(store, n, prefix="B"):
    return [make_detailed_order(store, number=f"{prefix}-{i}") for i in range(n)]


def _preview(tenant, orders, mode=BatchMode.CHEAPEST, key="k1", **kwargs):
    return label_batch_preview(tenant=tenant, orders=orders, mode=mode, key=key, created_by_label="test", **kwargs)


def test_preview_names_the_cheapest_rate_and_every_order_that_cannot_be_labelled(
    tenant_a, store_a, accounts_a, carrier_sandbox
):
    good = _orders(store_a, 3)
    shipped = make_detailed_order(store_a, number="B-S", status=OrderStatus.SHIPPED)
    no_weight = make_detailed_order(store_a, number="B-W", total_weight=None)
    no_weight.lines.update(unit_weight=None)
    batch = _preview(tenant_a, [*good, shipped, no_weight])
    assert batch.state == BatchState.PREVIEW
    items = list(batch_items(batch))
    assert [i.order.number for i in items] == ["B-0", "B-1", "B-2", "B-S", "B-W"]
    for item in items[:3]:
        assert item.price is not None and item.problem == "" and item_outcome(item) == "pending"
    assert "cannot be shipped" in items[3].problem
    assert "weight" in items[4].problem
    assert batch.total_price == sum(i.price for i in items[:3])
    assert carrier_sandbox.labels_sold() == []  # a preview buys nothing
    # The cheapest of every carrier's rates: no cheaper one exists for the same order.
    from labels.rates import rates_for

    assert items[0].price == rates_for(good[0]).rates[0].price


def test_confirm_buys_each_label_once_and_merges_them(tenant_a, store_a, accounts_a, carrier_sandbox):
    import pypdf

    orders = _orders(store_a, 4)
    batch = _preview(tenant_a, orders)
    label_batch_confirm(batch=batch)
    batch.refresh_from_db()
    assert batch.state == BatchState.DONE
    sold = carrier_sandbox.labels_sold()
    assert len(sold) == 4
    bought = LabelPurchase.objects.filter(state=PurchaseState.BOUGHT)
    assert {p.tracking_number for p in bought} == {s.tracking_number for s in sold}
    assert batch_progress(batch)["counts"]["bought"] == 4 and batch_progress(batch)["percent"] == 100
    document, count = label_batch_document(batch)
    pages = pypdf.PdfReader(io.BytesIO(document)).pages
    assert count == 4 and len(pages) == 4
    numbers = [item.purchase.tracking_number for item in batch_items(batch)]
    for page, number in zip(pages, numbers, strict=True):  # in the batch's order, one label a page
        if number.startswith("1Z"):  # UPS's label is an image: its number is not text
            continue
        assert number in page.extract_text()

    # The same confirmation again, and the same preview key again: the same batch, nothing more bought.
    assert label_batch_confirm(batch=batch).pk == batch.pk
    assert _preview(tenant_a, orders).pk == batch.pk
    assert len(carrier_sandbox.labels_sold()) == 4


def test_a_batch_resubmitted_under_a_new_key_buys_nothing_twice(tenant_a, store_a, accounts_a, carrier_sandbox):
    orders = _orders(store_a, 3)
    label_batch_confirm(batch=_preview(tenant_a, orders, key="first"))
    again = _preview(tenant_a, orders, key="second")
    assert all("already has a label" in i.problem for i in batch_items(again))
    with pytest.raises(ValidationError):
        label_batch_confirm(batch=again)
    assert len(carrier_sandbox.labels_sold()) == 3


def test_zpl_batch_is_one_file(tenant_a, store_a, accounts_a, carrier_sandbox):
    batch = _preview(tenant_a, _orders(store_a, 2), label_format="zpl")
    label_batch_confirm(batch=batch)
    document, count = label_batch_document(batch)
    assert count == 2 and document.count(b"^XA") == 2


def test_one_preset_for_all_and_each_orders_preset(tenant_a, store_a, accounts_a, carrier_sandbox):
    usps = ShippingPreset.objects.create(
        tenant=tenant_a, name="Ground", carrier_account=accounts_a["USPS"], service="usps_ground_advantage"
    )
    orders = _orders(store_a, 2)
    batch = _preview(tenant_a, orders, mode=BatchMode.PRESET, preset=usps)
    assert {(i.carrier, i.service) for i in batch_items(batch)} == {("USPS", "usps_ground_advantage")}

    fedex = ShippingPreset.objects.create(
        tenant=tenant_a, name="Fast", carrier_account=accounts_a["FedEx"], service="fedex_ground"
    )
    orders[0].shipping_preset = fedex
    orders[0].save(update_fields=["shipping_preset"])
    each = _preview(tenant_a, orders, mode=BatchMode.ORDER_PRESET, key="k2")
    first, second = batch_items(each)
    assert (first.carrier, first.service) == ("FedEx", "fedex_ground")
    assert second.problem == "This order has no shipping preset." and second.price is None


def test_the_daily_limit_refuses_a_batch_before_anything_is_bought(tenant_a, store_a, accounts_a, carrier_sandbox):
    orders = _orders(store_a, 3)
    batch = _preview(tenant_a, orders)
    tenant_a.daily_label_limit = batch.total_price - Decimal("0.01")
    tenant_a.save(update_fields=["daily_label_limit"])
    with pytest.raises(SpendLimitReached) as refused:
        label_batch_confirm(batch=batch)
    assert "daily limit" in refused.value.messages[0]
    batch.refresh_from_db()
    assert batch.state == BatchState.PREVIEW and carrier_sandbox.labels_sold() == []

    tenant_a.daily_label_limit = batch.total_price
    tenant_a.save(update_fields=["daily_label_limit"])
    label_batch_confirm(batch=batch)
    assert len(carrier_sandbox.labels_sold()) == 3
    assert spend_today(tenant=tenant_a) == sum(p.price for p in LabelPurchase.objects.all())

    # A single label now: over the limit, refused with the words, nothing bought.
    with pytest.raises(SpendLimitReached):
        label_buy(order=make_detailed_order(store_a), account=accounts_a["USPS"], service="usps_ground_advantage")
    assert len(carrier_sandbox.labels_sold()) == 3


def test_the_sweep_requeues_a_batch_whose_worker_vanished(tenant_a, store_a, accounts_a, carrier_sandbox, settings):
    import datetime as dt

    from django.utils import timezone

    from labels.models import LabelBatch

    batch = _preview(tenant_a, _orders(store_a, 2))
    # Confirmed, but its task was lost: nothing leased, queued long ago.
    LabelBatch.objects.filter(pk=batch.pk).update(
        state=BatchState.BUYING, queued_at=timezone.now() - dt.timedelta(hours=1)
    )
    queued = []
    assert label_batches_sweep(enqueue=queued.append) == {"resumed": 1, "finished": 0}
    assert label_batches_sweep(enqueue=queued.append) == {"resumed": 0, "finished": 0}  # queued once
    assert queued == [batch.pk]


def test_an_operator_sets_the_daily_limit_in_the_admin(client, operator, tenant_a):
    from django.urls import reverse

    from tests.factories import operator_sign_in

    operator_sign_in(client, operator)
    url = reverse("admin:stores_tenant_change", args=[tenant_a.pk])
    page = client.get(url).content.decode()
    assert "daily_label_limit" in page
    answer = client.post(
        url,
        {
            "name": tenant_a.name,
            "slug": tenant_a.slug,
            "is_active": "on",
            "daily_label_limit": "150.00",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    tenant_a.refresh_from_db()
    assert tenant_a.daily_label_limit == Decimal("150.00")
