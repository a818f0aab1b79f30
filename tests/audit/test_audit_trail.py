"""Issue 31 part 4: the audit trail records each action that matters with who, which tenant, when, from where and
what changed (never a secret); a tenant's owner sees their own tenant's entries only; nobody edits or deletes an
entry, through the portal, the admin, the API or the database (PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from api.services import api_key_create, api_key_revoke
from audit.models import Action, AppendOnly, AuditEntry
from portal.services import member_invite, member_remove, member_set_role
from shipments.services import shipment_void
from stores.models import Membership, Role
from stores.services import (
    status_mapping_set,
    store_delete,
    store_disconnect,
    store_reconnect,
    store_set_password,
    store_settings_update,
    store_update,
)
from tests.api.conftest import bearer
from tests.factories import make_detailed_order, make_shipment, make_store, operator_sign_in

SENTINEL = "SENTINEL-audit-7f3c"


def entries(tenant, action):
    return list(AuditEntry.objects.for_tenant(tenant).filter(action=action).order_by("id"))


def test_each_store_action_is_recorded_with_its_before_and_after(tenant_a, alice):
    store = make_store(tenant_a, name="Acme Outlet", password=SENTINEL + "-create")
    [connected] = entries(tenant_a, Action.STORE_CONNECTED)
    assert connected.tenant_name == "Acme Goods" and connected.target_label == "Acme Outlet"
    assert connected.after["url"] == "https://shop.example.com" and "password" not in connected.after

    store_update(store=store, name="Acme Outlet 2", import_interval_minutes=30, password=SENTINEL + "-update")
    [changed] = entries(tenant_a, Action.STORE_CHANGED)
    assert changed.before == {"name": "Acme Outlet", "import_interval_minutes": 15}
    assert changed.after == {"name": "Acme Outlet 2", "import_interval_minutes": 30}
    store_set_password(store=store, password=SENTINEL + "-set")
    credentials = entries(tenant_a, Action.STORE_CREDENTIALS)
    assert [e.after for e in credentials] == [{"password": "changed"}, {"password": "changed"}]

    store_settings_update(store=store, phone="555-0199", reply_to="ops@acme.example")
    [branding] = entries(tenant_a, Action.STORE_BRANDING)
    assert branding.before == {"phone": "", "reply_to": ""}
    assert branding.after == {"phone": "555-0199", "reply_to": "ops@acme.example"}

    status_mapping_set(store=store, lists={"on_hold": "Held,Fraud Review"}, user=alice)
    [mapping] = entries(tenant_a, Action.MAPPING_CHANGED)
    assert mapping.actor_id == alice.pk and mapping.actor_name == "alice"
    assert mapping.after == {"on_hold": "Held, Fraud Review"} and mapping.before["on_hold"] != "Held, Fraud Review"

    store_disconnect(store=store)
    store_reconnect(store=store)
    store_delete(store=store, typed_name="Acme Outlet 2")
    kinds = [e.action for e in AuditEntry.objects.for_tenant(tenant_a).order_by("id")]
    assert kinds[-3:] == [Action.STORE_DISCONNECTED, Action.STORE_RECONNECTED, Action.STORE_DELETED]
    # The store is gone; its entries stay, naming it.
    assert {e.target_label for e in entries(tenant_a, Action.STORE_DISCONNECTED)} == {"Acme Outlet 2"}
    for entry in AuditEntry.objects.all():
        assert entry.created_at is not None and entry.tenant_id == tenant_a.pk
        assert entry.actor_name in ("", "alice") and entry.via == "system"  # no request: the system


def test_no_secret_is_ever_recorded(tenant_a, alice):
    store = make_store(tenant_a, password=SENTINEL + "-1")
    store_update(store=store, password=SENTINEL + "-2")
    store_update(store=store, road="rest", api_token=SENTINEL + "-3")
    store_set_password(store=store, password=SENTINEL + "-4")
    _key, plaintext = api_key_create(tenant=tenant_a, name="WMS", read_only=False, user=alice)
    every = json.dumps([list(row) for row in AuditEntry.objects.values_list()], default=str)
    assert AuditEntry.objects.filter(action=Action.STORE_CREDENTIALS).count() == 3  # the first is in "connected"
    assert SENTINEL not in every and plaintext not in every
    assert {"api_token": "changed"} in [e.after for e in entries(tenant_a, Action.STORE_CREDENTIALS)]


def test_members_and_api_keys_are_recorded(tenant_a, alice):
    owner = Membership.objects.get(user=alice)
    dana = member_invite(tenant=tenant_a, email="dana@example.com", role=Role.MEMBER)
    member_set_role(membership=dana, role=Role.ADMIN, by=owner)
    member_remove(membership=dana, by=owner)
    key, _ = api_key_create(tenant=tenant_a, name="WMS", read_only=True, user=alice)
    api_key_revoke(api_key=key)
    api_key_revoke(api_key=key)  # revoked already: nothing more happens, nothing more is recorded
    [added] = entries(tenant_a, Action.MEMBER_ADDED)
    [role] = entries(tenant_a, Action.MEMBER_ROLE)
    [removed] = entries(tenant_a, Action.MEMBER_REMOVED)
    assert added.target_label == role.target_label == removed.target_label == "dana@example.com"
    assert (role.before, role.after) == ({"role": "member"}, {"role": "admin"})
    assert removed.before == {"role": "admin"}
    [made] = entries(tenant_a, Action.API_KEY_CREATED)
    [revoked] = entries(tenant_a, Action.API_KEY_REVOKED)
    assert made.actor_name == "alice" and made.after == {"name": "WMS", "read_only": True}
    assert made.target_label == revoked.target_label == f"API key WMS ({key.prefix}…)"


def test_the_portal_records_who_from_where(alice_client, tenant_a, store_a, alice):
    response = alice_client.post(reverse("portal:api_keys"), {"name": "Packing WMS"}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code in (200, 302)
    [made] = entries(tenant_a, Action.API_KEY_CREATED)
    assert (made.actor_id, made.actor_name, made.ip, made.via) == (alice.pk, "alice", "203.0.113.9", "portal")
    assert not made.by_operator
    order = make_detailed_order(store_a, number="A-300")
    shipment = make_shipment(order, tracking_number="1ZAUDIT1")
    alice_client.post(reverse("portal:shipment_void", args=[shipment.pk]), REMOTE_ADDR="203.0.113.9")
    [created] = entries(tenant_a, Action.SHIPMENT_CREATED)
    [voided] = entries(tenant_a, Action.SHIPMENT_VOIDED)
    assert created.after["tracking_number"] == "1ZAUDIT1"
    assert created.target_label == f"Shipment {shipment.pk} of order A-300"
    assert (voided.actor_name, voided.ip, voided.before["state"], voided.after) == (
        "alice",
        "203.0.113.9",
        "shipped",
        {"state": "voided"},
    )


def test_the_api_records_the_key_that_acted(tenant_a, store_a, alice):
    key, plaintext = api_key_create(tenant=tenant_a, name="Warehouse", read_only=False, user=alice)
    order = make_detailed_order(store_a, number="A-301")
    api = bearer(plaintext)
    response = api.post(
        "/api/v1/shipments/", {"order": order.pk, "carrier": "UPS", "tracking_number": "1ZAPI1"}, format="json"
    )
    assert response.status_code == 201, response.content
    [created] = entries(tenant_a, Action.SHIPMENT_CREATED)
    assert created.via == "api" and created.actor_id is None
    assert created.actor_name == f"API key Warehouse ({key.prefix}…)" and created.ip == "127.0.0.1"


def test_an_operator_acting_inside_a_tenant_is_recorded_as_such(client, operator, tenant_a, store_a):
    order = make_detailed_order(store_a, number="A-302")
    shipment = make_shipment(order, tracking_number="1ZOPS1")
    operator_sign_in(client, operator)
    client.post("/admin/shipments/shipment/", {"action": "void", "_selected_action": [shipment.pk], "confirm": "1"})
    shipment.refresh_from_db()
    assert shipment.state == "voided"
    [voided] = entries(tenant_a, Action.SHIPMENT_VOIDED)
    assert voided.by_operator and voided.via == "admin" and voided.actor_name == "operator"
    assert voided.tenant_id == tenant_a.pk and voided.tenant_name == "Acme Goods"


# --- who sees what -------------------------------------------------------------------------------------


@pytest.fixture
def both_tenants(tenant_a, tenant_b, alice, charlie):
    api_key_create(tenant=tenant_a, name="Acme secret plans", read_only=True, user=alice)
    api_key_create(tenant=tenant_b, name="Bravo own key", read_only=True, user=charlie)


def test_an_owner_sees_only_their_own_tenants_entries(alice_client, charlie_client, both_tenants):
    page = alice_client.get(reverse("portal:audit_log")).content.decode()
    assert "Acme secret plans" in page and "Bravo own key" not in page
    other = charlie_client.get(reverse("portal:audit_log")).content.decode()
    assert "Bravo own key" in other and "Acme secret plans" not in other
    csv = b"".join(charlie_client.get(reverse("portal:audit_export")).streaming_content).decode()
    assert "Bravo own key" in csv and "Acme secret plans" not in csv and csv.startswith("\ufeffwhen,action,who")


def test_members_who_are_not_owners_are_refused(bob, tenant_a, both_tenants):
    dana = Client()
    from tests.factories import make_member, make_user

    admin_user = make_user("dana")
    make_member(tenant_a, admin_user, Role.ADMIN)
    dana.force_login(admin_user)
    bob_client = Client()
    bob_client.force_login(bob)
    for client in (dana, bob_client):
        for name in ("portal:audit_log", "portal:audit_export"):
            response = client.get(reverse(name))
            assert response.status_code == 403 and b"Acme secret plans" not in response.content


def test_the_portal_filters_by_action_actor_and_date(alice_client, tenant_a, alice, both_tenants, store_a):
    status_mapping_set(store=store_a, lists={"on_hold": "Held"}, user=alice)
    url = reverse("portal:audit_log")
    keys_only = alice_client.get(url, {"action": "api_key.created"}).context["entries"]
    assert [e.action for e in keys_only] == ["api_key.created"]
    by_alice = alice_client.get(url, {"actor": "alice"}).context["entries"]
    assert {e.action for e in by_alice} == {"api_key.created", "store.mapping_changed"}
    assert alice_client.get(url, {"until": "2000-01-01"}).context["entries"] == []
    csv = b"".join(alice_client.get(reverse("portal:audit_export"), {"action": "store.mapping_changed"}))
    assert csv.decode().count("\n") == 2 and "store.mapping_changed" in csv.decode()


def test_a_formula_in_a_name_is_exported_as_text(alice_client, tenant_a):
    make_store(tenant_a, name='=HYPERLINK("http://evil")')
    csv = b"".join(alice_client.get(reverse("portal:audit_export")).streaming_content).decode()
    assert '"\'=HYPERLINK(""http://evil"")"' in csv and ',"=HYPERLINK' not in csv and ",=HYPERLINK" not in csv


# --- nobody edits or deletes an entry -----------------------------------------------------------------


def test_the_application_cannot_change_or_delete_an_entry(tenant_a, alice, both_tenants):
    entry = AuditEntry.objects.for_tenant(tenant_a).get()
    entry.actor_name = "mallory"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(actor_name="mallory")
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).actor_name == "alice"


def test_the_admin_shows_entries_read_only_even_to_a_superuser(client, operator, tenant_a, both_tenants):
    entry = AuditEntry.objects.for_tenant(tenant_a).get()
    operator_sign_in(client, operator)
    listing = client.get("/admin/audit/auditentry/")
    assert listing.status_code == 200 and "Acme secret plans" in listing.content.decode()
    assert "delete_selected" not in listing.content.decode()
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    page = client.get(f"/admin/audit/auditentry/{entry.pk}/change/")
    assert page.status_code == 200 and 'name="actor_name"' not in page.content.decode()  # a view page, no form
    client.post(f"/admin/audit/auditentry/{entry.pk}/change/", {"actor_name": "mallory"})
    filtered = client.get("/admin/audit/auditentry/", {"action__exact": "api_key.created", "q": "Bravo"})
    assert [e.tenant_name for e in filtered.context["cl"].result_list] == ["Bravo Supplies"]
    export = client.post("/admin/audit/auditentry/", {"action": "export_csv", "_selected_action": [entry.pk]})
    body = b"".join(export.streaming_content).decode()
    assert "Acme secret plans" in body and "Bravo own key" not in body
    assert AuditEntry.objects.get(pk=entry.pk).actor_name == "alice"
    assert AuditEntry.objects.count() == 2


def test_the_api_offers_no_way_to_the_audit_trail(tenant_a, alice, both_tenants):
    _key, plaintext = api_key_create(tenant=tenant_a, name="Full", read_only=False, user=alice)
    api = bearer(plaintext)
    for method in ("get", "post", "put", "patch", "delete"):
        assert getattr(api, method)("/api/v1/audit/").status_code == 404
        assert getattr(api, method)("/api/v1/audit-entries/").status_code == 404
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "audit" not in schema.lower()


def test_posting_to_the_portal_page_changes_nothing(alice_client, tenant_a, both_tenants):
    before = list(AuditEntry.objects.values_list())
    alice_client.post(reverse("portal:audit_log"), {"actor_name": "mallory", "action": "api_key.revoked"})
    assert list(AuditEntry.objects.values_list()) == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_to_update_or_delete_an_entry(tenant_a, both_tenants):
    entry = AuditEntry.objects.for_tenant(tenant_a).get()
    for sql in (
        "UPDATE audit_auditentry SET actor_name = 'mallory' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).actor_name == "alice"


def test_voiding_records_who_even_without_a_request(tenant_a, store_a, alice):
    order = make_detailed_order(store_a, number="A-303")
    shipment = make_shipment(order, tracking_number="1ZVOID")
    shipment_void(shipment=shipment, user=alice)
    [voided] = entries(tenant_a, Action.SHIPMENT_VOIDED)
    assert voided.actor_name == "alice" and voided.via == "system" and voided.ip is None
