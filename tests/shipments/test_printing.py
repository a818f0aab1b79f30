"""Packing slips and pick lists: real PDFs rendered by WeasyPrint, read back with pypdf.

What they prove: the slip carries the store's branding, the ship-to, the items with their options and
the quantities STILL TO SHIP; a gift order shows its message and no price; the pick list adds the items
up by SKU and options and lists them in warehouse-location order (read from the PDF's text order); the
documents speak French for a French reader; reading a batch costs the same queries for 5 or 50 orders.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order, OrderStatus, Product
from shipments import printing
from tests.factories import make_line, make_order, make_shipment

pypdf = pytest.importorskip("pypdf")
try:
    import weasyprint  # noqa: F401
except OSError:  # its system libraries are missing (bin/ensure-weasyprint installs them)
    pytest.skip("WeasyPrint's system libraries are not installed", allow_module_level=True)


def pdf_pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def pdf_text(pdf: bytes) -> str:
    return "\n".join(pdf_pages(pdf))


@pytest.fixture
def branded(store_a):
    settings = store_a.settings
    settings.company_name = "Acme Goods Co"
    settings.accent_colour = "#aa3300"
    settings.website = "https://acme.example.com"
    settings.phone = "+1 555 0199"
    settings.save()
    return store_a


def shop_order(store, number, *, lines=(), **fields):
    values = {
        "ship_to": {
            "name": "Jane Buyer",
            "company": "Buyer Inc",
            "address1": "1 Main St",
            "city": "Austin",
            "state": "TX",
            "postal_code": "78701",
            "country": "US",
        },
        "ship_to_name": "Jane Buyer",
        "currency": "USD",
        "order_total": Decimal("63.00"),
    }
    order = make_order(store, lines=0, number=number, **{**values, **fields})
    for i, line in enumerate(lines):
        make_line(order, line_key=f"L{i}", position=i, **line)
    return order


MUG = {
    "sku": "MUG-RED",
    "name": "Red mug",
    "quantity": 3,
    "unit_price": Decimal("21.00"),
    "options": [{"name": "Size", "value": "Large"}],
    "warehouse_location": "A-10",
}


def test_packing_slip_has_branding_ship_to_items_options_and_prices(branded):
    order = shop_order(
        branded, "A-100", lines=[MUG], shipping_method="USPS Priority", notes_to_buyer="Thanks for being a regular!"
    )
    text = pdf_text(printing.packing_slips_pdf([order]))
    for expected in [
        "Acme Goods Co",
        "acme.example.com",
        "+1 555 0199",
        "Packing slip",
        "Order #A-100",
        "Jane Buyer",
        "Buyer Inc",
        "1 Main St",
        "Austin TX 78701",
        "USPS Priority",
        "Red mug",
        "MUG-RED",
        "Size: Large",
        "21.00",
        "63.00",
        "Thanks for being a regular!",
    ]:
        assert expected in text, expected
    assert "gift" not in text.lower()


def test_a_gift_order_shows_its_message_and_no_price(branded):
    order = shop_order(branded, "A-101", lines=[MUG], is_gift=True, gift_message="Happy birthday, Sam!")
    text = pdf_text(printing.packing_slips_pdf([order]))
    assert "Happy birthday, Sam!" in text and "Red mug" in text
    assert "21.00" not in text and "63.00" not in text and "Unit price" not in text
    assert not re.search(r"\d+\.\d\d", text), "no amount at all on a gift's slip"


def test_the_slip_counts_what_is_still_to_ship_and_leaves_out_what_does_not_ship(branded):
    order = shop_order(
        branded,
        "A-102",
        lines=[
            MUG,
            {
                "sku": "EBOOK",
                "name": "Recipe e-book",
                "quantity": 1,
                "is_shippable": False,
                "product_kind": "electronic",
            },
            {"sku": "", "name": "SPRING10", "quantity": 1, "unit_price": Decimal("-4"), "is_adjustment": True},
        ],
    )
    make_shipment(order, lines={order.lines.get(sku="MUG-RED").pk: 1}, tracking_number="1Z1")
    text = pdf_text(printing.packing_slips_pdf([order]))
    row = re.search(r"Red mug MUG-RED Size: Large (\d+) 21\.00 (\d+\.\d\d)", text)
    assert row and row.groups() == ("2", "42.00"), text
    assert "1 more unit of this order shipped earlier" in text
    assert "Recipe e-book (delivered electronically)" in text
    assert "SPRING10" not in text


def test_a_voided_shipment_counts_nothing_shipped(branded):
    from shipments.services import shipment_void

    order = shop_order(branded, "A-103", lines=[MUG])
    shipment_void(shipment=make_shipment(order, lines={order.lines.get().pk: 3}, tracking_number="1Z2"))
    assert re.search(r"Red mug MUG-RED Size: Large 3 21\.00", pdf_text(printing.packing_slips_pdf([order])))


def test_one_slip_per_order_each_on_its_own_page_in_the_order_given(branded):
    orders = [shop_order(branded, f"B-{n}", lines=[MUG]) for n in (3, 1, 2)]
    pages = pdf_pages(printing.packing_slips_pdf(orders))
    assert [re.search(r"Order #(B-\d)", page).group(1) for page in pages] == ["B-3", "B-1", "B-2"]


def locations(store):
    """Orders whose items sit at locations given out of order, with a SKU in two orders and in two options."""
    o1 = shop_order(
        store,
        "P-1",
        lines=[
            {"sku": "BOLT", "name": "Bolt", "quantity": 4, "warehouse_location": "B-2"},
            {
                "sku": "MUG-RED",
                "name": "Red mug",
                "quantity": 1,
                "warehouse_location": "A-10",
                "options": [{"name": "Size", "value": "Large"}],
            },
            {"sku": "LOOSE", "name": "Loose item", "quantity": 1},
        ],
    )
    o2 = shop_order(
        store,
        "P-2",
        lines=[
            {
                "sku": "MUG-RED",
                "name": "Red mug",
                "quantity": 2,
                "warehouse_location": "A-10",
                "options": [{"name": "Size", "value": "Large"}],
            },
            {
                "sku": "MUG-RED",
                "name": "Red mug",
                "quantity": 5,
                "warehouse_location": "A-10",
                "options": [{"name": "Size", "value": "Small"}],
            },
            {"sku": "NUT", "name": "Nut", "quantity": 1, "warehouse_location": "A-2"},
        ],
    )
    return [o1, o2]


def test_the_pick_list_adds_up_by_sku_and_options_sorted_by_location(branded):
    orders = locations(branded)
    text = pdf_text(printing.pick_list_pdf(orders))
    # Natural location order (A-2 before A-10 before B-2), the item without a location last.
    order_in_text = [text.index(marker) for marker in ("A-2 NUT", "A-10 MUG-RED", "B-2 BOLT", "LOOSE")]
    assert order_in_text == sorted(order_in_text), text
    assert re.search(r"MUG-RED Red mug Size: Large 3 #P-1, #P-2 ×2", text), text
    assert re.search(r"MUG-RED Red mug Size: Small 5 #P-2 ×5", text), text
    assert "2 orders · 14 units" in text


def test_the_pick_list_uses_the_products_current_location(branded):
    orders = locations(branded)
    Product.objects.create(
        store=branded, sku="BOLT", name="Bolt", warehouse_location="A-1", location_set_in_outbound=True
    )
    text = pdf_text(printing.pick_list_pdf(orders))
    assert text.index("A-1 BOLT") < text.index("A-2 NUT")


def test_the_pick_list_counts_only_what_is_left_and_leaves_out_cancelled_orders(branded):
    o1, o2 = locations(branded)
    make_shipment(o1, lines={o1.lines.get(sku="BOLT").pk: 3}, tracking_number="1Z3")
    cancelled = shop_order(
        branded,
        "P-3",
        lines=[{"sku": "BOLT", "quantity": 9, "warehouse_location": "B-2"}],
        status=OrderStatus.CANCELLED,
    )
    done = shop_order(branded, "P-4", lines=[{"sku": "NUT", "quantity": 1, "warehouse_location": "A-2"}])
    make_shipment(done, tracking_number="1Z4")
    text = pdf_text(printing.pick_list_pdf([o1, o2, cancelled, done]))
    assert re.search(r"B-2 BOLT Bolt 1 #P-1", text), text
    assert "Left out, cancelled: #P-3" in text and "Left out, nothing left to ship: #P-4" in text


def test_documents_speak_french_to_a_french_reader(branded):
    orders = locations(branded)
    slips = pdf_text(printing.packing_slips_pdf(orders[:1], language="fr"))
    picks = pdf_text(printing.pick_list_pdf(orders, language="fr"))
    assert "Bordereau de livraison" in slips and "LIVRER À" in slips and "Packing slip" not in slips
    assert "Total de la commande : 63,00 USD" in slips
    assert "Liste de préparation" in picks and "EMPLACEMENT" in picks and "Pick list" not in picks


def _queries(store, count, prefix):
    orders = [
        shop_order(store, f"{prefix}-{n}", lines=[MUG, {"sku": f"S{n}", "warehouse_location": f"C-{n}"}])
        for n in range(count)
    ]
    for order in orders[::3]:
        make_shipment(order, lines={order.lines.get(sku="MUG-RED").pk: 1}, tracking_number=f"T{order.pk}")
    Product.objects.create(store=store, sku="MUG-RED", warehouse_location="A-9")
    qs = Order.objects.filter(pk__in=[o.pk for o in orders]).order_by("pk")
    with CaptureQueriesContext(connection) as slips:
        assert len(pdf_pages(printing.packing_slips_pdf(qs))) == count
    with CaptureQueriesContext(connection) as picks:
        printing.pick_list_pdf(list(qs.select_related("store")))
    return len(slips), len(picks)


def test_a_batch_costs_the_same_queries_for_5_or_50_orders(branded, tenant_a):
    from tests.factories import make_store

    small = _queries(branded, 5, "Q")
    large = _queries(make_store(tenant_a, name="Second"), 50, "R")
    assert small == large
    # the orders (with store, settings, storefront), their lines, shipped quantities, products
    assert small[0] <= 4


def test_each_slip_wears_its_own_stores_branding(branded, tenant_a):
    from tests.factories import make_store

    other = make_store(tenant_a, name="Outlet")
    other.settings.company_name = "Acme Outlet"
    other.settings.save()
    pages = pdf_pages(
        printing.packing_slips_pdf([shop_order(branded, "M-1", lines=[MUG]), shop_order(other, "M-2", lines=[MUG])])
    )
    assert "Acme Goods Co" in pages[0] and "Acme Outlet" not in pages[0]
    assert "Acme Outlet" in pages[1] and "Acme Goods Co" not in pages[1]


# --- every script a buyer writes in (issue 25 item 3) ------------------------------------------------------

WORLD = {
    "Japanese": "抹茶の湯呑み",
    "Chinese": "青花瓷茶杯",
    "Korean": "한국 도자기 머그",
    "Cyrillic": "Кружка красная",
    "Arabic": "كوب أحمر",
    "Hebrew": "ספל אדום",
}


def _cids(font) -> dict[int, int] | None:
    """The font's code → CID map: None for Identity-H (the code is the CID), else read from its CMap
    (WeasyPrint writes one when some code must map elsewhere, .notdef's CID 0 among them)."""
    encoding = font["/Encoding"].get_object()
    if encoding == "/Identity-H":
        return None
    cmap = encoding.get_data().decode("latin-1")
    cids = {}
    for section in re.findall(r"begincidchar(.*?)endcidchar", cmap, re.S):
        cids.update((int(code, 16), int(cid)) for code, cid in re.findall(r"<([0-9a-fA-F]+)>\s+(\d+)", section))
    for section in re.findall(r"begincidrange(.*?)endcidrange", cmap, re.S):
        for low, high, first in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s+(\d+)", section):
            cids.update((code, int(first) + code - int(low, 16)) for code in range(int(low, 16), int(high, 16) + 1))
    return cids


def drawn_glyphs(pdf: bytes) -> list[tuple[str, int]]:
    """(font, CID) of every glyph the PDF's text draws. WeasyPrint embeds each font as a Type0 font whose
    CIDs are the font's glyph ids, 0 being its .notdef (the empty box a font draws for a character it does
    not have); text strings are runs of 2-byte codes."""
    from pypdf.generic import ContentStream

    glyphs = []
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        fonts = {name: font.get_object() for name, font in page["/Resources"]["/Font"].items()}
        font, cids = None, None
        for operands, operator in ContentStream(page.get_contents(), page.pdf).operations:
            if operator == b"Tf":
                font = fonts[operands[0]]
                assert font["/Subtype"] == "/Type0"
                cids = _cids(font)
            elif operator in (b"Tj", b"TJ", b"'", b'"'):
                strings = operands[0] if operator == b"TJ" else [operands[-1]]
                for text in strings:
                    if isinstance(text, int | float):
                        continue
                    raw = text.original_bytes if hasattr(text, "original_bytes") else bytes(text)
                    for i in range(0, len(raw), 2):
                        code = int.from_bytes(raw[i : i + 2])
                        glyphs.append((str(font["/BaseFont"]), code if cids is None else cids.get(code, code)))
    return glyphs


def test_a_slip_in_every_script_and_with_emoji_prints_glyphs_not_empty_boxes(branded):
    lines = [{**MUG, "sku": f"W-{i}", "name": f"{name} ☕"} for i, name in enumerate(WORLD.values())]
    order = shop_order(
        branded,
        "W-1",
        lines=lines,
        ship_to_name="山田 太郎",
        is_gift=True,
        gift_message="お誕生日おめでとう 🎉 生日快乐 생일 축하해 С днём рождения يوم ميلاد سعيد יום הולדת שמח 🎁",
    )
    pdf = printing.packing_slips_pdf([order])
    glyphs = drawn_glyphs(pdf)
    missing = sorted({font for font, glyph in glyphs if glyph == 0})
    assert not missing, f"characters drawn as .notdef (empty boxes) in {missing}: run bin/ensure-weasyprint"
    fonts = {font.split("+", 1)[1] for font, _ in glyphs}
    assert {"Noto-Sans-CJK-JP", "Noto-Color-Emoji", "DejaVu-Sans"} <= fonts, fonts
    digits = {
        font for font, glyph in drawn_glyphs(printing.packing_slips_pdf([shop_order(branded, "W-2", lines=[MUG])]))
    }
    assert not any("Emoji" in font for font in digits), "digits and text drawn with the emoji font"
    text = pdf_text(pdf).replace(" ", "")
    for script, words in WORLD.items():
        assert words.replace(" ", "") in text or script in ("Arabic", "Hebrew"), script  # RTL text extracts reordered
