"""Issue 18 defect 14: the operators' admin — wording, what may be added or deleted, long errors, the
outbox filters, and the overview that is the admin's index."""

import datetime as dt

import pytest
from django.utils import timezone

from orders.models import ImportRun, ImportState
from outbox.models import OutboxMessage, OutboxState
from shipments.models import Shipment, shipment_ref
from shipments.services import shipment_create
from tests import factories
from tests.factories import make_detailed_order, operator_sign_in
from webhooks.models import DeliveryState, WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db

LONG_ERROR = "The store answered HTTP 500 with an enormous page. " * 20


@pytest.fixture
def admin_client(client, operator):
    operator_sign_in(client, operator)
    return client


def test_unmapped_statuses_are_spelled_in_the_plural(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert "Unmapped statuses" in html and "Unmapped statuss" not in html


@pytest.mark.parametrize(
    "url",
    [
        "/admin/orders/order/add/",
        "/admin/orders/importrun/add/",
        "/admin/orders/product/add/",
        "/admin/webhooks/webhookdelivery/add/",
    ],
)
def test_imported_and_logged_rows_cannot_be_added_by_hand(admin_client, url):
    assert admin_client.get(url).status_code == 403


def test_outbox_messages_cannot_be_deleted(admin_client, store_a):
    shipment = shipment_create(order=make_detailed_order(store_a), carrier="UPS", tracking_number="1ZDEL")
    message = OutboxMessage.objects.filter(ref=shipment_ref(shipment.pk)).first()
    assert admin_client.get(f"/admin/outbox/outboxmessage/{message.pk}/delete/").status_code == 403
    changelist = admin_client.get("/admin/outbox/outboxmessage/").content.decode()
    assert "delete_selected" not in changelist


def test_long_errors_are_cut_in_lists_and_whole_on_the_detail_page(admin_client, store_a):
    run = ImportRun.objects.create(store=store_a, state=ImportState.FAILED, error=LONG_ERROR)
    shipment = shipment_create(order=make_detailed_order(store_a), carrier="UPS", tracking_number="1ZERR")
    OutboxMessage.objects.filter(ref=shipment_ref(shipment.pk)).update(state=OutboxState.FAILED, last_error=LONG_ERROR)
    for changelist, detail in [
        ("/admin/orders/importrun/", f"/admin/orders/importrun/{run.pk}/change/"),
        ("/admin/outbox/outboxmessage/", None),
    ]:
        html = admin_client.get(changelist).content.decode()
        assert LONG_ERROR.strip() not in html.replace(f'title="{LONG_ERROR}"', "")  # only in the tooltip
        assert "enormous page…" in html or "…</span>" in html
    assert LONG_ERROR.strip() in admin_client.get(f"/admin/orders/importrun/{run.pk}/change/").content.decode()


def test_outbox_can_be_filtered_by_tenant_and_store(admin_client, store_a, store_b):
    shipment_create(order=make_detailed_order(store_a), carrier="UPS", tracking_number="1ZA")
    shipment_create(order=make_detailed_order(store_b), carrier="UPS", tracking_number="1ZB")
    html = admin_client.get("/admin/outbox/outboxmessage/").content.decode()
    assert "shipment_store=" in html and "tenant__id__exact" in html
    filtered = (
        admin_client.get("/admin/outbox/outboxmessage/", {"shipment_store": store_a.pk}).context["cl"].result_list
    )
    shipments = Shipment.objects.filter(order__store=store_a)
    assert filtered and {m.ref for m in filtered} == {shipment_ref(s.pk) for s in shipments}


def test_the_admin_index_is_an_operator_overview(
    admin_client, store_a, store_b, tenant_a, django_assert_max_num_queries
):
    factories.import_state_set(
        store_a, needs_attention=True, consecutive_failures=4, last_import_message="Connection refused"
    )
    factories.import_state_set(store_b, import_watermark=timezone.now() - dt.timedelta(minutes=2))
    shipment = shipment_create(order=make_detailed_order(store_a), carrier="UPS", tracking_number="1ZOV")
    OutboxMessage.objects.filter(ref=shipment_ref(shipment.pk), kind="store_update").update(
        state=OutboxState.FAILED, last_error="The store refused the update (HTTP 400)"
    )
    hook = WebhookSubscription.objects.create(tenant=tenant_a, url="https://hooks.example.com/in")
    WebhookDelivery.objects.create(
        subscription=hook,
        event="shipment.created",
        state=DeliveryState.FAILED,
        attempts=8,
        error="HTTP 502 from the receiver",
    )
    with django_assert_max_num_queries(15):
        html = admin_client.get("/admin/").content.decode()
    assert 'id="operator-overview"' in html
    attention = html[html.index('id="ov-attention"') : html.index('id="ov-updates"')]
    assert store_a.name in attention and "Connection refused" in attention and store_b.name not in attention
    assert "The store refused the update (HTTP 400)" in html and "HTTP 502 from the receiver" in html
    lag = html[html.index('id="ov-lag"') :]
    assert lag.index(store_a.name) < lag.index(store_b.name)  # never imported: the most behind
    assert lag.count("lag-behind") == 1  # store_b imported two minutes ago is not behind


def test_the_overview_is_for_staff_only(client, alice):
    client.force_login(alice)
    assert client.get("/admin/").status_code == 302


def test_import_runs_show_their_skipped_orders_as_reasons_and_counts(admin_client, store_a):
    """Issue 25 item 27: the Skipped column read as JSON ({"no_ship_to": 3})."""
    run = ImportRun.objects.create(
        store=store_a, state=ImportState.SUCCEEDED, skipped={"no_ship_to": 3, "unmapped_status": 2, "gone": 1}
    )
    quiet = ImportRun.objects.create(store=store_a, state=ImportState.SUCCEEDED)
    for url in ("/admin/orders/importrun/", f"/admin/orders/importrun/{run.pk}/change/"):
        html = admin_client.get(url).content.decode()
        assert "no ship-to address: 3, store status not mapped: 2, gone: 1" in html
        assert "no_ship_to&quot;" not in html and '"no_ship_to"' not in html
    assert "{}" not in admin_client.get(f"/admin/orders/importrun/{quiet.pk}/change/").content.decode()
