import json

import pytest
from django.urls import reverse

from orders.models import ImportRun
from stores.models import Store


def _details(server, **extra):
    data = {
        "name": "Sandbox",
        "url": server.base_url,
        "username": server.username,
        "password": server.password,
        "endpoint_path": "/store/shipstation.aspx",
    }
    data.update(extra)
    return data


def test_wrong_password_is_explained_and_nothing_saved(alice_client, sandbox):
    response = alice_client.post(reverse("portal:connect_details"), _details(sandbox, password="nope"))
    body = response.content.decode()
    assert "The username or password is wrong" in body and 'data-outcome="bad_credentials"' in body
    assert not Store.objects.exists() and "connect_store" not in alice_client.session


def test_non_admin_user_is_explained(alice_client, sandbox):
    data = _details(sandbox, username=sandbox.nonadmin_username, password=sandbox.nonadmin_password)
    assert "is not an administrator" in alice_client.post(reverse("portal:connect_details"), data).content.decode()


@pytest.mark.parametrize("path,outcome", [("/nothing-here", "not_an_endpoint")])
def test_wrong_endpoint_is_explained(alice_client, sandbox, path, outcome):
    body = alice_client.post(reverse("portal:connect_details"), _details(sandbox, endpoint_path=path)).content.decode()
    assert f'data-outcome="{outcome}"' in body


def test_unreachable_store_is_explained(alice_client):
    data = {"name": "X", "url": "http://127.0.0.1:9", "username": "u", "password": "p", "endpoint_path": "/x"}
    assert 'data-outcome="unreachable"' in alice_client.post(reverse("portal:connect_details"), data).content.decode()


def test_wizard_connects_maps_and_starts_first_import(alice_client, sandbox, tenant_a):
    response = alice_client.post(reverse("portal:connect_details"), _details(sandbox))
    assert response["Location"] == reverse("portal:connect_mapping")
    assert sandbox.password not in json.dumps(dict(alice_client.session))
    page = alice_client.get(reverse("portal:connect_mapping")).content.decode()
    assert "Pending Processing" in page and "Approved Pending Shipping" in page
    form = alice_client.get(reverse("portal:connect_mapping")).context["form"]
    data = {name: form.initial[name] for name in form.fields} | {"since": "2020-01-01"}
    response = alice_client.post(reverse("portal:connect_mapping"), data)
    store = Store.objects.for_tenant(tenant_a).get()
    assert response["Location"] == reverse("portal:store_settings", args=[store.pk])
    run = ImportRun.objects.get(store=store)
    assert run.since.year == 2020 and run.trigger == "manual"


def test_mapping_conflict_is_refused(alice_client, sandbox, tenant_a):
    alice_client.post(reverse("portal:connect_details"), _details(sandbox))
    data = {
        "awaiting_payment": "New",
        "awaiting_shipment": "new",
        "shipped": "Shipped",
        "cancelled": "",
        "on_hold": "",
        "since": "2020-01-01",
    }
    body = alice_client.post(reverse("portal:connect_mapping"), data).content.decode()
    assert "a status may sit in one list only" in body and not Store.objects.exists()


def test_mapping_step_needs_a_tested_connection(alice_client):
    assert alice_client.get(reverse("portal:connect_mapping"))["Location"] == reverse("portal:connect_details")


def test_settings_password_is_write_only(alice_client, store_a):
    body = alice_client.get(reverse("portal:store_settings", args=[store_a.pk])).content.decode()
    assert "s3cret-store-pass" not in body and store_a.secret_documents["xml_secret"] not in body


def test_notification_switch_off(alice_client, store_a):
    url = reverse("portal:store_settings", args=[store_a.pk])
    alice_client.post(url, {"section": "notifications", "notifications-send_shipment_confirmation": "on"})
    store_a.settings.refresh_from_db()
    assert store_a.settings.send_shipment_confirmation and not store_a.settings.send_delivery_notice


def test_branding_rejects_a_bad_colour(alice_client, store_a):
    url = reverse("portal:store_settings", args=[store_a.pk])
    body = alice_client.post(url, {"section": "branding", "branding-accent_colour": "red"}).content.decode()
    assert "Enter a colour as #RRGGBB" in body


def test_connection_blank_password_keeps_the_old_one(alice_client, store_a):
    url = reverse("portal:store_settings", args=[store_a.pk])
    data = {
        "section": "connection",
        "connection-name": "Renamed",
        "connection-url": store_a.url,
        "connection-endpoint_path": store_a.endpoint_path,
        "connection-username": store_a.username,
        "connection-import_interval_minutes": 30,
        "connection-is_active": "on",
    }
    alice_client.post(url, data)
    store_a.refresh_from_db()
    assert store_a.name == "Renamed" and store_a.get_password() == "s3cret-store-pass"


def test_connection_form_sets_the_reconciliation_sweep(alice_client, store_a):
    url = reverse("portal:store_settings", args=[store_a.pk])
    data = {
        "section": "connection",
        "connection-name": store_a.name,
        "connection-url": store_a.url,
        "connection-endpoint_path": store_a.endpoint_path,
        "connection-username": store_a.username,
        "connection-import_interval_minutes": 15,
        "connection-is_active": "on",
        "connection-reconcile_every_hours": 12,
        "connection-reconcile_days": 7,
    }
    alice_client.post(url, data)
    store_a.refresh_from_db()
    assert (store_a.reconcile_every_hours, store_a.reconcile_days) == (12, 7)
    response = alice_client.post(url, {**data, "connection-reconcile_days": 0})
    assert "reconcile_days" in response.context["forms"]["connection"].errors
    store_a.refresh_from_db()
    assert store_a.reconcile_days == 7


def test_unmapped_status_one_click_add_maps_and_reimports(alice_client, store_a, unmapped_a, monkeypatch):
    calls = []
    monkeypatch.setattr(
        "orders.services.import_request", lambda **kw: calls.append(kw) or ImportRun.objects.create(store=store_a)
    )
    alice_client.post(
        reverse("portal:unmapped_add", args=[store_a.pk, unmapped_a.pk]), {"outbound_status": "awaiting_shipment"}
    )
    store_a.status_mapping.refresh_from_db()
    assert store_a.status_mapping.map("AWAITING pickup") == "awaiting_shipment"
    assert calls[0]["since"] == unmapped_a.earliest_modified


def test_import_now_queues_a_run(alice_client, store_a, monkeypatch):
    monkeypatch.setattr(
        "portal.views.stores.import_request",
        lambda **kw: ImportRun.objects.create(store=store_a, trigger=kw["trigger"]),
    )
    response = alice_client.post(reverse("portal:store_import_now", args=[store_a.pk]))
    assert response.status_code == 302 and ImportRun.objects.filter(store=store_a, trigger="manual").exists()


def test_reconcile_now_queues_a_sweep(alice_client, store_a, monkeypatch):
    monkeypatch.setattr("orders.services.enqueue_import", lambda run_id: None)
    page = alice_client.get(reverse("portal:store_settings", args=[store_a.pk])).content.decode()
    assert reverse("portal:store_reconcile", args=[store_a.pk]) in page and "Reconcile now" in page
    response = alice_client.post(reverse("portal:store_reconcile", args=[store_a.pk]), follow=True)
    run = ImportRun.objects.get(store=store_a, trigger="reconcile")
    assert run.requested_by is not None and "Reconciliation sweep started." in response.content.decode()


def test_reconcile_now_while_an_import_runs_says_so(alice_client, store_a, monkeypatch):
    monkeypatch.setattr("orders.services.enqueue_import", lambda run_id: None)
    ImportRun.objects.create(store=store_a, trigger="schedule", state="running")
    response = alice_client.post(reverse("portal:store_reconcile", args=[store_a.pk]), follow=True)
    assert "already under way" in response.content.decode()
    assert not ImportRun.objects.filter(store=store_a, trigger="reconcile").exists()


def test_recovered_orders_show_in_the_import_history(alice_client, store_a):
    ImportRun.objects.create(store=store_a, trigger="reconcile", state="succeeded", recovered=["AC-1", "AC-2"])
    page = alice_client.get(reverse("portal:store_settings", args=[store_a.pk])).content.decode()
    assert "Recovered 2 orders missed by earlier runs: AC-1, AC-2" in page


@pytest.mark.parametrize(
    "minutes,hours,lang,expected",
    [
        (1, 1, "en", ["Imports run every minute.", "checks the last 30 days every hour."]),
        (15, 24, "en", ["Imports run every 15 minutes.", "checks the last 30 days every 24 hours."]),
        (1, 1, "fr", ["Les importations ont lieu chaque minute.", "les 30 derniers jours toutes les heures."]),
        (15, 24, "fr", ["toutes les 15 minutes.", "les 30 derniers jours toutes les 24 heures."]),
    ],
)
def test_import_history_states_the_schedule_in_good_grammar(alice_client, store_a, minutes, hours, lang, expected):
    Store.objects.filter(pk=store_a.pk).update(
        import_interval_minutes=minutes, reconcile_every_hours=hours, reconcile_days=30
    )
    page = alice_client.get(
        reverse("portal:store_settings", args=[store_a.pk]), HTTP_ACCEPT_LANGUAGE=lang
    ).content.decode()
    for text in expected:
        assert text in page
    assert "every 1 minutes" not in page and "toutes les 1 " not in page


def test_progress_endpoint_reports_the_run(alice_client, store_a, run_a):
    data = alice_client.get(reverse("portal:import_progress", args=[store_a.pk, run_a.pk])).json()
    assert (data["state"], data["pages_done"], data["pages_total"], data["progress_percent"]) == ("running", 1, 4, 25)
    assert data["counts"]["seen"] == 10 and data["finished"] is False


def test_progress_of_another_stores_run_is_404(alice_client, store_a, tenant_a):
    from tests.factories import make_store

    other_run = ImportRun.objects.create(store=make_store(tenant_a, name="Other"))
    assert alice_client.get(reverse("portal:import_progress", args=[store_a.pk, other_run.pk])).status_code == 404


def test_email_preview_renders_the_real_email_with_typed_branding(alice_client, shipment_a):
    url = reverse("portal:email_preview", args=[shipment_a.order.store_id])
    body = alice_client.get(url, {"company_name": "Typed Co", "accent_colour": "#ff0000"}).content.decode()
    assert "Typed Co" in body and "#ff0000" in body and "9400111" in body


def test_email_preview_ignores_invalid_branding(alice_client, shipment_a):
    url = reverse("portal:email_preview", args=[shipment_a.order.store_id])
    body = alice_client.get(url, {"accent_colour": "red;}</style><script>"}).content.decode()
    assert "<script>" not in body


def test_email_preview_without_shipment_is_404(alice_client, store_a):
    assert alice_client.get(reverse("portal:email_preview", args=[store_a.pk])).status_code == 404
