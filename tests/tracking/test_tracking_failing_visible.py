"""Issue 25 item 10: failing carrier tracking is visible: counted and linked on the operators' admin home
and the merchant's dashboard, with a filter on failures in the admin's tracking list."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_shipment, operator_sign_in
from tracking.services import tracking_poll_due

from .conftest import order_for

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def one_failing(shop, carriers, ups_account):
    make_shipment(order_for(shop, number="FINE-1"), carrier="UPS", tracking_number="1ZFINE0010")
    bad = make_shipment(order_for(shop, number="BAD-1"), carrier="UPS", tracking_number="1ZGARBLED10")
    tracking_poll_due()
    return bad


def test_the_admin_home_counts_and_links_failing_tracking_and_its_list_filters_them(operator, one_failing):
    client = Client()
    operator_sign_in(client, operator)
    home = client.get(reverse("admin:index")).content.decode()
    assert "Failing carrier tracking (1)" in home and "1ZGARBLED10" in home
    link = reverse("admin:tracking_shipmenttracking_changelist") + "?answers=failing"
    assert link.replace("&", "&amp;") in home
    listed = client.get(link).content.decode()
    assert "of order BAD-1" in listed and "of order FINE-1" not in listed and "Expecting value" in listed


def test_the_dashboard_counts_and_links_failing_tracking_for_its_tenant_only(alice, charlie, one_failing):
    page = signed_in(alice).get(reverse("portal:dashboard")).content.decode()
    assert 'id="tracking-failing"' in page and "Carrier tracking failing for 1 shipment" in page
    assert f"{reverse('portal:order_detail', args=[one_failing.order_id])}#tracking-{one_failing.pk}" in page
    assert "Expecting value" in page  # the real reason, in words
    other = signed_in(charlie).get(reverse("portal:dashboard")).content.decode()
    assert 'id="tracking-failing"' not in other and "1ZGARBLED10" not in other
