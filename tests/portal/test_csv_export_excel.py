"""The CSV export as spreadsheets open it (issue 25): formula cells neutralised whatever precedes the sign
(blanks, TAB, CR, LF) or however it is written (full-width ＝＋－＠); the Excel flavour with `;` and decimal
commas in French, times Excel reads, statuses in words beside their codes."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.csv_export import ORDER_COLUMNS, orders_csv
from orders.models import Order
from tests.factories import make_order, make_shipment


def _text(response) -> str:
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())  # the BOM: Excel reads UTF-8
    return raw.decode("utf-8-sig")


@pytest.mark.parametrize(
    "name",
    [
        '=HYPERLINK("x")',
        " =1+1",
        "\t=1+1",
        "\r=1+1",
        "\n@SUM(A1)",
        "  +cmd",
        '＝HYPERLINK("x")',
        "＋1+1",
        "－1+cmd",
        "＠SUM(A1)",
        "\tplain",
        "\rplain",
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(store_a, name):
    make_order(store_a, number="F-1", ship_to_name=name)
    lines = "".join(orders_csv(Order.objects.filter(store=store_a)))
    row = next(csv.DictReader(io.StringIO(lines.lstrip("\ufeff"))))
    assert row["customer_name"] == "'" + name


def test_plain_numbers_and_words_stay_as_they_are(store_a):
    make_order(store_a, number="-12", ship_to_name="Ann - Lee")
    lines = "".join(orders_csv(Order.objects.filter(store=store_a)))
    row = next(csv.DictReader(io.StringIO(lines.lstrip("\ufeff"))))
    assert (row["order_number"], row["customer_name"]) == ("-12", "Ann - Lee")


def test_the_excel_export_in_french_uses_semicolons_decimal_commas_local_times_and_words(alice_client, store_a, alice):
    order = make_order(
        store_a,
        number="XL-1",
        order_total=Decimal("1234.50"),
        order_date=dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC),
    )
    make_shipment(order, carrier="UPS", tracking_number="1Z1", user=alice)
    alice_client.cookies["django_language"] = "fr"
    text = _text(alice_client.get(reverse("portal:orders_export"), {"format": "excel"}))
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header, row = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert header[:4] == ["order_number", "order_date", "status", "status_text"]
    assert row["order_total"] == "1234,50"
    assert row["order_date"] == "2026-11-30 23:30:00"  # the active time zone (UTC here), a form Excel reads
    assert (row["status"], row["status_text"]) == ("shipped", "Expédiée")
    assert (row["shipping"], row["shipping_text"]) == ("full", "Entièrement expédiée")

    shipments = _text(alice_client.get(reverse("portal:shipments_export"), {"format": "excel"}))
    srows = list(csv.DictReader(io.StringIO(shipments), delimiter=";"))
    assert (srows[0]["state"], srows[0]["state_text"]) == ("shipped", "Expédiée")

    alice_client.cookies["django_language"] = "en"
    english = _text(alice_client.get(reverse("portal:orders_export"), {"format": "excel"}))
    erow = next(csv.DictReader(io.StringIO(english)))  # commas in English, decimal point
    assert (erow["order_total"], erow["status_text"]) == ("1234.50", "Shipped")


def test_the_plain_export_keeps_its_documented_columns(alice_client, store_a):
    make_order(store_a, number="P-1")
    alice_client.cookies["django_language"] = "fr"
    text = _text(alice_client.get(reverse("portal:orders_export")))
    assert next(csv.reader(io.StringIO(text))) == list(ORDER_COLUMNS)


def test_the_list_offers_the_excel_export(alice_client, store_a):
    page = alice_client.get(reverse("portal:order_list"), {"status": "awaiting_shipment"}).content.decode()
    assert 'id="export-orders-excel"' in page and "format=excel&amp;status=awaiting_shipment" in page


def test_outsider_exports_none_of_tenant_a_for_excel(charlie_client, store_a, alice):
    order = make_order(store_a, number="A-SECRET")
    make_shipment(order, tracking_number="SECRET1", user=alice)
    for name in ("portal:orders_export", "portal:shipments_export"):
        text = _text(charlie_client.get(reverse(name), {"format": "excel"}))
        assert "SECRET" not in text and len(text.splitlines()) == 1
