"""Orders flagged for attention: on the dashboard and the order page, and a member marks them handled."""

from django.urls import reverse

from tests.factories import make_detailed_order

REASON = "The store cancelled this order after Outbound shipped it."


def test_member_marks_a_flagged_order_handled(alice_client, bob_client, charlie_client, store_a):
    order = make_detailed_order(store_a, number="A-FLAG", needs_attention=True, attention_reason=REASON)
    dashboard = alice_client.get(reverse("portal:dashboard")).content.decode()
    assert "Order A-FLAG" in dashboard and REASON in dashboard
    page = alice_client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    assert REASON in page and "Mark as handled" in page
    url = reverse("portal:order_attention_clear", args=[order.pk])
    assert charlie_client.post(url).status_code == 404
    assert bob_client.post(url).status_code in (403, 404)
    order.refresh_from_db()
    assert order.needs_attention
    assert alice_client.post(url).status_code == 302
    order.refresh_from_db()
    assert not order.needs_attention and order.attention_reason == ""
    assert order.events.filter(kind="attention_cleared", message__contains=REASON).exists()
    assert "Order A-FLAG" not in alice_client.get(reverse("portal:dashboard")).content.decode()
