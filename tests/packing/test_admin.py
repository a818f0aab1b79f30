"""Issue 32: the pack station in the operators' admin: a product's barcode added through packing.services (a
code another product has is refused with the service's words), the scans read only."""

import pytest
from django.urls import reverse

from packing.models import ProductBarcode, ScanEvent
from tests.factories import make_detailed_order, make_product, operator_sign_in

pytestmark = pytest.mark.django_db


def test_an_operator_adds_a_barcode_and_reads_the_scans(client, operator, store_a):
    order_a = make_detailed_order(store_a, number="A-100")
    operator_sign_in(client, operator)
    mug, cup = make_product(store_a, sku="MUG-1"), make_product(store_a, sku="CUP-1")
    add = reverse("admin:packing_productbarcode_add")
    assert client.post(add, {"product": mug.pk, "code": " 4006381333931 "}).status_code == 302
    assert list(mug.barcodes.values_list("code", flat=True)) == ["4006381333931"]
    refused = client.post(add, {"product": cup.pk, "code": "4006381333931"})
    assert refused.status_code == 200 and "belongs to product MUG-1" in refused.content.decode()
    assert cup.barcodes.count() == 0
    assert ProductBarcode.objects.count() == 1
    ScanEvent.objects.create(tenant=order_a.tenant, order=order_a, code="MUG-1", result="ok", user_label="alice")
    scans = client.get(reverse("admin:packing_scanevent_changelist"))
    assert scans.status_code == 200 and "MUG-1" in scans.content.decode()
    assert client.get(reverse("admin:packing_scanevent_add")).status_code == 403
