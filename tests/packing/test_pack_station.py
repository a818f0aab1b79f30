"""Issue 32: the pack station's endpoints as its page calls them: a slip opens the order, each item scan ticks
one unit, a wrong item / an extra unit / an unknown code is refused with nothing ticked, the label is bought
with the order's preset once every line is packed (once: a repeated request buys nothing more), skipping
verification is a permission, and every scan is kept for the order's history and the day's counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from labels.models import LabelPurchase, PurchaseState
from orders.models import OrderStatus
from packing.models import PackSession, ScanEvent, ScanResult, SessionState
from packing.selectors import day_counts
from packing.services import pack_profile_set
from shipments.models import Shipment
from tests.portal.conftest import signed_in

from .conftest import Station, make_pack_order

pytestmark = pytest.mark.django_db


def results(order):
    return list(ScanEvent.objects.filter(order=order).values_list("result", flat=True))


def test_a_slip_then_every_item_buys_one_label_and_refuses_mistakes(alice, store_a, preset_a, carrier_sandbox):
    order = make_pack_order(store_a, number="P-1001", preset=preset_a)
    station = Station(signed_in(alice))

    status, opened = station.slip(" p-1001 ")  # typed, in lower case, with spaces
    assert status == 200 and opened["order"]["number"] == "P-1001" and opened["order"]["preset"] == "UPS Ground"
    lines = {line["sku"]: line for line in opened["lines"]}
    assert sorted(lines) == ["MUG-RED", "TEA-GREEN"]  # the coupon and the e-book are not packed
    assert lines["MUG-RED"]["to_pack"] == 2 and lines["TEA-GREEN"]["to_pack"] == 1
    mug, tea = lines["MUG-RED"]["id"], lines["TEA-GREEN"]["id"]

    status, answer = station.scan("MUG-RED")
    assert status == 200 and answer["result"] == "ok" and answer["packed"] == {mug: 1, tea: 0}
    # A wrong item (a product of the store, not on this order), an unknown code: refused, nothing ticked.
    from tests.factories import make_product

    make_product(store_a, sku="SPOON-9")
    status, answer = station.scan("SPOON-9")
    assert status == 409 and answer["result"] == "wrong_item" and "not on this order" in answer["message"]
    status, answer = station.scan("NO-SUCH-THING")
    assert status == 409 and answer["result"] == "unknown" and "Unknown code" in answer["message"]
    # The store's UPC ticks the mug's second unit; a third one is an extra unit.
    status, answer = station.scan("012345678905")
    assert status == 200 and answer["packed"] == {mug: 2, tea: 0} and not answer["complete"]
    status, answer = station.scan("mug-red")
    assert status == 409 and answer["result"] == "extra_unit"
    assert PackSession.objects.get().packed == {mug: 2}
    # The label cannot be bought before the last item.
    status, answer = station.label()
    assert status == 409 and LabelPurchase.objects.count() == 0

    status, answer = station.scan("TEA-GREEN")
    assert status == 200 and answer["complete"]
    status, bought = station.label()
    assert status == 200 and bought["result"] == "label" and bought["format"] == "pdf"
    purchase = LabelPurchase.objects.get()
    assert purchase.state == PurchaseState.BOUGHT and purchase.service == "ups_ground"
    assert bought["tracking_number"] == purchase.tracking_number
    # The same request again (a double Enter, a retry): the same label, nothing bought again.
    assert station.label()[0] == 200
    assert LabelPurchase.objects.count() == 1 and len(carrier_sandbox.labels_sold()) == 1
    assert Shipment.objects.filter(order=order).count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    document = station.client.get(bought["document"])
    assert document.status_code == 200 and document["Content-Type"] == "application/pdf"
    assert document["X-Frame-Options"] == "SAMEORIGIN"  # the page prints it from its own frame
    # The order cannot be packed again.
    status, answer = station.slip("P-1001")
    assert status == 409 and "already shipped" in answer["message"]

    assert results(order) == [
        ScanResult.SLIP,
        ScanResult.OK,
        ScanResult.WRONG_ITEM,
        ScanResult.UNKNOWN,
        ScanResult.OK,
        ScanResult.EXTRA_UNIT,
        ScanResult.OK,
        ScanResult.LABEL,
        ScanResult.SLIP_REFUSED,
    ]
    assert set(ScanEvent.objects.values_list("user_label", flat=True)) == {"alice"}
    page = station.client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    assert "At the pack station" in page and "Wrong item scanned: refused." in page and "NO-SUCH-THING" in page
    assert day_counts(tenant=order.tenant) == [{"user": "alice", "orders": 1, "skipped": 0, "verified": 1}]
    dashboard = station.client.get(reverse("portal:dashboard")).content.decode()
    assert "Packed today" in dashboard and "alice" in dashboard


def test_skipping_verification_is_a_permission_and_is_logged(alice, dave, tenant_a, store_a, preset_a, carrier_sandbox):
    one = make_pack_order(store_a, number="S-1", preset=preset_a)
    make_pack_order(store_a, number="S-2", preset=preset_a)
    station = Station(signed_in(dave))  # a member: no grant yet
    station.slip("S-1")
    status, answer = station.skip()
    assert status == 403 and answer["result"] == "skip_refused"
    assert not PackSession.objects.get(order=one).skipped and LabelPurchase.objects.count() == 0
    pack_profile_set(tenant=tenant_a, user=dave, may_skip=True)  # an owner grants it
    status, answer = station.skip()
    assert status == 200 and answer["complete"]
    assert station.label()[0] == 200
    assert results(one) == [ScanResult.SLIP, ScanResult.SKIP_REFUSED, ScanResult.SKIPPED, ScanResult.LABEL]
    assert ScanEvent.objects.get(order=one, result=ScanResult.SKIPPED).user == dave
    # An owner may skip by role.
    owner = Station(signed_in(alice))
    owner.slip("S-2")
    assert owner.skip()[0] == 200 and owner.label()[0] == 200
    assert LabelPurchase.objects.filter(state=PurchaseState.BOUGHT).count() == 2
    assert sorted((r["user"], r["skipped"]) for r in day_counts(tenant=tenant_a)) == [("alice", 1), ("dave", 1)]


def test_slips_that_cannot_be_packed_are_refused_loudly(alice, tenant_a, store_a, preset_a, carrier_sandbox):
    station = Station(signed_in(alice))
    status, answer = station.slip("NOPE-1")
    assert status == 404 and answer["refused"] and "No order numbered" in answer["message"]
    assert station.slip("")[0] == 400
    make_pack_order(store_a, number="H-1", preset=preset_a, status=OrderStatus.ON_HOLD)
    status, answer = station.slip("H-1")
    assert status == 409 and "on hold" in answer["message"]
    # Two stores, one number: told, never guessed.
    from tests.factories import make_store

    make_pack_order(store_a, number="TWIN", preset=preset_a)
    make_pack_order(make_store(tenant_a, name="Second"), number="TWIN", preset=preset_a)
    status, answer = station.slip("TWIN")
    assert status == 409 and len(answer["choices"]) == 2
    # No shipping preset: every item packed, the label refused with the reason, nothing bought.
    make_pack_order(store_a, number="NP-1")
    station.slip("NP-1")
    for code in ("MUG-RED", "MUG-RED", "TEA-GREEN"):
        assert station.scan(code)[0] == 200
    status, answer = station.label()
    assert status == 409 and "no shipping preset" in answer["message"] and LabelPurchase.objects.count() == 0
    # A new slip leaves the open order; scanning into the left one is refused.
    left = station.session
    station.slip("H-1")  # refused: the open order stays open
    assert PackSession.objects.get(pk=left).state == SessionState.OPEN
    make_pack_order(store_a, number="NP-2")
    station.slip("NP-2")
    station.session = left
    assert PackSession.objects.get(pk=left).state == SessionState.ABANDONED
    assert station.scan("MUG-RED")[0] == 409


def test_another_slip_scanned_mid_order_is_named(alice, store_a, preset_a, carrier_sandbox):
    make_pack_order(store_a, number="M-1", preset=preset_a)
    make_pack_order(store_a, number="M-2", preset=preset_a)
    station = Station(signed_in(alice))
    station.slip("M-1")
    status, answer = station.scan("M-2")
    assert status == 409 and answer["result"] == "unknown" and "another order's slip" in answer["message"]


def test_a_product_barcode_ticks_its_line(alice, tenant_a, store_a, preset_a, carrier_sandbox):
    from orders.models import Product

    make_pack_order(store_a, number="B-1", preset=preset_a)
    tea = Product.objects.create(store=store_a, sku="TEA-GREEN", name="Green tea")
    client = signed_in(alice)
    client.post(reverse("portal:pack_barcodes"), {"product": tea.pk, "code": " 5012345678900 "})
    assert list(tea.barcodes.values_list("code", flat=True)) == ["5012345678900"]
    page = client.get(reverse("portal:pack_barcodes"), {"q": "5012345678900"}).content.decode()
    assert "TEA-GREEN" in page and "5012345678900" in page
    station = Station(client)
    station.slip("B-1")
    status, answer = station.scan("5012345678900")
    assert status == 200 and sum(answer["packed"].values()) == 1
    # One product per code in a store, and never another product's SKU.
    mug = Product.objects.create(store=store_a, sku="MUG-RED", name="Red mug")
    client.post(reverse("portal:pack_barcodes"), {"product": mug.pk, "code": "5012345678900"})
    client.post(reverse("portal:pack_barcodes"), {"product": mug.pk, "code": "TEA-GREEN"})
    assert mug.barcodes.count() == 0
    client.post(reverse("portal:pack_barcode_remove", args=[tea.barcodes.get().pk]))
    assert tea.barcodes.count() == 0


def test_station_settings_choose_zpl_and_grants_are_for_managers(alice, dave, tenant_a, store_a):
    from packing.selectors import profile_of

    member = signed_in(dave)
    member.post(reverse("portal:pack_settings"), {"label_format": "zpl"})
    assert profile_of(tenant=tenant_a, user=dave).label_format == "zpl"
    assert member.post(reverse("portal:pack_settings"), {"section": "grants", "may_skip": ["1"]}).status_code == 404
    assert not profile_of(tenant=tenant_a, user=dave).may_skip
    owner = signed_in(alice)
    dave_membership = dave.memberships.get(tenant=tenant_a)
    owner.post(reverse("portal:pack_settings"), {"section": "grants", "may_skip": [str(dave_membership.pk)]})
    assert profile_of(tenant=tenant_a, user=dave).may_skip
    assert "Who may skip verification" in owner.get(reverse("portal:pack_settings")).content.decode()
    assert member.post(reverse("portal:pack_settings"), {"label_format": "png"}).status_code == 302
    assert profile_of(tenant=tenant_a, user=dave).label_format == "zpl"


def test_a_zpl_station_gets_the_zpl_label(dave, tenant_a, store_a, preset_a, carrier_sandbox):
    make_pack_order(store_a, number="Z-1", preset=preset_a)
    pack_profile_set(tenant=tenant_a, user=dave, label_format="zpl")
    station = Station(signed_in(dave))
    station.slip("Z-1")
    for code in ("MUG-RED", "MUG-RED", "TEA-GREEN"):
        station.scan(code)
    status, bought = station.label()
    assert status == 200 and bought["format"] == "zpl" and bought["document"].endswith(".zpl")
    document = station.client.get(bought["document"])
    assert document.status_code == 200 and document["Content-Type"] == "application/zpl"
    assert b"^XA" in document.content
