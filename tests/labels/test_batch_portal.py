"""The portal's label batches: from the order list's selection, the choice, the preview (the total, today's
spend against the limit, the orders that cannot be labelled) before paying, the confirmation (posted twice:
one batch), the result page per order, the merged labels, the packing slips in the same order; the daily
limit refused in words; another tenant's batch unreachable."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from labels.batches import batch_items
from labels.models import BatchState, LabelBatch, LabelPurchase, PurchaseState
from tests.factories import make_detailed_order
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db


def _preview(client, orders, **choice):
    ids = [o.pk for o in orders]
    form = client.post(reverse("portal:label_batch_new"), {"order_ids": ids})
    assert form.status_code == 200
    nonce = re.search(r'name="nonce" value="([^"]+)"', form.content.decode()).group(1)
    data = {"order_ids": ids, "nonce": nonce, "mode": "cheapest", "format": "pdf", **choice}
    answer = client.post(reverse("portal:label_batch_preview"), data)
    assert answer.status_code == 302, answer.content[:500]
    return LabelBatch.objects.get(), data


def test_preview_confirm_twice_results_document_and_slips(alice, tenant_a, store_a, accounts_a, carrier_sandbox):
    import pypdf

    client = signed_in(alice)
    orders = [make_detailed_order(store_a, number=f"P-{i}") for i in range(3)]
    shipped = make_detailed_order(store_a, number="P-S", status="shipped")
    listing = client.get(reverse("portal:order_list")).content.decode()
    assert reverse("portal:label_batch_new") in listing
    batch, data = _preview(client, [*orders, shipped])
    page = client.get(reverse("portal:label_batch", args=[batch.pk])).content.decode()
    assert f"{batch.total_price} USD" in page and "P-S" in page and "cannot be shipped" in page
    assert "no daily limit" in page and carrier_sandbox.labels_sold() == []
    # The same preview form posted again: the same batch.
    client.post(reverse("portal:label_batch_preview"), data)
    assert LabelBatch.objects.count() == 1

    confirm = reverse("portal:label_batch_confirm", args=[batch.pk])
    client.post(confirm)
    client.post(confirm)  # a double click: one batch, one label an order
    batch.refresh_from_db()
    assert batch.state == BatchState.DONE and len(carrier_sandbox.labels_sold()) == 3
    assert LabelPurchase.objects.filter(state=PurchaseState.BOUGHT).count() == 3
    page = client.get(reverse("portal:label_batch", args=[batch.pk])).content.decode()
    for purchase in LabelPurchase.objects.all():
        assert purchase.tracking_number in page and f"{purchase.price} USD" in page
    status = client.get(reverse("portal:label_batch_status", args=[batch.pk])).json()
    assert status["finished"] and status["counts"]["bought"] == 3 and status["counts"]["skipped"] == 1
    document = client.get(reverse("portal:label_batch_document", args=[batch.pk]))
    assert document["Content-Type"] == "application/pdf"
    assert len(pypdf.PdfReader(io.BytesIO(document.content)).pages) == 3
    slips = client.post(reverse("portal:label_batch_slips", args=[batch.pk]))
    assert slips.status_code == 302 and "/print-jobs/" in slips["Location"]
    from shipments.models import PrintJob

    labelled = [i.order_id for i in batch_items(batch) if i.purchase_id]
    assert PrintJob.objects.get().order_ids == labelled and len(labelled) == 3  # the labels' order


def test_the_daily_limit_is_shown_and_refuses(alice, tenant_a, store_a, accounts_a, carrier_sandbox):
    client = signed_in(alice)
    tenant_a.daily_label_limit = Decimal("5.00")
    tenant_a.save(update_fields=["daily_label_limit"])
    batch, _data = _preview(client, [make_detailed_order(store_a) for _ in range(2)])
    page = client.get(reverse("portal:label_batch", args=[batch.pk])).content.decode()
    assert "of your daily limit of 5.00 USD" in page and "over your daily limit" in page
    assert 'id="label-batch-confirm"' not in page
    answer = client.post(reverse("portal:label_batch_confirm", args=[batch.pk]), follow=True)
    assert "Refused before anything was bought" in answer.content.decode()
    assert carrier_sandbox.labels_sold() == [] and LabelBatch.objects.get().state == BatchState.PREVIEW


def test_another_tenants_batch_is_unreachable(alice, charlie, tenant_a, store_a, accounts_a, carrier_sandbox):
    batch, _data = _preview(signed_in(alice), [make_detailed_order(store_a)])
    outsider = signed_in(charlie)
    for name in ("label_batch", "label_batch_status", "label_batch_document"):
        assert outsider.get(reverse(f"portal:{name}", args=[batch.pk])).status_code == 404
    for name in ("label_batch_confirm", "label_batch_slips"):
        assert outsider.post(reverse(f"portal:{name}", args=[batch.pk])).status_code == 404
    assert carrier_sandbox.labels_sold() == []
