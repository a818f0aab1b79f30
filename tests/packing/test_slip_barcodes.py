"""Issue 32 part 1: packing slips and pick lists carry the order number as a Code 128 barcode (inline SVG in
the WeasyPrint page). The bars are read back here as a scanner would: the module pattern decoded with Code
128's own table must give the order number."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string

from shipments.barcodes import MODULE_WIDTH_MM, code128_svg
from shipments.printing import pick_list, print_orders

RECT = re.compile(r'<rect x="([\d.]+)mm" y="[\d.]+mm" width="([\d.]+)mm"')


def decode(svg: str) -> str:
    """The text of a Code 128 barcode drawn as SVG rectangles (start code B or C, the checksum checked)."""
    from barcode.charsets import code128

    bars = [(float(x), float(w)) for x, w in RECT.findall(svg)]
    assert bars, "no bars"
    start = bars[0][0]
    modules = [" "] * round((bars[-1][0] + bars[-1][1] - start) / MODULE_WIDTH_MM)
    for x, width in bars:
        first = round((x - start) / MODULE_WIDTH_MM)
        for m in range(first, first + round(width / MODULE_WIDTH_MM)):
            modules[m] = "1"
    pattern = "".join("1" if m == "1" else "0" for m in modules)
    symbols = [code128.CODES.index(pattern[i : i + 11]) for i in range(0, len(pattern) - 13, 11)]
    assert pattern[-13:] == code128.STOP + "11"  # the stop pattern and its final bar
    start_code, *values, check = symbols
    assert check == (start_code + sum(i * v for i, v in enumerate(values, 1))) % 103
    mode, text = {104: "B", 105: "C"}[start_code], ""
    for value in values:
        if mode == "B" and value == code128.B["TO_C"]:
            mode = "C"
        elif mode == "C" and value == code128.C["TO_B"]:
            mode = "B"
        else:
            text += f"{value:02d}" if mode == "C" else chr(value + 32)  # code set B: ASCII 32 to 126
    return text


@pytest.mark.parametrize("number", ["A-100", "100234", "SO-2026-00042", "x"])
def test_the_barcode_reads_back_as_the_number(number):
    assert decode(code128_svg(number)) == number


def test_a_number_code128_cannot_draw_has_no_barcode():
    assert code128_svg("Commande-É") == "" and code128_svg("  ") == ""


@pytest.mark.django_db
def test_slips_and_pick_lists_carry_each_orders_barcode(store_a):
    from tests.factories import make_detailed_order

    orders = [make_detailed_order(store_a, number=n) for n in ("S-100", "S-101")]
    slips = render_to_string("print/packing_slips.html", {"slips": print_orders(orders)})
    assert slips.count('<svg class="barcode"') == 2
    found = re.findall(r'<div class="order-barcode">(<svg.*?</svg>)</div>', slips, re.S)
    assert [decode(svg) for svg in found] == ["S-100", "S-101"]
    picks = pick_list(orders)
    assert [number for number, _svg in picks.barcodes] == ["S-100", "S-101"]
    page = render_to_string("print/pick_list.html", {"picks": picks})
    assert [decode(svg) for svg in re.findall(r"<td>(<svg.*?</svg>)", page, re.S)] == ["S-100", "S-101"]


@pytest.mark.django_db
def test_the_slip_pdf_renders_with_its_barcode(alice, store_a):
    from django.urls import reverse

    from tests.factories import make_detailed_order
    from tests.portal.conftest import signed_in

    order = make_detailed_order(store_a, number="PDF-7")
    response = signed_in(alice).get(reverse("portal:pack_slip_pdf", args=[order.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
