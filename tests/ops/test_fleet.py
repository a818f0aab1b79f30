"""The operators' fleet page (issue 31, part 6): operators only; each count links to the admin list filtered
to exactly the rows counted; the same counts are in /metrics (tests/ops/test_metrics.py)."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from ops import fleet
from orders.models import StoreImportState
from outbox.models import OutboxMessage
from shipments.services import operator_alert
from tests.factories import make_store, make_tenant, operator_sign_in
from webhooks.models import WebhookDelivery, WebhookSubscription


def signed_in(client, user):
    operator_sign_in(client, user)  # with a second factor, as every operator opens the admin
    return client


def rows_shown(changelist_html: str) -> int:
    if 'id="result_list"' not in changelist_html:
        return 0  # the admin's "0 …" page has no table
    body = changelist_html.split('id="result_list"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return len(re.findall(r"<tr\b", body))


@pytest.mark.django_db
def test_the_fleet_page_counts_and_links_each_item_across_tenants(client, operator):
    now = timezone.now()
    a, b = make_tenant("Fleet A"), make_tenant("Fleet B")
    failing = make_store(a, name="Failing store")
    StoreImportState.objects.update_or_create(store=failing, defaults={"last_import_ok": False, "last_checked_at": now})
    stale = make_store(b, name="Stale store", import_interval_minutes=5)
    StoreImportState.objects.update_or_create(
        store=stale, defaults={"last_import_ok": True, "last_checked_at": now - dt.timedelta(hours=2)}
    )
    fresh = make_store(b, name="Fresh store", import_interval_minutes=5)
    StoreImportState.objects.update_or_create(store=fresh, defaults={"last_import_ok": True, "last_checked_at": now})
    OutboxMessage.objects.create(tenant=a, kind="email", state="failed")
    OutboxMessage.objects.create(tenant=b, kind="webhook", next_attempt_at=now - dt.timedelta(hours=1))
    OutboxMessage.objects.create(tenant=b, kind="webhook")  # due now: neither dead nor old
    hook = WebhookSubscription.objects.create(tenant=a, url="https://example.com/hook", events=["order.imported"])
    WebhookSubscription.objects.create(tenant=b, url="https://example.com/ok", events=["order.imported"])
    WebhookDelivery.objects.create(subscription=hook, event="order.imported", state="failed")
    operator_alert("Something broke", "details", tenant_id=a.pk)

    counts = fleet.fleet_counts()
    assert counts == {
        "stores_failing": 1,
        "stores_stale": 1,
        "outbox_dead": 1,
        "outbox_old": 1,
        "tracking_failing": 0,
        "webhook_endpoints_failing": 1,
        "operator_alerts": 1,
    }
    page = signed_in(client, operator).get(reverse("admin:fleet"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Something broke" in html
    for row in fleet.fleet_rows():
        assert f'href="{row["url"].replace("&", "&amp;")}"' in html, row["key"]
        listed = client.get(row["url"])
        assert listed.status_code == 200, row["url"]
        assert rows_shown(listed.content.decode()) == counts[row["key"]], row["key"]
    assert reverse("admin:fleet") in client.get(reverse("admin:index")).content.decode()


@pytest.mark.django_db
def test_the_fleet_page_speaks_french(client, operator):
    page = signed_in(client, operator).get(reverse("admin:fleet"), HTTP_ACCEPT_LANGUAGE="fr")
    assert "Magasins en échec" in page.content.decode()


@pytest.mark.django_db
def test_an_operator_alert_cannot_be_edited_or_deleted_in_the_admin(client, operator):
    alert = operator_alert("Once", "sent")
    signed_in(client, operator)
    change = reverse("admin:shipments_operatoralert_change", args=[alert.pk])
    assert client.post(change, {"subject": "Changed"}).status_code == 403
    assert (
        client.post(reverse("admin:shipments_operatoralert_delete", args=[alert.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert type(alert).objects.get(pk=alert.pk).subject == "Once"
