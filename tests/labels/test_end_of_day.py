"""Issue 33 part 2: end of day. A ship-from's USPS labels of the day on one SCAN form made through karrio's
Manifest.create against the carrier sandbox (its PDF listing every number), voided labels never, a label on
a manifest never on a second, a label bought after it on the next one; a refusal lets the labels go; no
answer leaves them on the uncertain manifest until a person releases them; UPS and FedEx say they have no
manifest call. The acceptance (200 labels, 3 voided) runs at full size under `-m slow`, at 20 by default."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError

from labels.endofday.selectors import pending_labels, waiting
from labels.endofday.services import manifest_create, manifest_release
from labels.models import LabelPurchase, Manifest, ManifestState, PurchaseState
from labels.services import label_buy, label_void
from tests.factories import make_detailed_order

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    import pypdf

    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def buy(store, account, service="usps_ground_advantage", n=1):
    bought = []
    for _ in range(n):
        purchase = label_buy(
            order=make_detailed_order(store), account=account, service=service, price=5, currency="USD"
        )
        assert purchase.state == PurchaseState.BOUGHT, purchase.error
        bought.append(purchase)
    return bought


def end_of_day(tenant, purchase):
    return manifest_create(
        tenant=tenant, ship_from=purchase.ship_from, carrier=purchase.carrier, ship_date=purchase.ship_date
    )


@pytest.mark.parametrize(
    "size", [20, pytest.param(200, marks=(pytest.mark.slow, pytest.mark.exhaustive))], ids=lambda n: f"{n}-labels"
)
def test_end_of_day_for_usps_labels_with_three_voided(accounts_a, tenant_a, store_a, carrier_sandbox, size):
    usps = accounts_a["USPS"]
    bought = buy(store_a, usps, n=size)
    for purchase in bought[:3]:
        label_void(purchase=purchase)
    kept = [p.tracking_number for p in bought[3:]]
    [group] = waiting(tenant=tenant_a)
    assert (group.carrier, group.count, group.has_manifest) == ("USPS", size - 3, True)

    manifest = end_of_day(tenant_a, bought[0])
    assert manifest.state == ManifestState.MADE, manifest.error
    assert manifest.label_count == size - 3 and sorted(manifest.tracking_numbers) == sorted(kept)
    text = pdf_text(bytes(manifest.document))
    assert "SCAN form" in text and all(number in text for number in kept)
    assert not any(p.tracking_number in text for p in bought[:3])
    assert LabelPurchase.objects.filter(manifest=manifest).count() == size - 3

    # A second end of day lists nothing: every label is on the first.
    with pytest.raises(ValidationError, match="No label is waiting"):
        end_of_day(tenant_a, bought[0])
    assert waiting(tenant=tenant_a) == []

    truth = carrier_sandbox.truth_dict()
    [made] = truth["manifests"]
    assert made["number"] == manifest.carrier_number and sorted(made["tracking_numbers"]) == sorted(kept)
    assert made["mailing_date"] == bought[0].ship_date.isoformat()
    on_form = {label["tracking_number"] for label in truth["labels"] if label["manifest"] == manifest.carrier_number}
    assert on_form == set(kept)
    assert Manifest.objects.count() == 1


def test_a_label_bought_after_the_manifest_goes_on_the_next_one(accounts_a, tenant_a, store_a, carrier_sandbox):
    first_labels = buy(store_a, accounts_a["USPS"], n=2)
    first = end_of_day(tenant_a, first_labels[0])
    [late] = buy(store_a, accounts_a["USPS"])
    assert list(
        pending_labels(tenant=tenant_a, ship_from=late.ship_from, carrier="USPS", ship_date=late.ship_date)
    ) == [late]
    second = end_of_day(tenant_a, late)
    assert second.state == ManifestState.MADE and second.tracking_numbers == [late.tracking_number]
    assert sorted(first.tracking_numbers) == sorted(p.tracking_number for p in first_labels)
    assert [len(m["tracking_numbers"]) for m in carrier_sandbox.truth_dict()["manifests"]] == [2, 1]


@pytest.mark.parametrize("carrier,service", [("UPS", "ups_ground"), ("FedEx", "fedex_ground")])
def test_a_carrier_without_a_manifest_call_says_so(accounts_a, tenant_a, store_a, carrier_sandbox, carrier, service):
    [purchase] = buy(store_a, accounts_a[carrier], service)
    [group] = waiting(tenant=tenant_a)
    assert group.carrier == carrier and not group.has_manifest
    with pytest.raises(ValidationError, match="has no manifest call"):
        end_of_day(tenant_a, purchase)
    assert Manifest.objects.count() == 0 and carrier_sandbox.truth_dict()["manifests"] == []


def test_a_refusal_lets_the_labels_go_to_the_next_end_of_day(accounts_a, tenant_a, store_a, carrier_sandbox):
    elsewhere, purchase = buy(store_a, accounts_a["USPS"], n=2)
    # The merchant put one label on a SCAN form with USPS's own tools: the carrier refuses ours.
    carrier_sandbox.truth.manifest("usps", "9275-OTHER", [elsewhere.tracking_number])
    refused = end_of_day(tenant_a, purchase)
    assert refused.state == ManifestState.FAILED
    assert "refused" in refused.error and elsewhere.tracking_number in refused.error
    assert LabelPurchase.objects.filter(manifest__isnull=False).count() == 0  # both wait again
    label_void(purchase=elsewhere)
    made = end_of_day(tenant_a, purchase)
    assert made.state == ManifestState.MADE and made.tracking_numbers == [purchase.tracking_number]


def test_no_answer_keeps_the_labels_on_the_uncertain_manifest_until_released(
    accounts_a, tenant_a, store_a, carrier_sandbox
):
    [purchase] = buy(store_a, accounts_a["USPS"])
    carrier_sandbox.set_faults("manifest", "usps", lose_rate=1.0)  # made at the carrier, the answer dropped
    lost = end_of_day(tenant_a, purchase)
    assert lost.state == ManifestState.UNCERTAIN and "check with" in lost.error
    with pytest.raises(ValidationError, match="No label is waiting"):
        end_of_day(tenant_a, purchase)  # never sent again by itself
    assert len(carrier_sandbox.truth_dict()["manifests"]) == 1
    carrier_sandbox.set_faults("manifest", "usps")
    manifest_release(manifest=lost, actor="test")
    lost.refresh_from_db()
    assert lost.state == ManifestState.RELEASED
    # Released after a person checked; the carrier, which made the first, refuses the label on a second.
    again = end_of_day(tenant_a, purchase)
    assert again.state == ManifestState.FAILED and "already on a SCAN form" in again.error


def test_another_tenants_ship_from_is_refused(accounts_a, tenant_a, tenant_b, store_a, carrier_sandbox):
    from carriers.services import ship_from_create

    [purchase] = buy(store_a, accounts_a["USPS"])
    other = ship_from_create(tenant=tenant_b, name="B dock", street1="1 B St", city="Austin", postal_code="78701")
    with pytest.raises(ValidationError):
        manifest_create(tenant=tenant_a, ship_from=other, carrier="USPS", ship_date=purchase.ship_date)
    assert waiting(tenant=tenant_b) == []
