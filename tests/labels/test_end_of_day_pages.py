"""End of day in the portal and the API: the waiting labels, a confirmation before the manifest is made, its
PDF, a carrier without a manifest call, release of an uncertain one (a confirmation); the ship date shown
before a label is bought; outsiders get 404 and viewers / read-only keys cannot make one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from labels.models import Manifest, ManifestState
from tests.api.conftest import api_a_read  # noqa: F401 - the read-only key's client
from tests.factories import make_detailed_order
from tests.portal.conftest import signed_in

from .test_end_of_day import buy, pdf_text

pytestmark = pytest.mark.django_db


def _group(purchase) -> dict:
    return {"ship_from": purchase.ship_from_id, "carrier": purchase.carrier, "date": purchase.ship_date.isoformat()}


def _confirm(purchase) -> str:
    group = _group(purchase)
    return reverse("portal:end_of_day_confirm", args=[group["ship_from"], group["carrier"], group["date"]])


def test_the_portal_makes_the_days_manifest_after_a_confirmation(alice, accounts_a, store_a, carrier_sandbox):
    client = signed_in(alice)
    bought = buy(store_a, accounts_a["USPS"], n=3)
    [ups] = buy(store_a, accounts_a["UPS"], "ups_ground")
    page = client.get(reverse("portal:end_of_day")).content.decode()
    assert "UPS has no manifest: the driver scans each label." in page
    confirm_url = _confirm(bought[0])
    assert confirm_url in page
    question = client.get(confirm_url).content.decode()
    assert "one manifest of 3 labels" in question and all(p.tracking_number in question for p in bought)
    assert Manifest.objects.count() == 0 and carrier_sandbox.truth_dict()["manifests"] == []  # GET only asks
    made = client.post(reverse("portal:end_of_day_make"), _group(bought[0]))
    assert made.status_code == 302
    manifest = Manifest.objects.get()
    assert manifest.state == ManifestState.MADE and manifest.label_count == 3
    page = client.get(reverse("portal:end_of_day")).content.decode()
    assert manifest.carrier_number in page and reverse("portal:manifest_document", args=[manifest.pk]) in page
    pdf = client.get(reverse("portal:manifest_document", args=[manifest.pk]))
    assert pdf["Content-Type"] == "application/pdf" and all(p.tracking_number in pdf_text(pdf.content) for p in bought)
    again = client.post(reverse("portal:end_of_day_make"), _group(bought[0]), follow=True).content.decode()
    assert "No label is waiting" in again and Manifest.objects.count() == 1
    refused = client.post(reverse("portal:end_of_day_make"), _group(ups), follow=True).content.decode()
    assert "UPS has no manifest call" in refused and Manifest.objects.count() == 1


def test_an_uncertain_manifest_is_released_after_a_confirmation(alice, accounts_a, store_a, carrier_sandbox):
    client = signed_in(alice)
    [purchase] = buy(store_a, accounts_a["USPS"])
    carrier_sandbox.set_faults("manifest", "usps", status=503, error_rate=1.0)
    client.post(reverse("portal:end_of_day_make"), _group(purchase))
    manifest = Manifest.objects.get()
    assert manifest.state == ManifestState.UNCERTAIN
    url = reverse("portal:manifest_release", args=[manifest.pk])
    assert url in client.get(reverse("portal:end_of_day")).content.decode()
    assert "Check with the carrier first" in client.get(url).content.decode()
    client.post(url)
    manifest.refresh_from_db()
    purchase.refresh_from_db()
    assert manifest.state == ManifestState.RELEASED and purchase.manifest is None


def test_the_ship_date_is_shown_before_the_label_is_bought(alice, accounts_a, store_a, carrier_sandbox):
    from labels.ship_dates import label_ship_date

    client = signed_in(alice)
    order = make_detailed_order(store_a)
    account = accounts_a["USPS"]
    page = client.post(
        reverse("portal:order_label_confirm", args=[order.pk]), {"rate": f"{account.pk}:usps_ground_advantage"}
    ).content.decode()
    day = label_ship_date(order, account).date
    assert "Ship date:" in page and f"{day.day} {day:%B} {day.year}" in page


def test_outsiders_and_viewers(alice, bob, charlie, accounts_a, store_a, carrier_sandbox):
    [purchase] = buy(store_a, accounts_a["USPS"])
    outsider, viewer = signed_in(charlie), signed_in(bob)
    page = outsider.get(reverse("portal:end_of_day")).content.decode()
    assert "Dock" not in page and purchase.tracking_number not in page
    assert outsider.get(_confirm(purchase)).status_code == 404
    assert viewer.get(_confirm(purchase)).status_code == 403
    assert outsider.post(reverse("portal:end_of_day_make"), _group(purchase)).status_code == 404
    assert viewer.post(reverse("portal:end_of_day_make"), _group(purchase)).status_code == 403
    viewer_page = viewer.get(reverse("portal:end_of_day")).content.decode()
    assert "Dock" in viewer_page and "Make the manifest" not in viewer_page  # viewers read, never make
    assert Manifest.objects.count() == 0 and carrier_sandbox.truth_dict()["manifests"] == []


def test_the_api_makes_lists_and_serves_the_manifest(api_a, api_b, api_a_read, accounts_a, store_a, carrier_sandbox):  # noqa: F811
    bought = buy(store_a, accounts_a["USPS"], n=2)
    body = {"ship_from": bought[0].ship_from_id, "carrier": "USPS", "ship_date": bought[0].ship_date.isoformat()}
    [waiting] = api_a.get("/api/v1/manifests/waiting/").json()
    assert (waiting["ship_from_name"], waiting["carrier"], waiting["labels"], waiting["has_manifest"]) == (
        "Dock",
        "USPS",
        2,
        True,
    )
    assert api_b.get("/api/v1/manifests/waiting/").json() == []
    assert api_b.post("/api/v1/manifests/", body, format="json").status_code == 400  # not their ship-from
    assert api_a_read.post("/api/v1/manifests/", body, format="json").status_code == 403
    made = api_a.post("/api/v1/manifests/", body, format="json")
    assert made.status_code == 201, made.content
    manifest = made.json()
    assert manifest["state"] == "made" and manifest["label_count"] == 2 and manifest["has_document"] is True
    assert sorted(manifest["tracking_numbers"]) == sorted(p.tracking_number for p in bought)
    again = api_a.post("/api/v1/manifests/", body, format="json", HTTP_IDEMPOTENCY_KEY="eod-1")
    assert again.status_code == 400 and "No label is waiting" in again.content.decode()
    pdf = api_a.get(f"/api/v1/manifests/{manifest['id']}/document/")
    assert pdf["Content-Type"] == "application/pdf" and bought[0].tracking_number in pdf_text(pdf.content)
    assert [m["id"] for m in api_a.get("/api/v1/manifests/").json()["results"]] == [manifest["id"]]
    purchase = api_a.get(f"/api/v1/shipments/{bought[0].shipment_id}/").json()
    assert purchase["ship_date"] == bought[0].ship_date.isoformat()
    for path in ("", "document/"):
        assert api_b.get(f"/api/v1/manifests/{manifest['id']}/{path}").status_code == 404
    assert api_b.post(f"/api/v1/manifests/{manifest['id']}/release/").status_code == 404
    assert api_b.get("/api/v1/manifests/").json()["results"] == []
    no_call = api_a.post("/api/v1/manifests/", {**body, "carrier": "FedEx"}, format="json")
    assert no_call.status_code == 400 and "FedEx has no manifest call" in no_call.content.decode()
