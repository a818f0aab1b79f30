"""Issue 17 item 4: the fast single-order flow. The ship form pre-fills carrier and service from the
store's shipping-method table (learned from shipments, editable), and "Ship & next" walks the Awaiting
Shipment queue in the list's order, carrying its sort and filters."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import OrderStatus
from orders.queue import next_in_queue
from shipments.method_mapping import shipping_method_mapping_set
from shipments.models import MappingSource, ShippingMethodMapping
from stores.models import Storefront
from tests.factories import make_detailed_order, make_shipment, make_store, operator_sign_in


def _ship_data(order, **extra):
    line = order.lines.get(line_key="1")
    return {
        "carrier": "UPS",
        "service": "Ground",
        "tracking_number": "1Z999",
        "ship_date": timezone.localdate().isoformat(),
        "carrier_fee": "0",
        f"qty_{line.pk}": str(line.quantity),
        "notify_buyer": "on",
        **extra,
    }


# --- the table is learned from shipments ------------------------------------------------------------


def test_a_shipment_teaches_the_table_and_the_next_order_starts_with_it(alice_client, store_a):
    first = make_detailed_order(store_a, number="F-1", shipping_method="UPS Ground Saver")
    second = make_detailed_order(store_a, number="F-2", shipping_method="UPS Ground Saver")
    form = alice_client.get(reverse("portal:order_ship", args=[second.pk])).context["form"]
    assert form["carrier"].value() != "UPS" or form["service"].value() != "Ground"  # nothing learned yet

    response = alice_client.post(reverse("portal:order_ship", args=[first.pk]), _ship_data(first))
    assert response.status_code == 302
    mapping = ShippingMethodMapping.objects.get(store=store_a, requested_method="UPS Ground Saver")
    assert (mapping.carrier, mapping.service, mapping.source, mapping.times_used) == ("UPS", "Ground", "learned", 1)
    assert mapping.tenant_id == store_a.tenant_id and mapping.updated_by == "alice"

    page = alice_client.get(reverse("portal:order_ship", args=[second.pk]))
    assert (page.context["form"]["carrier"].value(), page.context["form"]["service"].value()) == ("UPS", "Ground")
    assert 'id="prefill-note"' in page.content.decode()


def test_the_last_choice_wins_and_a_repeat_counts(store_a):
    orders = [make_detailed_order(store_a, shipping_method="Express") for _ in range(3)]
    make_shipment(orders[0], carrier="FedEx", service="2Day")
    make_shipment(orders[1], carrier="FedEx", service="2Day")
    assert ShippingMethodMapping.objects.get(requested_method="Express").times_used == 2
    make_shipment(orders[2], carrier="dhl express", service="Worldwide")
    mapping = ShippingMethodMapping.objects.get(requested_method="Express")
    assert (mapping.carrier, mapping.service, mapping.times_used) == ("DHL", "Worldwide", 1)


def test_no_requested_method_learns_nothing(store_a):
    make_shipment(make_detailed_order(store_a, shipping_method=""), carrier="UPS")
    assert not ShippingMethodMapping.objects.exists()


def test_mappings_are_per_store(store_a, tenant_a):
    other = make_store(tenant_a, name="Outlet")
    make_shipment(make_detailed_order(store_a, shipping_method="Standard"), carrier="USPS", service="Ground")
    order = make_detailed_order(other, shipping_method="Standard")
    from shipments.selectors import shipping_method_mapping_for

    assert shipping_method_mapping_for(order) is None


def test_the_service_refuses_an_unknown_carrier(store_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        shipping_method_mapping_set(store=store_a, requested_method="X", carrier="Pony Express")
    assert "carrier" in exc.value.message_dict


# --- the portal page ---------------------------------------------------------------------------------


def test_list_add_edit_and_delete_with_confirmation(alice_client, store_a):
    url = reverse("portal:shipping_methods", args=[store_a.pk])
    assert "Nothing learned yet" in alice_client.get(url).content.decode()
    response = alice_client.post(
        url, {"requested_method": " Priority Overnight ", "carrier": "FedEx", "service": "Priority Overnight"}
    )
    assert response.status_code == 302
    mapping = ShippingMethodMapping.objects.get(store=store_a)
    assert (mapping.requested_method, mapping.source) == ("Priority Overnight", MappingSource.EDITED)
    body = alice_client.get(url).content.decode()
    assert "Priority Overnight" in body and "Set by hand" in body

    edit = reverse("portal:shipping_method_edit", args=[store_a.pk, mapping.pk])
    assert alice_client.post(edit, {"carrier": "UPS", "service": "Next Day Air"}).status_code == 302
    mapping.refresh_from_db()
    assert (mapping.carrier, mapping.service) == ("UPS", "Next Day Air")

    delete = reverse("portal:shipping_method_delete", args=[store_a.pk, mapping.pk])
    confirm = alice_client.get(delete)
    assert confirm.status_code == 200 and "Delete this shipping method?" in confirm.content.decode()
    assert ShippingMethodMapping.objects.exists()  # asking is not deleting
    assert alice_client.post(delete).status_code == 302
    assert not ShippingMethodMapping.objects.exists()


def test_errors_are_shown_in_words(alice_client, store_a):
    url = reverse("portal:shipping_methods", args=[store_a.pk])
    response = alice_client.post(url, {"requested_method": "", "carrier": "Pony", "service": "x" * 60})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"requested_method", "carrier", "service"}


def test_viewer_sees_the_table_without_edit_controls(bob_client, store_a):
    shipping_method_mapping_set(store=store_a, requested_method="Ground", carrier="UPS", service="Ground")
    body = bob_client.get(reverse("portal:shipping_methods", args=[store_a.pk])).content.decode()
    assert "Ground" in body and "shipping-method-add" not in body and "Delete" not in body


def test_the_store_settings_link_to_the_table(alice_client, store_a):
    body = alice_client.get(reverse("portal:store_settings", args=[store_a.pk])).content.decode()
    assert reverse("portal:shipping_methods", args=[store_a.pk]) in body


def test_the_admin_saves_through_the_service(client, operator, store_a):
    operator_sign_in(client, operator)
    response = client.post(
        reverse("admin:shipments_shippingmethodmapping_add"),
        {"store": store_a.pk, "requested_method": "Freight", "carrier": "Other", "service": "Pallet"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    mapping = ShippingMethodMapping.objects.get(requested_method="Freight")
    assert (mapping.tenant_id, mapping.source, mapping.updated_by) == (store_a.tenant_id, "edited", "operator")


# --- Ship & next --------------------------------------------------------------------------------------


def _queue(store):
    now = timezone.now()
    fronts = [Storefront.objects.create(store=store, name=n) for n in ["Zeta", "Alpha", "Mid"]]
    return {
        "OLD": make_detailed_order(
            store,
            number="OLD",
            order_date=now - dt.timedelta(days=3),
            shipping_method="UPS",
            order_total=Decimal("10"),
            storefront=fronts[0],
        ),
        "MID": make_detailed_order(
            store,
            number="MID",
            order_date=now - dt.timedelta(days=2),
            shipping_method="FedEx",
            order_total=Decimal("99"),
            storefront=fronts[1],
        ),
        "NEW": make_detailed_order(
            store,
            number="NEW",
            order_date=now - dt.timedelta(days=1),
            shipping_method="USPS",
            order_total=Decimal("50"),
            storefront=fronts[2],
        ),
        "HELD": make_detailed_order(
            store, number="HELD", order_date=now - dt.timedelta(days=2, hours=12), status=OrderStatus.ON_HOLD
        ),
    }


@pytest.mark.parametrize(
    "sort,expected",
    [
        ("oldest", ["OLD", "MID", "NEW"]),
        ("newest", ["NEW", "MID", "OLD"]),
        ("service", ["MID", "OLD", "NEW"]),
        ("storefront", ["MID", "NEW", "OLD"]),
        ("total", ["MID", "NEW", "OLD"]),
    ],
)
def test_next_in_queue_follows_every_sort_of_the_list(alice_client, store_a, sort, expected):
    orders = _queue(store_a)
    listed = alice_client.get(reverse("portal:order_list"), {"status": "awaiting_shipment", "sort": sort})
    assert [o.number for o in listed.context["orders"]] == expected
    walked, current = [expected[0]], orders[expected[0]]
    while (current := next_in_queue(tenant=store_a.tenant, after=current, sort=sort)) is not None:
        walked.append(current.number)
    assert walked == expected


def test_ship_and_next_walks_the_queue_with_the_lists_filters(alice_client, store_a, tenant_a):
    orders = _queue(store_a)
    other = make_store(tenant_a, name="Other")
    make_detailed_order(other, number="ELSEWHERE", order_date=timezone.now() - dt.timedelta(days=2, hours=6))
    query = f"sort=oldest&store={store_a.pk}"
    url = reverse("portal:order_ship", args=[orders["OLD"].pk]) + "?" + query
    response = alice_client.post(url, _ship_data(orders["OLD"], ship_next="1"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:order_ship", args=[orders["MID"].pk]) + "?" + query
    orders["OLD"].refresh_from_db()
    assert orders["OLD"].status == OrderStatus.SHIPPED

    response = alice_client.post(response["Location"], _ship_data(orders["MID"], ship_next="1"))
    assert response["Location"].startswith(reverse("portal:order_ship", args=[orders["NEW"].pk]))
    response = alice_client.post(response["Location"], _ship_data(orders["NEW"], ship_next="1"))
    # The last one: back to the list, filters kept, and said so.
    assert response["Location"] == reverse("portal:order_list") + "?status=awaiting_shipment&" + query
    follow = alice_client.get(response["Location"])
    assert "That was the last order awaiting shipment in this list" in follow.content.decode()


def test_plain_ship_still_goes_to_the_order(alice_client, store_a):
    order = make_detailed_order(store_a)
    response = alice_client.post(reverse("portal:order_ship", args=[order.pk]), _ship_data(order))
    assert response["Location"] == reverse("portal:order_detail", args=[order.pk])


def test_ship_and_next_on_an_invalid_form_stays(alice_client, store_a):
    order = make_detailed_order(store_a)
    response = alice_client.post(
        reverse("portal:order_ship", args=[order.pk]), _ship_data(order, ship_next="1", tracking_number="")
    )
    assert response.status_code == 200 and not order.shipments.exists()


def test_the_list_and_the_order_page_carry_the_query_to_the_ship_form(alice_client, store_a):
    order = make_detailed_order(store_a)
    listed = alice_client.get(reverse("portal:order_list"), {"status": "awaiting_shipment", "sort": "total"})
    detail_url = reverse("portal:order_detail", args=[order.pk]) + "?status=awaiting_shipment&amp;sort=total"
    assert detail_url in listed.content.decode()
    page = alice_client.get(
        reverse("portal:order_detail", args=[order.pk]), {"status": "awaiting_shipment", "sort": "total"}
    )
    assert (
        reverse("portal:order_ship", args=[order.pk]) + "?status=awaiting_shipment&amp;sort=total"
        in page.content.decode()
    )
    form = alice_client.get(reverse("portal:order_ship", args=[order.pk]), {"sort": "total", "page": "3"})
    assert form.context["queue_query"] == "sort=total" and 'id="ship-and-next"' in form.content.decode()


def test_finding_the_next_order_costs_one_query_whatever_the_queue(store_a):
    from tests.portal.test_orders import _bulk_orders

    order = make_detailed_order(store_a, order_date=timezone.now() - dt.timedelta(days=9))
    _bulk_orders(store_a, 300)
    with CaptureQueriesContext(connection) as ctx:
        following = next_in_queue(tenant=store_a.tenant, after=order, sort="storefront")
    assert following is not None and len(ctx.captured_queries) == 1


def test_the_order_page_links_to_the_lists_previous_and_next_orders(alice_client, store_a):
    orders = _queue(store_a)
    url = reverse("portal:order_detail", args=[orders["MID"].pk])
    page = alice_client.get(url, {"status": "awaiting_shipment", "sort": "total"})
    # Total, highest first: MID (99) is first, then NEW (50).
    assert "previous" not in page.context["neighbours"]
    assert page.context["neighbours"]["next"][0].number == "NEW"
    body = page.content.decode()
    assert 'rel="next"' in body and 'data-shortcut="next"' in body
    # "All" tab, newest first: MID sits between NEW and HELD (2.5 days old).
    page = alice_client.get(url, {"status": ""})
    assert page.context["neighbours"]["previous"][0].number == "NEW"
    assert page.context["neighbours"]["next"][0].number == "HELD"
    # Not opened from the list: no links, no extra queries.
    assert alice_client.get(url).context["neighbours"] == {}


# --- issue 25 item 14: the service is optional on both ship forms; the banner says what was filled in ------


def test_the_single_ship_form_takes_an_empty_service_like_the_batch_form(alice_client, store_a):
    order = make_detailed_order(store_a, number="NS-1")
    page = alice_client.get(reverse("portal:order_ship", args=[order.pk])).content.decode()
    assert re.search(r'for="id_service">[^<]*<span class="optional">', page)
    response = alice_client.post(reverse("portal:order_ship", args=[order.pk]), _ship_data(order, service=""))
    assert response.status_code == 302
    assert order.shipments.get().service == ""


def test_the_banner_says_the_service_is_filled_in_only_when_it_is(alice_client, store_a):
    with_service = make_detailed_order(store_a, shipping_method="Express")
    without = make_detailed_order(store_a, shipping_method="Standard")
    shipping_method_mapping_set(store=store_a, requested_method="Express", carrier="FedEx", service="2Day")
    shipping_method_mapping_set(store=store_a, requested_method="Standard", carrier="USPS", service="")
    page = alice_client.get(reverse("portal:order_ship", args=[with_service.pk])).content.decode()
    assert "Carrier and service are filled in from your choice for “Express”." in page
    page = alice_client.get(reverse("portal:order_ship", args=[without.pk]))
    assert page.context["form"]["service"].value() in ("", None)
    html = page.content.decode()
    assert "Carrier and service are filled in" not in html
    assert "The carrier is filled in from your choice for “Standard”; no service was chosen for it." in html
    french = alice_client.get(
        reverse("portal:order_ship", args=[without.pk]), headers={"accept-language": "fr"}
    ).content.decode()
    assert "Le transporteur est prérempli d'après votre choix pour « Standard » ; aucun service" in french


def test_ship_and_next_walks_the_marked_for_me_queue(alice_client, alice, store_a, tenant_a):
    """Issue 30: "Marked for me" is a queue of its own: Ship & next goes to the next order marked for me,
    skipping the others, and the order page's neighbours stay in it."""
    from orders.rules.services import orders_assignee_set

    orders = _queue(store_a)
    orders_assignee_set(tenant=tenant_a, orders=[orders["OLD"], orders["NEW"]], user=alice, actor="alice")
    query = f"assignee={alice.pk}"
    url = reverse("portal:order_ship", args=[orders["OLD"].pk]) + "?" + query
    response = alice_client.post(url, _ship_data(orders["OLD"], ship_next="1"))
    assert response["Location"] == reverse("portal:order_ship", args=[orders["NEW"].pk]) + "?" + query
    page = alice_client.get(
        reverse("portal:order_detail", args=[orders["NEW"].pk]) + "?status=awaiting_shipment&" + query
    )
    assert page.context["neighbours"].get("previous") is None  # OLD is shipped, MID is not mine
