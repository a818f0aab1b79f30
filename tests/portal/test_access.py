"""Every portal URL: charlie (another tenant) gets 404; every write: bob (viewer) cannot."""

import re

import pytest
from django.urls import reverse

from api.services import api_key_create
from carriers.services import carrier_account_create, package_preset_create, ship_from_create
from labels.models import LabelBatch, LabelBatchItem, LabelDocument, LabelPurchase, Manifest
from orders.rules import services as rule_services
from packing.models import PackSession
from packing.services import barcode_add
from shipments.batch import batch_mark_delivered
from shipments.csv_import import csv_import_create
from shipments.models import PrintJob, ShippingMethodMapping
from stores.models import Membership, Store


@pytest.fixture
def objects(order_a, run_a, unmapped_a, shipment_a, alice, bob, tenant_a):
    key, _ = api_key_create(tenant=tenant_a, name="WMS", read_only=False, user=alice)
    batch = batch_mark_delivered(tenant=tenant_a, key="k-access", orders=[order_a], user=alice)
    upload = csv_import_create(tenant=tenant_a, raw=b"order,carrier,tracking\nA-100,UPS,1Z9\n", filename="t.csv")
    carrier = carrier_account_create(
        tenant=tenant_a, carrier="UPS", client_id="id-a", client_secret="secret-a", server_url="http://127.0.0.1:9"
    )
    ship_from = ship_from_create(
        tenant=tenant_a, name="Dock A", street1="1 Dock Road", city="Austin", postal_code="78701"
    )
    preset = package_preset_create(tenant=tenant_a, name="Box A", length=10, width=8, height=4, is_default=True)
    print_job = PrintJob.objects.create(
        tenant=tenant_a, kind="packing_slips", order_ids=[order_a.pk], total=1, state="done", pdf=b"%PDF-A-100"
    )
    label = LabelPurchase.objects.create(
        tenant=tenant_a,
        order=order_a,
        account=carrier,
        carrier="UPS",
        service="ups_ground",
        state="bought",
        reference="A-100-L1",
        tracking_number=shipment_a.tracking_number,
        shipment=shipment_a,
    )
    LabelDocument.objects.create(purchase=label, format="pdf", content=b"%PDF-label-A-100")
    manifest = Manifest.objects.create(
        tenant=tenant_a, ship_from=ship_from, carrier="USPS", ship_date="2026-12-07", state="uncertain", label_count=1
    )
    made = Manifest.objects.create(
        tenant=tenant_a, ship_from=ship_from, carrier="USPS", ship_date="2026-12-07", state="made", document=b"%PDF-m"
    )
    lbatch = LabelBatch.objects.create(tenant=tenant_a, key="access", mode="cheapest")
    LabelBatchItem.objects.create(batch=lbatch, position=0, order=order_a, problem="no")
    tag = rule_services.tag_save(tenant=tenant_a, name="Tag A")
    spreset = rule_services.preset_save(tenant=tenant_a, name="Preset A", carrier_account=carrier, service="ups_ground")
    rule = rule_services.rule_save(
        tenant=tenant_a, name="Rule A", conditions=[], actions=[{"type": "add_tags", "tags": [tag.pk]}]
    )
    # Issue 32: an order on tenant A's pack station, a product's barcode.
    pack_session = PackSession.objects.create(tenant=tenant_a, order=order_a, user=alice, to_pack={"1": 1})
    product = order_a.store.products.create(sku="PACK-A", name="Packed thing")
    barcode = barcode_add(product=product, code="0000-PACK-A")
    return {
        "pack_session": pack_session.pk,
        "barcode": barcode.pk,
        "label": label.pk,
        "manifest": manifest.pk,
        "manifest_made": made.pk,
        "usps": "USPS",
        "day": "2026-12-07",
        "lbatch": lbatch.pk,
        "pdf": "pdf",
        "tag": tag.pk,
        "spreset": spreset.pk,
        "rule": rule.pk,
        "print_job": print_job.pk,
        "carrier": carrier.pk,
        "ship_from": ship_from.pk,
        "preset": preset.pk,
        "order": order_a.pk,
        "store": order_a.store_id,
        "run": run_a.pk,
        "unmapped": unmapped_a.pk,
        "shipment": shipment_a.pk,
        "member": Membership.objects.get(user=bob).pk,
        "key": key.pk,
        "batch": batch.pk,
        "csv_import": upload.pk,
        # Learned from shipment_a (order_a asks for "USPS Priority").
        "mapping": ShippingMethodMapping.objects.get(store=order_a.store).pk,
    }


OBJECT_GETS = [
    ("portal:store_settings", ["store"]),
    ("portal:import_progress", ["store", "run"]),
    ("portal:email_preview", ["store"]),
    ("portal:store_notices", ["store"]),
    ("portal:store_skipped", ["store"]),
    ("portal:order_detail", ["order"]),
    ("portal:order_ship", ["order"]),
    ("portal:batch_result", ["batch"]),
    ("portal:print_job", ["print_job"]),
    ("portal:print_job_status", ["print_job"]),
    ("portal:print_job_download", ["print_job"]),
    ("portal:tracking_import_preview", ["csv_import"]),
    ("portal:shipping_methods", ["store"]),
    ("portal:shipping_method_edit", ["store", "mapping"]),
    ("portal:shipping_method_delete", ["store", "mapping"]),
    ("portal:carrier_account_edit", ["carrier"]),
    ("portal:ship_from_edit", ["ship_from"]),
    ("portal:ship_from_delete", ["ship_from"]),
    ("portal:package_preset_edit", ["preset"]),
    ("portal:package_preset_delete", ["preset"]),
    ("portal:store_disconnect", ["store"]),
    ("portal:store_delete", ["store"]),
    ("portal:order_rates", ["order"]),
    ("portal:shipment_label", ["shipment", "pdf"]),
    ("portal:label_void", ["label"]),
    ("portal:manifest_document", ["manifest_made"]),
    ("portal:manifest_release", ["manifest"]),
    ("portal:end_of_day_confirm", ["ship_from", "usps", "day"]),
    ("portal:label_batch", ["lbatch"]),
    ("portal:label_batch_status", ["lbatch"]),
    ("portal:label_batch_document", ["lbatch"]),
    ("portal:tag_delete", ["tag"]),
    ("portal:preset_delete", ["spreset"]),
    ("portal:rule_edit", ["rule"]),
    ("portal:rule_delete", ["rule"]),
    ("portal:tag_edit", ["tag"]),
    ("portal:preset_edit", ["spreset"]),
    ("portal:pack_label_document", ["shipment", "pdf"]),
    ("portal:pack_slip_pdf", ["order"]),
]

OBJECT_POSTS = [
    ("portal:store_settings", ["store"], {"section": "notifications", "notifications-send_delivery_notice": ""}),
    ("portal:store_import_now", ["store"], {}),
    ("portal:store_settings", ["store"], {"section": "road", "road-api_token": "tok-sneaky"}),
    ("portal:store_oauth_connect", ["store"], {}),
    ("portal:store_reconcile", ["store"], {}),
    ("portal:unmapped_add", ["store", "unmapped"], {"outbound_status": "on_hold"}),
    (
        "portal:order_ship",
        ["order"],
        {"carrier": "UPS", "service": "Ground", "tracking_number": "1Z", "ship_date": "2026-01-01"},
    ),
    ("portal:shipment_retry", ["shipment"], {}),
    ("portal:shipment_deliver", ["shipment"], {}),
    ("portal:shipment_void", ["shipment"], {}),
    ("portal:order_attention_clear", ["order"], {}),
    ("portal:order_hold", ["order"], {"reason": "Check the address"}),
    ("portal:order_release", ["order"], {}),
    ("portal:order_notes", ["order"], {"outbound_notes": "sneaky"}),
    ("portal:user_role", ["member"], {"role": "owner"}),
    ("portal:user_remove", ["member"], {}),
    ("portal:invitation_resend", ["member"], {}),
    ("portal:invitation_revoke", ["member"], {}),
    ("portal:api_key_revoke", ["key"], {}),
    ("portal:tracking_import_preview", ["csv_import"], {"action": "confirm"}),
    ("portal:shipping_methods", ["store"], {"requested_method": "Sneaky", "carrier": "UPS", "service": "x"}),
    ("portal:shipping_method_edit", ["store", "mapping"], {"carrier": "UPS", "service": "Sneaky"}),
    ("portal:shipping_method_delete", ["store", "mapping"], {}),
    (
        "portal:carrier_account_edit",
        ["carrier"],
        {"edit-name": "sneaky", "edit-client_id": "x", "edit-client_secret": "y"},
    ),
    ("portal:carrier_account_test", ["carrier"], {}),
    ("portal:carrier_account_remove", ["carrier"], {}),
    (
        "portal:ship_from_edit",
        ["ship_from"],
        {"edit-name": "Sneaky", "edit-street1": "x", "edit-city": "x", "edit-postal_code": "1", "edit-country": "US"},
    ),
    ("portal:ship_from_delete", ["ship_from"], {}),
    (
        "portal:package_preset_edit",
        ["preset"],
        {"edit-name": "Sneaky", "edit-length": "1", "edit-width": "1", "edit-height": "1", "edit-dimension_unit": "in"},
    ),
    ("portal:package_preset_delete", ["preset"], {}),
    ("portal:store_disconnect", ["store"], {}),
    ("portal:store_reconnect", ["store"], {}),
    ("portal:store_delete", ["store"], {"typed_name": "Acme Main"}),
    ("portal:order_label_confirm", ["order"], {"rate": "1:ups_ground"}),
    ("portal:order_label_buy", ["order"], {"account": "1", "service": "ups_ground", "price": "9.99"}),
    ("portal:label_void", ["label"], {}),
    ("portal:manifest_release", ["manifest"], {}),
    ("portal:label_batch_confirm", ["lbatch"], {}),
    ("portal:tag_delete", ["tag"], {}),
    ("portal:preset_delete", ["spreset"], {}),
    ("portal:rule_edit", ["rule"], {"rule-name": "Sneaky", "rule-match": "all", "rule-actions": "[]"}),
    ("portal:rule_delete", ["rule"], {}),
    ("portal:tag_edit", ["tag"], {"edit-name": "Sneaky", "edit-color": "red"}),
    (
        "portal:preset_edit",
        ["spreset"],
        {"edit-name": "Sneaky", "edit-carrier_account": "1", "edit-service": "x"},
    ),
    ("portal:pack_scan", ["pack_session"], {"code": "SKU0"}),
    ("portal:pack_skip", ["pack_session"], {}),
    ("portal:pack_label", ["pack_session"], {}),
    ("portal:pack_leave", ["pack_session"], {}),
    ("portal:pack_barcode_remove", ["barcode"], {}),
]

PLAIN_WRITES = [
    (
        "portal:connect_details",
        {"name": "X", "url": "https://shop.example.com", "username": "u", "password": "p", "endpoint_path": "/x"},
    ),
    ("portal:connect_mapping", {}),
    ("portal:connect_oauth", {"name": "X", "url": "https://shop.example.com"}),
    ("portal:oauth_callback", {}),
    ("portal:users", {"email": "eve@example.com", "role": "owner"}),
    ("portal:api_keys", {"name": "sneaky"}),
    ("portal:orders_batch", {"action": "ship", "all_matching": "1"}),
    ("portal:orders_batch_ship", {"all_matching": "1", "batch_key": "k", "carrier": "UPS", "ship_date": "2026-01-01"}),
    ("portal:orders_batch_apply", {"all_matching": "1", "batch_key": "k", "action": "deliver"}),
    ("portal:tracking_import", {}),
    ("portal:carrier_accounts", {"new-carrier": "USPS", "new-client_id": "x", "new-client_secret": "y"}),
    (
        "portal:ship_from_index",
        {"new-name": "Sneaky", "new-street1": "x", "new-city": "x", "new-postal_code": "1", "new-country": "US"},
    ),
    ("portal:ship_from_index", {"section": "defaults", "store-1": "1"}),
    (
        "portal:package_preset_index",
        {"new-name": "Sneaky", "new-length": "1", "new-width": "1", "new-height": "1", "new-dimension_unit": "in"},
    ),
    ("portal:two_factor_policy", {"required": "on"}),
    ("portal:audit_log", {}),
    ("portal:audit_export", {}),
    ("portal:tag_index", {"new-name": "Sneaky", "new-color": "red"}),
    ("portal:preset_index", {"preset-name": "Sneaky", "preset-carrier_account": "1", "preset-service": "x"}),
    ("portal:rule_new", {"rule-name": "Sneaky", "rule-match": "all", "rule-actions": "[]"}),
    ("portal:orders_choices", {"all_matching": "1", "choice": "reapply"}),
    ("portal:orders_choices", {"all_matching": "1", "choice": "assign", "assign_to": ""}),
    ("portal:end_of_day_make", {"ship_from": "1", "carrier": "USPS", "date": "2026-12-07"}),
    ("portal:pack_station", {}),
    ("portal:pack_slip", {"code": "A-100"}),
    ("portal:pack_settings", {"section": "grants", "may_skip": ["1"]}),
    ("portal:pack_barcodes", {"product": "1", "code": "SNEAKY"}),
    ("portal:label_batch_new", {"all_matching": "1"}),
    ("portal:label_batch_preview", {"all_matching": "1", "mode": "cheapest", "nonce": "n"}),
]


# Reads that take a selection of orders (POST order_ids): an outsider gets 404 for another tenant's
# orders; viewers may use them (a printed document changes nothing).
SELECTION_READS = ["portal:orders_packing_slips", "portal:orders_pick_list"]
# Reads of one object that POST (a printed document changes nothing): an outsider gets 404.
OBJECT_READ_POSTS = [("portal:label_batch_slips", ["lbatch"])]


def _url(name, keys, objects):
    return reverse(name, args=[objects[k] for k in keys])


@pytest.mark.parametrize("name,keys", OBJECT_GETS)
def test_outsider_gets_404_on_get(charlie_client, objects, name, keys):
    assert charlie_client.get(_url(name, keys, objects)).status_code == 404


@pytest.mark.parametrize("name,keys,data", OBJECT_POSTS)
def test_outsider_gets_404_on_post(charlie_client, objects, name, keys, data):
    assert charlie_client.post(_url(name, keys, objects), data).status_code == 404


@pytest.mark.parametrize("name,keys,data", OBJECT_POSTS)
def test_viewer_cannot_write(bob_client, objects, name, keys, data):
    assert bob_client.post(_url(name, keys, objects), data).status_code in (403, 404)


@pytest.mark.parametrize("name,data", PLAIN_WRITES)
def test_viewer_cannot_use_write_pages(bob_client, objects, name, data):
    assert bob_client.get(reverse(name)).status_code in (403, 404)
    assert bob_client.post(reverse(name), data).status_code in (403, 404)


@pytest.mark.parametrize("name,keys", OBJECT_READ_POSTS)
def test_outsider_gets_404_on_a_read_post(charlie_client, objects, name, keys):
    assert charlie_client.post(_url(name, keys, objects)).status_code == 404


@pytest.mark.parametrize("name", SELECTION_READS)
def test_outsider_gets_404_on_a_selection_of_foreign_orders(charlie_client, objects, name):
    response = charlie_client.post(reverse(name), {"order_ids": [objects["order"]]})
    assert response.status_code == 404 and b"A-100" not in response.content


def test_viewer_writes_changed_nothing(bob_client, objects, order_a, tenant_a):
    for name, keys, data in OBJECT_POSTS:
        bob_client.post(_url(name, keys, objects), data)
    assert order_a.shipments.count() == 1
    assert Membership.objects.for_tenant(tenant_a).count() == 2
    assert [a.name for a in tenant_a.carrier_accounts.all()] == [""]
    assert [p.name for p in tenant_a.ship_froms.all()] == ["Dock A"]
    assert [(p.name, p.length) for p in tenant_a.package_presets.all()] == [("Box A", 10)]
    assert [t.name for t in tenant_a.tags.all()] == ["Tag A"] and [r.name for r in tenant_a.rules.all()] == ["Rule A"]
    assert [p.name for p in tenant_a.shipping_presets.all()] == ["Preset A"]
    assert sorted(Manifest.objects.values_list("state", flat=True)) == ["made", "uncertain"]
    assert order_a.store.settings.send_delivery_notice is True
    assert [(m.requested_method, m.carrier, m.service) for m in ShippingMethodMapping.objects.all()] == [
        ("USPS Priority", "USPS", "Priority")
    ]
    assert not order_a.store.import_runs.filter(trigger="reconcile").exists()
    store = Store.objects.get(pk=order_a.store_id)  # neither deleted nor disconnected
    assert store.is_active and store.disconnected_at is None
    order_a.refresh_from_db()
    assert order_a.status == "awaiting_shipment" and order_a.outbound_notes == "" and order_a.hold_reason == ""
    pack = PackSession.objects.get()
    assert pack.state == "open" and pack.packed == {} and not pack.skipped and not pack.scans.exists()
    assert [b.code for b in order_a.store.products.get(sku="PACK-A").barcodes.all()] == ["0000-PACK-A"]


@pytest.mark.parametrize(
    "name", ["portal:dashboard", "portal:order_list", "portal:store_list", "portal:audit_log", "portal:audit_export"]
)
def test_outsider_lists_show_none_of_tenant_a(charlie_client, objects, order_a, name):
    response = charlie_client.get(reverse(name))
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200 and b"A-100" not in body and b"Acme Main" not in body and b"WMS" not in body


def test_the_audit_trail_is_the_owners_alone(alice_client, bob_client, objects, tenant_a):
    """The owner reads tenant A's audit trail; a viewer (and an admin, below an owner) is refused."""
    assert b"WMS" in alice_client.get(reverse("portal:audit_log")).content
    assert bob_client.get(reverse("portal:audit_log")).status_code == 403
    Membership.objects.filter(user__username="bob").update(role="admin")
    assert bob_client.get(reverse("portal:audit_export")).status_code == 403


def test_outsider_scanning_a_foreign_slip_finds_no_order(charlie_client, objects, order_a):
    """Issue 32: an order number of another workspace is no order at all on the pack station."""
    response = charlie_client.post(reverse("portal:pack_slip"), {"code": order_a.number})
    assert response.status_code == 404 and b"Acme" not in response.content
    assert b'"session"' not in response.content and not PackSession.objects.exclude(pk=objects["pack_session"]).exists()
    page = charlie_client.get(reverse("portal:pack_barcodes"), {"q": "PACK-A"})
    assert page.status_code == 200 and b"PACK-A</th>" not in page.content and b"0000-PACK-A" not in page.content


def test_outsider_cannot_switch_into_foreign_tenant(charlie_client, tenant_a):
    assert charlie_client.post(reverse("portal:tenant_switch"), {"tenant_id": tenant_a.pk}).status_code == 404


def test_outsider_search_by_sku_finds_nothing(charlie_client, order_a):
    assert "A-100" not in charlie_client.get(reverse("portal:order_list"), {"q": "MUG-RED"}).content.decode()


def test_viewer_sees_no_write_buttons(bob_client, objects, order_a):
    order_page = bob_client.get(reverse("portal:order_detail", args=[order_a.pk])).content.decode()
    settings_page = bob_client.get(reverse("portal:store_settings", args=[order_a.store_id])).content.decode()
    dashboard = bob_client.get(reverse("portal:dashboard")).content.decode()
    assert "ship-button" not in order_page and "Mark delivered" not in order_page
    assert "hold-button" not in order_page and "outbound-notes-form" not in order_page
    assert "import-now" not in settings_page and 'id="read-only-note"' in settings_page
    assert "<input" not in settings_page.split('id="read-only-note"')[1].split("<script")[0]
    assert "Connect a store" not in dashboard and reverse("portal:users") not in dashboard


def test_anonymous_is_sent_to_sign_in(client, order_a):
    response = client.get(reverse("portal:order_detail", args=[order_a.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# The operators' admin is staff only: no tenant user (owner, viewer, outsider) reaches a page or an action of it.
ADMIN_PAGES = [
    ("admin:shipments_shipment_correct_tracking", "shipment"),
    ("admin:shipments_shipment_change", "shipment"),
    ("admin:orders_order_change", "order"),
    ("admin:stores_store_change", "store"),
    ("admin:stores_store_delete", "store"),
]


@pytest.mark.parametrize("who", ["alice_client", "bob_client", "charlie_client"])
def test_tenant_users_never_reach_the_admin(request, who, objects, shipment_a):
    client = request.getfixturevalue(who)
    for name, key in ADMIN_PAGES:
        url = reverse(name, args=[objects[key]])
        for response in (client.get(url), client.post(url, {"tracking_number": "1ZSNEAK", "confirm": "1"})):
            assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), url
    assert type(shipment_a).objects.get(pk=shipment_a.pk).tracking_number == shipment_a.tracking_number
    for name in ADMIN_PAGES_WITHOUT_OBJECT:
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), name


# Admin pages of no object: the operators' fleet view (issue 31) and the operator alerts' list.
ADMIN_PAGES_WITHOUT_OBJECT = ["admin:fleet", "admin:shipments_operatoralert_changelist"]


# Public endpoints (issue 31): answered to anyone, signed in or not, and the same for everyone: nothing of a
# tenant in them. /metrics is never public: refused without its token or network, even to a tenant's owner.
PUBLIC_ENDPOINTS = ["/health/live", "/health/ready"]


@pytest.mark.parametrize("who", ["client", "alice_client", "charlie_client"])
def test_public_endpoints_answer_anyone_and_tell_nothing_of_a_tenant(request, who, objects, order_a, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "metrics-secret-token", []
    client = request.getfixturevalue(who)
    for url in PUBLIC_ENDPOINTS:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert order_a.number not in body and order_a.store.name not in body and order_a.tenant.name not in body
    assert client.get("/metrics").status_code == 403


# The buyers' tracking page (issue 33): public by design, the same for everyone, signed in or not. By its token
# it shows one shipment (its scans, items, the store's contact) and nothing else of the tenant: not the buyer's
# address or e-mail, not prices, notes, other orders, the tenant or the store's connection.
PUBLIC_TRACKING_PAGES = ["trackpage:shipment", "trackpage:lookup"]


@pytest.mark.parametrize("who", ["client", "alice_client", "charlie_client"])
def test_the_tracking_page_is_public_and_shows_one_shipment_only(request, who, objects, order_a, shipment_a, store_a):
    from tests.factories import make_detailed_order

    other = make_detailed_order(store_a, number="A-200", sku="LAMP-BLUE", email="other-buyer@example.com")
    client = request.getfixturevalue(who)
    page = client.get(reverse("trackpage:shipment", args=[shipment_a.tracking_token]))
    lookup = client.get(reverse("trackpage:lookup", args=[store_a.tracking_slug]))
    assert page.status_code == 200 and lookup.status_code == 200
    body = page.content.decode()
    assert "A-100" in body
    shown_nowhere = [
        other.number,
        "LAMP-BLUE",
        other.email,
        order_a.email,
        order_a.tenant.name,
        store_a.url,
        "1 Main St",
        "VIP",
        "42.00",
        "21.00",
        "Leave at door",
        "Happy birthday",
        "WMS",
    ]
    # Random tokens (the page's own, the form's CSRF token) may spell "WMS" or "VIP" by chance: not shown data.
    shown = [re.sub(r"[A-Za-z0-9]{20,}", "", text) for text in (body, lookup.content.decode())]
    for text in shown_nowhere:
        assert all(text not in one for one in shown), text
    assert page["X-Robots-Tag"] == lookup["X-Robots-Tag"] == "noindex, nofollow"
