"""Issue 18 defects: regression tests for the rough edges a merchant hit in the portal."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import ImportRun, ImportState
from orders.services import import_run_execute
from stores.models import Store
from tests import factories


def _run(store, state, minutes_ago, error=""):
    return ImportRun.objects.create(
        store=store, state=state, error=error, queued_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )


# --- 3: failure alerts are per store, de-duplicated, and clear when the store recovers ---------------------


def test_failing_store_gives_one_alert_with_its_attempts(alice_client, store_a):
    _run(store_a, ImportState.FAILED, 300, "old failure, long recovered")
    _run(store_a, ImportState.SUCCEEDED, 200)
    for minutes in (30, 20, 10):
        _run(store_a, ImportState.FAILED, minutes, f"Connection refused ({minutes})")
    html = alice_client.get(reverse("portal:dashboard")).content.decode()
    assert html.count("failing since") == 1
    assert "3 attempts" in html and "Connection refused (10)" in html
    assert "old failure" not in html and "Connection refused (30)" not in html


def test_alert_disappears_when_the_next_run_succeeds(alice_client, store_a):
    for minutes in (30, 20):
        _run(store_a, ImportState.FAILED, minutes, "Connection refused")
    _run(store_a, ImportState.SUCCEEDED, 5)
    html = alice_client.get(reverse("portal:dashboard")).content.decode()
    assert "failing since" not in html and "Connection refused" not in html


def test_dashboard_alert_queries_do_not_grow_with_history(
    alice_client, store_a, store_b, django_assert_max_num_queries
):
    alice_client.get(reverse("portal:dashboard"))
    for minutes in range(1, 40):
        _run(store_a, ImportState.FAILED, minutes, "down")
    with django_assert_max_num_queries(20):
        html = alice_client.get(reverse("portal:dashboard")).content.decode()
    assert "39 attempts" in html


# --- 3b: a lock conflict is a skip, never a failure ---------------------------------------------------------


@pytest.mark.django_db
def test_lock_conflict_is_recorded_as_skipped_not_failed(alice_client, store_a):
    holder = _run(store_a, ImportState.RUNNING, 1)
    factories.import_state_set(store_a, import_running_since=timezone.now(), import_lock_run=holder.pk)
    loser = _run(store_a, ImportState.QUEUED, 0)
    run = import_run_execute(run_id=loser.pk)
    assert run.state == ImportState.SKIPPED and "already running" in run.error
    store_a.refresh_from_db()
    assert (
        factories.import_state(store_a).consecutive_failures == 0
        and factories.import_state(store_a).last_import_ok is not False
    )
    html = alice_client.get(reverse("portal:dashboard")).content.decode()
    assert "failing since" not in html and "already running" not in html


# --- 2: the ship form's e-mail box follows the store setting; the history says why no e-mail went out ------


def _ship(client, order, **extra):
    line = order.lines.get(line_key="1")
    data = {
        "carrier": "UPS",
        "service": "Ground",
        "tracking_number": "1Z42",
        "ship_date": timezone.now().date(),
        f"qty_{line.pk}": "1",
    }
    data.update(extra)
    return client.post(reverse("portal:order_ship", args=[order.pk]), data)


def _notify_box(html):
    start = html.index('name="notify_buyer"')
    return html[html.rindex("<input", 0, start) : html.index(">", start)]


def test_ship_form_email_box_follows_the_store_setting(alice_client, order_a):
    from stores.models import StoreSettings

    url = reverse("portal:order_ship", args=[order_a.pk])
    assert "checked" in _notify_box(alice_client.get(url).content.decode())
    StoreSettings.objects.update_or_create(store=order_a.store, defaults={"send_shipment_confirmation": False})
    html = alice_client.get(url).content.decode()
    assert "checked" not in _notify_box(html)
    assert "switched off for this store" in html


def _outbox(shipment):
    from outbox.models import OutboxMessage
    from shipments.models import shipment_ref

    return OutboxMessage.objects.filter(ref=shipment_ref(shipment.pk))


def test_history_says_why_no_email_went_out(alice_client, order_a):
    from stores.models import StoreSettings

    StoreSettings.objects.update_or_create(store=order_a.store, defaults={"send_shipment_confirmation": False})
    assert _ship(alice_client, order_a).status_code == 302
    event = order_a.events.get(kind="email_not_sent")
    assert event.data["reason"] == "switched_off" and "switched off in the store settings" in event.message
    assert not _outbox(order_a.shipments.get()).filter(kind="email").exists()


def test_history_says_the_clerk_chose_no_email(alice_client, order_a):
    _ship(alice_client, order_a)  # the box left unticked
    assert order_a.events.get(kind="email_not_sent").data["reason"] == "not_requested"


def test_no_history_line_when_the_email_goes_out(alice_client, order_a):
    _ship(alice_client, order_a, notify_buyer="on")
    assert not order_a.events.filter(kind="email_not_sent").exists()
    assert _outbox(order_a.shipments.get()).filter(kind="email").exists()


# --- 4: a store update being retried shows its last answer, attempts and next try ---------------------------


def test_retried_store_update_shows_answer_attempts_and_next_try(alice_client, shipment_a):
    from outbox.models import OutboxMessage
    from shipments.models import shipment_ref

    next_try = timezone.now() + dt.timedelta(minutes=7)
    OutboxMessage.objects.filter(ref=shipment_ref(shipment_a.pk), kind="store_update").update(
        attempts=3, next_attempt_at=next_try, last_error="The store answered 503 Service Unavailable."
    )
    page = alice_client.get(reverse("portal:order_detail", args=[shipment_a.order_id])).content.decode()
    assert "3 attempts" in page and "503 Service Unavailable" in page and "next try" in page
    dashboard = alice_client.get(reverse("portal:dashboard")).content.decode()
    assert "is being retried" in dashboard and "3 attempts" in dashboard and "503 Service Unavailable" in dashboard


def test_first_attempt_pending_shows_no_retry_details(alice_client, shipment_a):
    page = alice_client.get(reverse("portal:order_detail", args=[shipment_a.order_id])).content.decode()
    assert "next try" not in page
    assert "is being retried" not in alice_client.get(reverse("portal:dashboard")).content.decode()


# --- 11: order list and ship form details -------------------------------------------------------------------


def test_inverted_date_range_says_so(alice_client, order_a):
    html = alice_client.get(
        reverse("portal:order_list"), {"date_from": "2026-05-10", "date_to": "2026-05-01"}
    ).content.decode()
    assert "is before" in html and "swap the dates" in html
    assert f"#{order_a.number}" in html  # the other filters still list the orders


def test_over_maximum_quantity_gives_one_error(alice_client, order_a):
    line = order_a.lines.get(line_key="1")
    html = _ship(alice_client, order_a, **{f"qty_{line.pk}": "9"}).content.decode()
    assert "Only 2 left to ship on this line." in html
    assert "Choose at least one item to ship." not in html


def test_order_header_says_the_store_status_predates_the_shipment(alice_client, order_a):
    url = reverse("portal:order_detail", args=[order_a.pk])
    assert "before the shipment" not in alice_client.get(url).content.decode()
    _ship(alice_client, order_a)
    assert "before the shipment" in alice_client.get(url).content.decode()


def test_branding_preview_skips_voided_shipments(alice_client, order_a):
    from shipments.services import shipment_create, shipment_void

    live = shipment_create(
        order=order_a, carrier="UPS", tracking_number="1ZLIVE", lines={order_a.lines.get(line_key="1").pk: 1}
    )
    voided = shipment_create(
        order=order_a, carrier="UPS", tracking_number="1ZVOIDED", lines={order_a.lines.get(line_key="1").pk: 1}
    )
    shipment_void(shipment=voided)
    html = alice_client.get(reverse("portal:email_preview", args=[order_a.store_id])).content.decode()
    assert "1ZLIVE" in html and "1ZVOIDED" not in html
    assert live.pk


# --- 6: the wizard's "unreachable" message promises nothing and does not quote a store that said nothing ----


def test_unreachable_wizard_message_promises_no_retry(alice_client):
    data = {"name": "X", "url": "http://127.0.0.1:9", "username": "u", "password": "p", "endpoint_path": "/x"}
    html = alice_client.post(reverse("portal:connect_details"), data).content.decode()
    assert 'data-outcome="unreachable"' in html
    assert "try again later" not in html and "What the store said" not in html
    assert "could not be reached" in html


# --- 5: a connection change is tested before it is saved; "Test connection" on the store page ---------------


def _connection_data(store, **extra):
    data = {
        "section": "connection",
        "connection-name": store.name,
        "connection-url": store.url,
        "connection-endpoint_path": store.endpoint_path,
        "connection-username": store.username,
        "connection-import_interval_minutes": store.import_interval_minutes,
        "connection-is_active": "on",
    }
    data.update({f"connection-{k}": v for k, v in extra.items()})
    return data


def test_a_broken_connection_change_is_refused(alice_client, store_a):
    url = reverse("portal:store_settings", args=[store_a.pk])
    html = alice_client.post(url, _connection_data(store_a, url="http://127.0.0.1:9")).content.decode()
    assert 'data-outcome="unreachable"' in html and 'name="save_anyway"' in html
    store_a.refresh_from_db()
    assert store_a.url == "https://shop.example.com"


def test_save_anyway_saves_a_connection_that_fails(alice_client, store_a):
    url = reverse("portal:store_settings", args=[store_a.pk])
    response = alice_client.post(url, {**_connection_data(store_a, url="http://127.0.0.1:9"), "save_anyway": "1"})
    assert response.status_code == 302
    store_a.refresh_from_db()
    assert store_a.url == "http://127.0.0.1:9"


def test_a_working_connection_change_is_saved(alice_client, store_a, sandbox):
    from sandbox.server import ENDPOINT_PATH

    url = reverse("portal:store_settings", args=[store_a.pk])
    data = _connection_data(
        store_a, url=sandbox.base_url, endpoint_path=ENDPOINT_PATH, username=sandbox.username, password=sandbox.password
    )
    assert alice_client.post(url, data).status_code == 302
    store_a.refresh_from_db()
    assert store_a.url == sandbox.base_url and store_a.get_password() == sandbox.password


def test_a_wrong_password_is_refused_and_the_old_one_kept(alice_client, store_a, sandbox):
    from sandbox.server import ENDPOINT_PATH

    Store.objects.filter(pk=store_a.pk).update(
        url=sandbox.base_url, endpoint_path=ENDPOINT_PATH, username=sandbox.username
    )
    store_a.refresh_from_db()
    url = reverse("portal:store_settings", args=[store_a.pk])
    html = alice_client.post(url, _connection_data(store_a, password="wrong")).content.decode()
    assert 'data-outcome="bad_credentials"' in html
    store_a.refresh_from_db()
    assert store_a.get_password() == "s3cret-store-pass"


def test_renaming_needs_no_connection_test(alice_client, store_a):
    url = reverse("portal:store_settings", args=[store_a.pk])
    assert alice_client.post(url, _connection_data(store_a, name="Renamed")).status_code == 302  # no store reachable


def test_test_connection_button_tests_without_saving(alice_client, store_a, sandbox):
    from sandbox.server import ENDPOINT_PATH

    url = reverse("portal:store_settings", args=[store_a.pk])
    assert 'id="test-connection"' in alice_client.get(url).content.decode()
    data = {
        **_connection_data(
            store_a,
            url=sandbox.base_url,
            endpoint_path=ENDPOINT_PATH,
            username=sandbox.username,
            password=sandbox.password,
        ),
        "test_connection": "1",
    }
    html = alice_client.post(url, data, follow=True).content.decode()
    assert "Connected." in html
    store_a.refresh_from_db()
    assert store_a.url == "https://shop.example.com"
    html = alice_client.post(url, {**_connection_data(store_a), "test_connection": "1"}).content.decode()
    assert 'data-outcome="unreachable"' in html and 'name="save_anyway"' not in html


# --- 7: read-only settings for those who cannot change them ------------------------------------------------


def test_viewer_sees_settings_read_only(bob_client, store_a):
    html = bob_client.get(reverse("portal:store_settings", args=[store_a.pk])).content.decode()
    assert 'id="read-only-note"' in html
    assert 'name="connection-url"' not in html and 'name="branding-company_name"' not in html
    assert "https://shop.example.com" in html and "Set (never shown)" in html
    assert 'name="section"' not in html


@pytest.mark.parametrize("name", ["portal:users", "portal:api_keys", "portal:connect_start"])
def test_members_get_a_styled_403_naming_the_role(client, tenant_a, store_a, name):
    from django.contrib.auth import get_user_model

    from stores.models import Membership

    user = get_user_model().objects.create_user("mia", "mia@example.com", "pw-mia-12345")
    Membership.objects.create(tenant=tenant_a, user=user, role="member")
    client.force_login(user)
    response = client.get(reverse(name))
    html = response.content.decode()
    assert response.status_code == 403
    assert 'id="forbidden"' in html and "Owner or Admin role" in html and "Your role in" in html
    assert "Member" in html and "<nav" in html  # the portal layout, not the bare page


# --- 8: the quick "Map to" starts at "Choose…"; mapping lists are tidied on save --------------------------


def test_quick_map_starts_at_choose(alice_client, store_a, unmapped_a):
    html = alice_client.get(reverse("portal:store_settings", args=[store_a.pk])).content.decode()
    select = html[html.index(f'id="map-{unmapped_a.pk}"') :]
    first_option = select[select.index("<option") : select.index("</option>")]
    assert 'value=""' in first_option and "Choose" in first_option


def test_quick_map_without_a_choice_maps_nothing(alice_client, store_a, unmapped_a):
    from stores.models import StatusMapping

    before = StatusMapping.objects.get(store=store_a).lists()
    alice_client.post(reverse("portal:unmapped_add", args=[store_a.pk, unmapped_a.pk]), {"outbound_status": ""})
    assert StatusMapping.objects.get(store=store_a).lists() == before


def test_mapping_lists_are_tidied_on_save(alice_client, store_a):
    from stores.models import StatusMapping

    url = reverse("portal:store_settings", args=[store_a.pk])
    data = {
        "section": "mapping",
        "mapping-awaiting_payment": "Pending Payment",
        "mapping-awaiting_shipment": "New",
        "mapping-shipped": " Shipped ,,  shipped, Partially   Shipped ,",
        "mapping-cancelled": "Cancelled",
        "mapping-on_hold": "  on hold ,, ",
    }
    assert alice_client.post(url, data).status_code == 302
    mapping = StatusMapping.objects.get(store=store_a)
    assert mapping.on_hold == "on hold"
    assert mapping.shipped == "Shipped, Partially Shipped"


# --- 9: invitations: their own wording, and a pending state with resend and revoke -------------------------


def _invite(client, email, capture):
    with capture(execute=True):
        client.post(reverse("portal:users"), {"email": email, "role": "member"})


def _link(body):
    import re

    return re.search(r"https?://[^/\s]+(/\S+)", body).group(1)


def test_invitation_is_accepted_in_its_own_words(alice_client, client, tenant_a, django_capture_on_commit_callbacks):
    from django.core import mail

    _invite(alice_client, "dana@example.com", django_capture_on_commit_callbacks)
    link = _link(mail.outbox[0].body)
    assert link.startswith("/invitation/")
    page = client.get(link, follow=True)
    html = page.content.decode()
    assert "Welcome to Outbound" in html and "Acme Goods" in html and "Accept the invitation" in html
    assert "new password" not in html.lower() and "reset" not in html.lower()
    response = client.post(
        page.redirect_chain[-1][0], {"new_password1": "a-Long-pass-9876", "new_password2": "a-Long-pass-9876"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("portal:dashboard")
    assert client.get(reverse("portal:dashboard")).status_code == 200  # signed in, in the workspace
    users = alice_client.get(reverse("portal:users")).content.decode()
    assert "Invitation pending" not in users


def test_pending_invitation_is_listed_as_pending_and_can_be_resent(
    alice_client, tenant_a, django_capture_on_commit_callbacks
):
    from django.core import mail

    _invite(alice_client, "erin@example.com", django_capture_on_commit_callbacks)
    membership = tenant_a.memberships.get(user__email="erin@example.com")
    html = alice_client.get(reverse("portal:users")).content.decode()
    assert "Invitation pending" in html and reverse("portal:invitation_resend", args=[membership.pk]) in html
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("portal:invitation_resend", args=[membership.pk]))
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["erin@example.com"]


def test_revoked_invitation_removes_the_member_and_kills_the_link(
    alice_client, client, tenant_a, django_capture_on_commit_callbacks
):
    from django.contrib.auth import get_user_model
    from django.core import mail

    _invite(alice_client, "fay@example.com", django_capture_on_commit_callbacks)
    membership = tenant_a.memberships.get(user__email="fay@example.com")
    alice_client.post(reverse("portal:invitation_revoke", args=[membership.pk]))
    assert not tenant_a.memberships.filter(user__email="fay@example.com").exists()
    assert not get_user_model().objects.filter(email="fay@example.com").exists()
    html = client.get(_link(mail.outbox[0].body), follow=True).content.decode()
    assert "no longer works" in html


def test_an_accepted_member_cannot_be_revoked(alice_client, bob, tenant_a):
    from django.utils import timezone as tz

    type(bob).objects.filter(pk=bob.pk).update(last_login=tz.now())
    membership = tenant_a.memberships.get(user=bob)
    alice_client.post(reverse("portal:invitation_revoke", args=[membership.pk]))
    assert tenant_a.memberships.filter(user=bob).exists()


# --- 10: the API keys page names the header, offers a copy button and links the reference -----------------


def test_api_keys_page_explains_how_to_use_a_key(alice_client):
    html = alice_client.post(reverse("portal:api_keys"), {"name": "WMS"}).content.decode()
    assert "Authorization: Bearer ob_" in html and 'id="copy-key"' in html
    assert f'href="{reverse("api:docs")}"' in html
    html = alice_client.get(reverse("portal:api_keys")).content.decode()
    assert "Authorization: Bearer" in html and 'id="copy-key"' not in html


def test_import_store_command_reports_a_skip_in_words(store_a):
    from django.core.management import CommandError, call_command

    holder = _run(store_a, ImportState.RUNNING, 1)
    factories.import_state_set(store_a, import_running_since=timezone.now(), import_lock_run=holder.pk)
    with pytest.raises(CommandError, match="already running"):
        call_command("import_store", str(store_a.pk))
