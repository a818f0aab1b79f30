"""The tracking CSV import as merchants' files really are (issue 25): French Excel (BOM, `;`, CRLF, day-first
dates, French headers, spaced tracking numbers), carrier software's headers, UTF-16, NUL bytes, an order
number two stores share, dates that read two ways (asked, never guessed), the same layout uploaded again,
a file with nothing new; and a tampered batch key that must not block a later import."""

import codecs
import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from shipments import csv_import
from shipments.models import Batch, CsvImport, Shipment
from tests.factories import make_order, make_store

ORDERED = dt.datetime(2026, 1, 2, 12, 0, tzinfo=dt.UTC)
# The mapping form posted for a file "order, carrier, tracking, date" with day-first dates.
DAY_FIRST_MAPPING = {
    "action": "map",
    "order_number": "0",
    "carrier": "1",
    "tracking_number": "2",
    "ship_date": "3",
    "date_order": "dmy",
}


def _upload(client, content: bytes, name="suivi.csv"):
    return client.post(reverse("portal:tracking_import"), {"file": SimpleUploadedFile(name, content, "text/csv")})


def _past(*, ambiguous: bool) -> dt.date:
    """A recent past date: one whose day is 12 or less and not its month (06/12 reads both ways), or one
    whose day is above 12 (13/11 reads one way only)."""
    day = timezone.localdate() - dt.timedelta(days=1)
    while (day.day <= 12 and day.day != day.month) != ambiguous:
        day -= dt.timedelta(days=1)
    return day


def _dmy(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _french_excel(rows: list[list[str]]) -> bytes:
    header = ["Commande", "Boutique", "Transporteur", "Service", "N° de suivi", "Date d'expédition", "Frais"]
    lines = [";".join(header)] + [";".join(row) for row in rows]
    return codecs.BOM_UTF8 + ("\r\n".join(lines) + "\r\n").encode("utf-8")


def test_the_french_excel_tracking_file_ships_every_good_row_once_with_the_right_date(alice_client, store_a):
    outlet = make_store(store_a.tenant, name="Acme Outlet")
    make_order(store_a, number="FR-1", order_date=ORDERED)
    make_order(store_a, number="FR-2", order_date=ORDERED)
    make_order(store_a, number="SHARED-7", order_date=ORDERED)
    shared_outlet = make_order(outlet, number="SHARED-7", order_date=ORDERED)
    make_order(store_a, number="SHARED-8", order_date=ORDERED)
    make_order(outlet, number="SHARED-8", order_date=ORDERED)
    ambiguous, plain = _past(ambiguous=True), _past(ambiguous=False)
    content = _french_excel(
        [
            ["FR-1", "", "USPS", "Priority Mail", "9400 1000 0000 0000 0000 00", _dmy(ambiguous), "7,50"],
            ["FR-2", "", "UPS", "Standard", "1Z999AA10123456784", _dmy(plain), ""],
            ["SHARED-7", "acme outlet", "UPS", "", "1Z999AA10123456785", _dmy(ambiguous), ""],
            ["SHARED-8", "", "UPS", "", "1Z999AA10123456786", _dmy(plain), ""],  # two stores, no store: left out
            ["FR-3", "Nowhere", "UPS", "", "1Z999AA10123456787", _dmy(plain), ""],  # no such store
        ]
    )
    uploaded = _upload(alice_client, content)
    assert uploaded.status_code == 302
    record = CsvImport.objects.get()
    assert {name: record.mapping[name] for name in csv_import.FIELDS} == {
        "order_number": 0,
        "store": 1,
        "carrier": 2,
        "service": 3,
        "tracking_number": 4,
        "ship_date": 5,
        "fee": 6,
    }
    preview = alice_client.get(uploaded["Location"])
    page = preview.content.decode()
    assert preview.context["will_ship"] == 3 and len(preview.context["errors"]) == 2
    assert "Order number SHARED-8 is used in 2 stores: add a store column" in page
    assert "No store named “Nowhere” in this workspace." in page
    # The dates as understood, written so they cannot be misread, and how the file's dates are read.
    assert ambiguous.strftime("%-d %b %Y") in page and 'id="date-order-note"' in page
    assert not Shipment.objects.exists()

    alice_client.post(uploaded["Location"], {"action": "confirm"})
    alice_client.post(uploaded["Location"], {"action": "confirm"})
    shipped = {
        (s.order.number, s.order.store_id, s.tracking_number, s.ship_date, s.carrier_fee)
        for s in Shipment.objects.select_related("order")
    }
    assert shipped == {
        ("FR-1", store_a.pk, "9400100000000000000000", ambiguous, Decimal("7.50")),
        ("FR-2", store_a.pk, "1Z999AA10123456784", plain, None),
        ("SHARED-7", outlet.pk, "1Z999AA10123456785", ambiguous, None),
    }
    assert Shipment.objects.get(order=shared_outlet).ship_date == ambiguous

    again = alice_client.get(_upload(alice_client, content)["Location"])  # the same file again
    assert again.context["will_ship"] == 0 and again.context["already"] == 3
    assert Shipment.objects.count() == 3


def test_dates_that_read_two_ways_are_asked_and_shown_as_understood(alice_client, store_a):
    order = make_order(store_a, number="D-1", order_date=ORDERED)
    day = _past(ambiguous=True)
    content = f"order,carrier,tracking,ship date\nD-1,UPS,1Z1,{_dmy(day)}\n".encode()
    uploaded = _upload(alice_client, content)
    preview = alice_client.get(uploaded["Location"])
    page = preview.content.decode()
    assert 'id="date-question"' in page and 'id="import-confirm"' not in page
    assert "day first" in page and day.strftime("%-d %b %Y") in page  # both readings are offered
    alice_client.post(uploaded["Location"], {"action": "confirm"})
    assert not Shipment.objects.exists()  # never guessed, not even by a posted confirmation

    # A French user (or a French file) is offered day first; an English one month first; nobody is answered for.
    alice_client.cookies["django_language"] = "fr"
    french = alice_client.get(uploaded["Location"]).content.decode()
    assert re.search(r'<option value="dmy" selected>', french)
    assert "Les dates d'expédition se lisent de deux façons" in french
    alice_client.cookies["django_language"] = "en"
    assert re.search(r'<option value="mdy" selected>', alice_client.get(uploaded["Location"]).content.decode())
    french_file = _upload(alice_client, f"Commande,Transporteur,N° de suivi,Date\nD-1,UPS,1Z1,{_dmy(day)}\n".encode())
    assert re.search(r'<option value="dmy" selected>', alice_client.get(french_file["Location"]).content.decode())

    alice_client.post(
        uploaded["Location"],
        DAY_FIRST_MAPPING,
    )
    preview = alice_client.get(uploaded["Location"])
    assert preview.context["will_ship"] == 1
    assert day.strftime("%-d %b %Y") in preview.content.decode()
    alice_client.post(uploaded["Location"], {"action": "confirm"})
    assert Shipment.objects.get(order=order).ship_date == day


def test_a_ship_date_ahead_or_before_the_order_is_flagged_and_still_ships(alice_client, store_a):
    make_order(store_a, number="W-1", order_date=ORDERED)
    make_order(store_a, number="W-2", order_date=ORDERED)
    ahead = timezone.localdate() + dt.timedelta(days=3)
    before = ORDERED.date() - dt.timedelta(days=40)
    content = (
        f"order,carrier,tracking,ship date\nW-1,UPS,1Z1,{ahead.isoformat()}\nW-2,UPS,1Z2,{before.isoformat()}\n"
    ).encode()
    preview = alice_client.get(_upload(alice_client, content)["Location"])
    page = preview.content.decode()
    assert preview.context["will_ship"] == 2 and preview.context["warned"] == 2
    assert "The ship date is after today." in page
    assert "The ship date is before the order date (2 Jan 2026)." in page


def test_a_column_mixing_day_first_and_month_first_dates_is_asked(store_a):
    rows = [["13/11/2026"], ["11/13/2026"]]
    assert csv_import.date_question({"ship_date": 0}, rows) == ("mixed", "13/11/2026, 11/13/2026")
    assert csv_import.date_question({"ship_date": 0, "date_order": "dmy"}, rows) == ("", "")
    assert csv_import.read_date("11/13/2026", "dmy") is None  # refused as a bad date, not swapped
    assert csv_import.date_question({"ship_date": 0}, [["30.11.2026"], ["2026-12-01"]]) == ("", "")
    assert csv_import.read_date("06/12/2026 14:05", "dmy") == dt.date(2026, 12, 6)
    assert csv_import.read_date("2026-12-06T14:05:00Z", None) == dt.date(2026, 12, 6)


@pytest.mark.parametrize(
    "headers, expected",
    [
        (
            ["N° de commande", "Transporteur", "Numéro de suivi", "Date d'expédition", "Frais de port", "Magasin"],
            {"order_number": 0, "carrier": 1, "tracking_number": 2, "ship_date": 3, "fee": 4, "store": 5},
        ),
        (
            ["Order #", "Carrier", "Service", "Tracking #", "Ship Date", "Postage"],
            {"order_number": 0, "carrier": 1, "service": 2, "tracking_number": 3, "ship_date": 4, "fee": 5},
        ),
        (
            ["Order - Number", "Tracking Number", "Carrier", "Mail Class", "Store"],
            {"order_number": 0, "tracking_number": 1, "carrier": 2, "service": 3, "store": 4},
        ),
        (["Commande", "N° de suivi", "Transporteur"], {"order_number": 0, "tracking_number": 1, "carrier": 2}),
    ],
)
def test_french_and_carrier_software_headers_are_recognised(headers, expected):
    mapping = csv_import.guess_mapping(headers)
    assert {name: index for name, index in mapping.items() if index is not None} == expected


def test_the_mapping_form_marks_the_required_columns(alice_client, store_a):
    make_order(store_a, number="R-1")
    page = alice_client.get(_upload(alice_client, b"a;b;c\nR-1;UPS;1Z1\n")["Location"]).content.decode()
    for name in ("order_number", "carrier", "tracking_number"):
        assert re.search(rf'<select name="{name}"[^>]*required', page), name
        assert not re.search(rf'for="id_{name}">[^<]*<span class="optional">', page), name
    for name in ("service", "ship_date", "fee", "store"):
        assert re.search(rf'for="id_{name}">[^<]*<span class="optional">', page), name


def test_a_new_file_with_the_same_header_line_keeps_the_column_choices(alice_client, store_a):
    make_order(store_a, number="K-1")
    make_order(store_a, number="K-2")
    first = _upload(alice_client, b"ref;shipper;parcel id;when\nK-1;UPS;1Z1;13/11/2026\n")
    alice_client.post(
        first["Location"],
        DAY_FIRST_MAPPING,
    )
    second = _upload(alice_client, b"ref;shipper;parcel id;when\nK-2;UPS;1Z2;01/12/2026\n")
    record = CsvImport.objects.latest("pk")
    assert record.mapping == {
        "order_number": 0,
        "carrier": 1,
        "service": None,
        "tracking_number": 2,
        "ship_date": 3,
        "fee": None,
        "store": None,
        "date_order": "dmy",
    }
    page = alice_client.get(second["Location"]).content.decode()
    assert re.search(r'<option value="2" selected>parcel id</option>', page)
    other = _upload(alice_client, b"ref;shipper;parcel id;other\nK-2;UPS;1Z2;x\n")  # another layout: guessed
    assert CsvImport.objects.latest("pk").mapping["tracking_number"] is None
    assert other.status_code == 302


def test_a_file_with_nothing_new_says_so_and_offers_no_ship_button(alice_client, store_a):
    make_order(store_a, number="N-1")
    content = b"order,carrier,tracking\nN-1,UPS,1Z1\n"
    alice_client.post(_upload(alice_client, content)["Location"], {"action": "confirm"})
    assert Shipment.objects.count() == 1
    page = alice_client.get(_upload(alice_client, content)["Location"]).content.decode()
    assert 'id="nothing-to-ship"' in page and "every row that can ship was imported before" in page
    assert 'id="import-confirm"' not in page and "Ship 0 orders" not in page


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_files_with_a_byte_order_mark_import(alice_client, store_a, codec):
    make_order(store_a, number="U-1")
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    content = bom + "Commande\tTransporteur\tN° de suivi\r\nU-1\tUPS\t1Z1\r\n".encode(codec)
    preview = alice_client.get(_upload(alice_client, content)["Location"])
    assert preview.context["will_ship"] == 1


def test_nul_bytes_are_refused_in_words_and_nothing_is_stored(alice_client, store_a):
    for content in (b"order,carrier,tracking\nA-1,UPS,1Z\x001\n", "order,carrier\n".encode("utf-16-le")):
        response = _upload(alice_client, content)
        assert response.status_code == 400
        assert "The file holds NUL bytes" in response.content.decode()
    assert not CsvImport.objects.exists()


def test_old_mac_line_ends_and_quoted_line_breaks_are_read(alice_client, store_a):
    make_order(store_a, number="M-1")
    make_order(store_a, number="M-2")
    content = b'order,carrier,service,tracking\rM-1,UPS,"Ground\r\nlate",1Z1\rM-2,UPS,Ground,1Z2\r'
    preview = alice_client.get(_upload(alice_client, content)["Location"])
    assert preview.context["rows_total"] == 2 and preview.context["will_ship"] == 2


def test_a_tampered_batch_key_cannot_block_a_later_import(alice_client, store_a):
    """A ship (or deliver) form posted with a CSV import's key is refused; the import still ships."""
    order = make_order(store_a, number="T-1")
    other = make_order(store_a, number="T-2")
    uploaded = _upload(alice_client, b"order,carrier,tracking\nT-1,UPS,1Z1\n")
    tampered = f"csv:{CsvImport.objects.get().pk}"
    response = alice_client.post(
        reverse("portal:orders_batch_ship"),
        {
            "batch_key": tampered,
            "carrier": "UPS",
            "ship_date": "2026-11-30",
            "order_ids": [other.pk],
            f"tracking_{other.pk}": "1Z9",
            "status": "awaiting_shipment",
        },
        follow=True,
    )
    assert "This form was already used for another action" in response.content.decode()
    alice_client.post(
        reverse("portal:orders_batch_apply"), {"action": "deliver", "batch_key": tampered, "order_ids": [other.pk]}
    )
    assert not Batch.objects.exists()
    alice_client.post(uploaded["Location"], {"action": "confirm"})
    assert Shipment.objects.get().order == order
    assert list(Batch.objects.values_list("kind", "key")) == [("csv_import", tampered)]
