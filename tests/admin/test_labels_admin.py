"""Labels in the operators' admin, read only (labels/admin.py): purchases, batches with their orders, manifests.
An operator reads them; nobody adds, changes or deletes one there; a tenant's user is sent to the sign-in."""

import datetime as dt

import pytest

from labels.models import LabelBatch, LabelBatchItem, LabelPurchase, Manifest
from tests.factories import make_order, operator_sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def labels(store_a):
    order = make_order(store_a, number="A-501")
    purchase = LabelPurchase.objects.create(
        tenant=store_a.tenant,
        order=order,
        carrier="USPS",
        service="usps_ground_advantage",
        price="5.10",
        currency="USD",
        state="uncertain",
        reference="A-501-L1",
        tracking_number="9400100000000000000501",
    )
    batch = LabelBatch.objects.create(tenant=store_a.tenant, key="nonce-1", mode="cheapest", state="done")
    LabelBatchItem.objects.create(batch=batch, position=0, order=order, carrier="USPS", purchase=purchase)
    manifest = Manifest.objects.create(
        tenant=store_a.tenant,
        carrier="USPS",
        ship_date=dt.date(2026, 12, 7),
        state="made",
        label_count=1,
        carrier_number="9275000000000000000501",
        document=b"%PDF-1.4 (a SCAN form)",
    )
    return {"labelpurchase": purchase, "labelbatch": batch, "manifest": manifest}


@pytest.mark.parametrize("model", ["labelpurchase", "labelbatch", "manifest"])
def test_an_operator_reads_each_and_changes_none(client, operator, labels, model):
    operator_sign_in(client, operator)
    obj = labels[model]
    listing = client.get(f"/admin/labels/{model}/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert f"/admin/labels/{model}/{obj.pk}/change/" in page and f"/admin/labels/{model}/add/" not in page
    detail = client.get(f"/admin/labels/{model}/{obj.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert client.get(f"/admin/labels/{model}/add/").status_code == 403
    assert client.post(f"/admin/labels/{model}/{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_an_uncertain_purchase_is_found_by_state_and_tracking_number(client, operator, labels):
    operator_sign_in(client, operator)
    page = client.get("/admin/labels/labelpurchase/", {"state__exact": "uncertain"}).content.decode()
    assert "A-501" in page
    page = client.get("/admin/labels/labelpurchase/", {"q": "9400100000000000000501"}).content.decode()
    assert "A-501" in page
    assert "A-501" in client.get(f"/admin/labels/labelbatch/{labels['labelbatch'].pk}/change/").content.decode()


@pytest.mark.parametrize("model", ["labelpurchase", "labelbatch", "manifest"])
def test_a_tenants_user_is_sent_to_the_sign_in(client, alice, labels, model):
    client.force_login(alice)
    for url in (f"/admin/labels/{model}/", f"/admin/labels/{model}/{labels[model].pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
