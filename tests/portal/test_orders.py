import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, OrderStatus
from outbox.models import OutboxMessage, OutboxState
from shipments.models import ShipmentState, shipment_ref
from tests.factories import make_detailed_order


def test_search_finds_order_by_sku_number_email_and_name(alice_client, order_a, store_a):
    make_detailed_order(store_a, number="A-999", sku="OTHER", email="zed@example.com", ship_to_name="Zed")
    url = reverse("portal:order_list")
    for term in ["MUG-RED", "A-100", order_a.email]:
        body = alice_client.get(url, {"q": term}).content.decode()
        assert "#A-100" in body and "#A-999" not in body
    assert "#A-999" in alice_client.get(url, {"q": "Zed"}).content.decode()


def test_status_tab_and_counts(alice_client, order_a, store_a):
    make_detailed_order(store_a, number="A-SHIPPED", status=OrderStatus.SHIPPED)
    response = alice_client.get(reverse("portal:order_list"), {"status": "shipped"})
    body = response.content.decode()
    assert "#A-SHIPPED" in body and "#A-100" not in body
    assert dict((c, n) for c, _label, n in response.context["tabs"])["shipped"] == 1


def test_date_and_store_filters(alice_client, order_a, store_a, tenant_a):
    from tests.factories import make_store

    other = make_store(tenant_a, name="Second")
    make_detailed_order(other, number="A-OTHER")
    make_detailed_order(store_a, number="A-OLD", order_date=timezone.now() - dt.timedelta(days=40))
    url = reverse("portal:order_list")
    body = alice_client.get(url, {"store": store_a.pk}).content.decode()
    assert "#A-100" in body and "#A-OTHER" not in body
    since = (timezone.now() - dt.timedelta(days=5)).date().isoformat()
    body = alice_client.get(url, {"date_from": since}).content.decode()
    assert "#A-100" in body and "#A-OLD" not in body


def test_pagination_has_next_page(alice_client, store_a):
    _bulk_orders(store_a, 60)
    first = alice_client.get(reverse("portal:order_list"))
    second = alice_client.get(reverse("portal:order_list"), {"page": 2})
    assert first.context["has_next"] and len(first.context["orders"]) == 50
    assert not second.context["has_next"] and len(second.context["orders"]) == 10


@pytest.mark.parametrize("page", ["9" * 40, "99", "²", "-3", "x"])
def test_a_page_past_the_last_or_unreadable_shows_a_page_not_a_500(alice_client, store_a, page):
    _bulk_orders(store_a, 60)
    response = alice_client.get(reverse("portal:order_list"), {"page": page})
    assert response.status_code == 200
    expected = 2 if page in ("9" * 40, "99") else 1  # past the last: the last; unreadable: the first
    assert response.context["page"] == expected and len(response.context["orders"]) == (10 if expected == 2 else 50)


def _bulk_orders(store, n, start=0):
    now = timezone.now()
    Order.objects.bulk_create(
        (
            Order(
                tenant_id=store.tenant_id,
                store=store,
                external_id=f"b{i}",
                number=f"B{i}",
                store_status="New",
                status=OrderStatus.AWAITING_SHIPMENT,
                order_date=now,
                modified_at=now,
            )
            for i in range(start, start + n)
        ),
        batch_size=5000,
    )


def _grow_orders_in_database(store, *, to):
    """Copy the store's orders inside the database (INSERT … SELECT) until there are `to` of them:
    seconds instead of a minute of Python objects, on SQLite and PostgreSQL alike."""
    columns = [f.column for f in Order._meta.concrete_fields if not f.primary_key]
    table = Order._meta.db_table
    with connection.cursor() as cursor:
        for round_no in range(1, 20):
            have = Order.objects.filter(store=store).count()
            if have >= to:
                break
            copied = ", ".join(c if c not in ("external_id", "number") else f"{c} || '-r{round_no}'" for c in columns)
            sql = (
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {copied} FROM {table} "
                f"WHERE store_id = %s ORDER BY id LIMIT %s"
            )
            cursor.execute(sql, [store.pk, to - have])


def _queries_for_first_page(client):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("portal:order_list"), {"status": "awaiting_shipment"}).status_code == 200
    return len(ctx.captured_queries)


def test_order_list_queries_do_not_grow_with_orders(alice_client, store_a, django_assert_num_queries):
    _bulk_orders(store_a, 1_000)
    _queries_for_first_page(alice_client)  # the first request also writes the session's tenant
    small = _queries_for_first_page(alice_client)
    _grow_orders_in_database(store_a, to=100_000)
    assert Order.objects.count() == 100_000
    with django_assert_num_queries(small):
        alice_client.get(reverse("portal:order_list"), {"status": "awaiting_shipment"})


def test_order_page_shows_every_imported_field(alice_client, order_a):
    body = alice_client.get(reverse("portal:order_detail", args=[order_a.pk])).content.decode()
    for text in [
        order_a.email,
        "555-0100",
        "USPS Priority",
        "Visa",
        "SPRING10",
        "-4.00",
        "Happy birthday",
        "VIP",
        "Leave at door",
        "1.5",
        "0.75",
        "https://cdn.example.com/mug.png",
        "Colour: Red",
        "A-01-3",
        "Electronic",
        "Imported from the store",
    ]:
        assert text in body, text


def _ship_data(order, **extra):
    line = order.lines.get(line_key="1")
    data = {
        "carrier": "UPS",
        "service": "Ground",
        "tracking_number": "1Z999",
        "ship_date": timezone.now().date(),
        "carrier_fee": "7.50",
        "notes_to_buyer": "Thanks!",
        "notify_buyer": "on",
        f"qty_{line.pk}": "2",
    }
    data.update(extra)
    return data


def test_ship_form_records_a_shipment(alice_client, order_a, monkeypatch):
    response = alice_client.post(reverse("portal:order_ship", args=[order_a.pk]), _ship_data(order_a))
    assert response.status_code == 302
    shipment = order_a.shipments.get()
    assert (shipment.carrier, shipment.tracking_number, str(shipment.carrier_fee)) == ("UPS", "1Z999", "7.50")
    assert shipment.notes_to_buyer == "Thanks!" and shipment.lines.get().quantity == 2


def test_ship_form_explains_errors_in_plain_words(alice_client, order_a):
    line = order_a.lines.get(line_key="1")
    data = _ship_data(order_a, tracking_number="", **{f"qty_{line.pk}": "5"})
    body = alice_client.post(reverse("portal:order_ship", args=[order_a.pk]), data).content.decode()
    assert "This field is required." in body and "Only 2 left to ship on this line." in body
    assert not order_a.shipments.exists()


def test_ship_form_needs_at_least_one_item(alice_client, order_a):
    line = order_a.lines.get(line_key="1")
    body = alice_client.post(
        reverse("portal:order_ship", args=[order_a.pk]), _ship_data(order_a, **{f"qty_{line.pk}": "0"})
    ).content.decode()
    assert "Choose at least one item to ship." in body


def test_shipment_void_and_deliver(alice_client, shipment_a):
    alice_client.post(reverse("portal:shipment_deliver", args=[shipment_a.pk]))
    shipment_a.refresh_from_db()
    assert shipment_a.state == ShipmentState.DELIVERED
    alice_client.post(reverse("portal:shipment_void", args=[shipment_a.pk]))
    shipment_a.refresh_from_db()
    assert shipment_a.state == ShipmentState.VOIDED


def test_failed_store_update_can_be_retried(alice_client, shipment_a):
    OutboxMessage.objects.filter(ref=shipment_ref(shipment_a.pk)).update(state=OutboxState.FAILED)
    shipment_a.__class__.objects.filter(pk=shipment_a.pk).update(store_update_state=OutboxState.FAILED)
    page = alice_client.get(reverse("portal:order_detail", args=[shipment_a.order_id])).content.decode()
    assert reverse("portal:shipment_retry", args=[shipment_a.pk]) in page
    response = alice_client.post(reverse("portal:shipment_retry", args=[shipment_a.pk]))
    assert response.status_code == 302


def test_a_tracking_number_longer_than_its_column_is_a_form_error(alice_client, order_a):
    """shipment_create checks what is typed against the columns, so no database (PostgreSQL) refuses it later."""
    response = alice_client.post(
        reverse("portal:order_ship", args=[order_a.pk]), _ship_data(order_a, tracking_number="1Z" + "9" * 68)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["tracking_number"]
    assert not order_a.shipments.exists()
