"""CSV out (the list's orders and their shipments, streamed, stable columns) and CSV in (tracking numbers:
preview with per-row errors before anything is written, confirm ships the valid rows, a re-import ships
nothing)."""

import csv
import io
import tracemalloc

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import StreamingHttpResponse
from django.urls import reverse

from orders.csv_export import ORDER_COLUMNS, orders_csv
from orders.models import Order, OrderStatus
from shipments.csv_export import SHIPMENT_COLUMNS
from shipments.models import BatchItem, CsvImport, Shipment
from tests.factories import make_order, make_shipment

from .test_orders import _bulk_orders


def _rows(response) -> list[dict]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


# --- out ---------------------------------------------------------------------------------------------


def test_orders_export_follows_the_lists_filters_with_the_documented_columns(alice_client, store_a, store_b):
    make_order(store_a, number="WAIT-1", ship_to={"name": "Pat", "city": "Austin", "country": "US"})
    make_order(store_a, number="HELD-1", status=OrderStatus.ON_HOLD)
    make_order(store_b, number="THEIRS-1")
    response = alice_client.get(reverse("portal:orders_export"), {"status": "awaiting_shipment"})
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="orders-')
    rows = _rows(response)
    assert list(rows[0]) == list(ORDER_COLUMNS)
    assert [r["order_number"] for r in rows] == ["WAIT-1"]
    assert rows[0]["ship_to_city"] == "Austin" and rows[0]["status"] == "awaiting_shipment"
    everything = _rows(alice_client.get(reverse("portal:orders_export")))
    assert {r["order_number"] for r in everything} == {"WAIT-1", "HELD-1"}


def test_orders_export_of_a_selection_and_formula_cells_are_text(alice_client, store_a):
    evil = make_order(store_a, number="E-1", ship_to_name='=HYPERLINK("x")')
    make_order(store_a, number="E-2")
    rows = _rows(alice_client.post(reverse("portal:orders_export"), {"order_ids": [evil.pk]}))
    assert [r["order_number"] for r in rows] == ["E-1"]
    assert rows[0]["customer_name"].startswith("'=")


def test_shipments_export_matches_the_database(alice_client, store_a, alice):
    orders = [make_order(store_a) for _ in range(3)]
    for i, order in enumerate(orders):
        make_shipment(order, carrier="USPS", service="Priority", tracking_number=f"9400{i}", user=alice)
    rows = _rows(alice_client.get(reverse("portal:shipments_export")))
    assert list(rows[0]) == list(SHIPMENT_COLUMNS)
    expected = {
        (s.order.number, s.tracking_number, s.carrier, s.ship_date.isoformat(), "alice")
        for s in Shipment.objects.select_related("order")
    }
    assert {
        (r["order_number"], r["tracking_number"], r["carrier"], r["ship_date"], r["created_by"]) for r in rows
    } == expected


def test_outsider_exports_none_of_tenant_a(charlie_client, store_a, alice):
    order = make_order(store_a, number="A-SECRET")
    make_shipment(order, tracking_number="SECRET1", user=alice)
    assert _rows(charlie_client.get(reverse("portal:orders_export"))) == []
    assert _rows(charlie_client.get(reverse("portal:shipments_export"))) == []
    assert _rows(charlie_client.post(reverse("portal:orders_export"), {"order_ids": [order.pk]})) == []


def _peak_bytes(orders) -> int:
    lines = orders_csv(orders)
    tracemalloc.start()
    try:
        for _ in lines:
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_export_streams_in_chunks_ten_thousand_rows_never_in_memory_at_once(store_a):
    """The peak memory of writing 10,000 orders (five chunks) stays near that of 2,000 (one): rows are read a
    chunk at a time. Two chunks may be alive at once (PostgreSQL's cursor fetches the next while the last is
    still referenced), so the bound is three times the one chunk's peak; the whole table would be five."""
    _bulk_orders(store_a, 2_000)
    small = _peak_bytes(Order.objects.filter(store=store_a).order_by("pk"))
    _bulk_orders(store_a, 8_000, start=2_000)
    large = _peak_bytes(Order.objects.filter(store=store_a).order_by("pk"))
    assert large < small * 3, (small, large)


# --- in ----------------------------------------------------------------------------------------------


def _hundred_rows_five_bad(store) -> bytes:
    """100 rows for 100 orders; five are invalid in five ways."""
    orders = [make_order(store, number=f"CSV-{i:03d}") for i in range(100)]
    Order.objects.filter(pk=orders[4].pk).update(status=OrderStatus.ON_HOLD)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Order #", "Carrier", "Service", "Tracking Number", "Ship Date", "Cost"])
    for i, order in enumerate(orders):
        row = [order.number, "UPS", "Ground", f"1Z{i:06d}", "2026-11-30", "7.50"]
        if i == 0:
            row[0] = "NOPE-1"  # no such order
        elif i == 1:
            row[1] = "Pigeon"  # unknown carrier
        elif i == 2:
            row[4] = "30/30/2026"  # not a date
        elif i == 3:
            row[5] = "-3"  # negative fee
        elif i == 4:
            pass  # the order is on hold
        writer.writerow(row)
    return out.getvalue().encode()


def _upload(client, content: bytes, name="tracking.csv"):
    return client.post(reverse("portal:tracking_import"), {"file": SimpleUploadedFile(name, content, "text/csv")})


def test_import_previews_five_row_errors_ships_the_95_and_a_reimport_ships_nothing(alice_client, store_a):
    content = _hundred_rows_five_bad(store_a)
    uploaded = _upload(alice_client, content)
    assert uploaded.status_code == 302
    preview = alice_client.get(uploaded["Location"])
    page = preview.content.decode()
    assert preview.context["will_ship"] == 95 and len(preview.context["errors"]) == 5
    assert not Shipment.objects.exists()  # nothing written before the confirmation
    for reason in (
        "No order NOPE-1 in this workspace.",
        "“Pigeon” is not a carrier Outbound knows",
        "“30/30/2026” is not a date",
        "The fee cannot be negative (-3).",
        "Order CSV-004 cannot be shipped: it is on hold.",
    ):
        assert reason in page, reason

    done = alice_client.post(uploaded["Location"], {"action": "confirm"})
    assert Shipment.objects.count() == 95
    shipment = Shipment.objects.get(tracking_number="1Z000010")
    assert (
        shipment.order.number,
        shipment.carrier,
        shipment.service,
        str(shipment.carrier_fee),
        shipment.ship_date.isoformat(),
    ) == ("CSV-010", "UPS", "Ground", "7.50", "2026-11-30")
    assert alice_client.get(done["Location"]).content.decode().count('data-outcome="shipped"') == 95
    alice_client.post(uploaded["Location"], {"action": "confirm"})  # the same confirmation twice
    assert Shipment.objects.count() == 95

    again = _upload(alice_client, content)
    preview = alice_client.get(again["Location"])
    assert preview.context["will_ship"] == 0 and preview.context["already"] == 95
    assert len(preview.context["errors"]) == 5
    alice_client.post(again["Location"], {"action": "confirm"})
    assert Shipment.objects.count() == 95
    assert not BatchItem.objects.filter(
        batch__key=f"csv:{CsvImport.objects.latest('pk').pk}", outcome="shipped"
    ).exists()


def test_columns_are_guessed_and_can_be_remapped(alice_client, store_a):
    make_order(store_a, number="M-1")
    content = b"ref;shipper;parcel id\nM-1;FedEx;7712345\n"
    uploaded = _upload(alice_client, content)
    record = CsvImport.objects.get()
    assert record.mapping["order_number"] == 0 and record.mapping["tracking_number"] is None
    page = alice_client.get(uploaded["Location"]).content.decode()
    assert 'id="mapping-problems"' in page and 'id="import-confirm"' not in page
    alice_client.post(
        uploaded["Location"], {"action": "map", "order_number": "0", "carrier": "1", "tracking_number": "2"}
    )
    preview = alice_client.get(uploaded["Location"])
    assert preview.context["will_ship"] == 1
    alice_client.post(uploaded["Location"], {"action": "confirm"})
    assert Shipment.objects.get().tracking_number == "7712345"


def test_unreadable_files_are_refused_in_words(alice_client, store_a):
    assert "empty" in _upload(alice_client, b"").content.decode()
    assert "The file is empty." in _upload(alice_client, b"\n\n").content.decode()
    assert "header line but no rows" in _upload(alice_client, b"order,carrier,tracking\n").content.decode()
    assert not CsvImport.objects.exists()


def test_outsider_cannot_open_or_confirm_an_import(alice_client, charlie_client, store_a):
    make_order(store_a, number="O-1")
    uploaded = _upload(alice_client, b"order,carrier,tracking\nO-1,UPS,1Z1\n")
    assert charlie_client.get(uploaded["Location"]).status_code == 404
    assert charlie_client.post(uploaded["Location"], {"action": "confirm"}).status_code == 404
    assert not Shipment.objects.exists()


def test_a_file_csv_cannot_parse_is_refused_in_words(alice_client, store_a):
    huge_cell = b'order,carrier,tracking\n"' + b"x" * 200_000 + b'",UPS,1Z\n'
    assert "The file cannot be read as CSV." in _upload(alice_client, huge_cell).content.decode()


def test_shipments_export_shows_the_labels_cost_apart_from_the_buyers_shipping(alice_client, store_a, tenant_a):
    """Issue 29 part 8: the carrier's charge for a label bought through Outbound, empty without a label."""
    from labels.models import LabelPurchase

    labelled_order = make_order(store_a, number="L-1", shipping_amount="12.50")
    plain_order = make_order(store_a, number="P-1", shipping_amount="5.00")
    shipment = make_shipment(labelled_order, carrier="USPS", tracking_number="9400L1")
    make_shipment(plain_order, carrier="UPS", tracking_number="1ZP1", carrier_fee="4.00")
    LabelPurchase.objects.create(
        tenant=tenant_a,
        order=labelled_order,
        carrier="USPS",
        service="usps_priority_mail",
        price="9.42",
        currency="USD",
        state="bought",
        shipment=shipment,
    )
    rows = {r["order_number"]: r for r in _rows(alice_client.get(reverse("portal:shipments_export")))}
    assert (rows["L-1"]["label_cost"], rows["L-1"]["label_currency"], rows["L-1"]["shipping_paid"]) == (
        "9.42",
        "USD",
        "12.50",
    )
    assert (rows["P-1"]["label_cost"], rows["P-1"]["label_currency"], rows["P-1"]["shipping_paid"]) == ("", "", "5.00")
    assert rows["P-1"]["carrier_fee"] == "4.00"
