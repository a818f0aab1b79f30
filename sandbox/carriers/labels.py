"""The labels the carrier sandbox sells: a 4×6 label in the three forms carriers hand out.

* `label_pdf`: a real PDF, one 4×6 in page (288 × 432 pt), written by hand (no renderer to install): the
  carrier, the service, ship-from and ship-to, the reference, the tracking number as text (Helvetica, so a
  PDF reader extracts it) and as a Code 128 barcode drawn as filled rectangles (USPS and FedEx send this).
* `label_png`: the same label as a black-and-white PNG at 200 dpi, turned a quarter to the left the way
  UPS sends its landscape label images (karrio-ups turns them back and wraps them into a PDF).
* `label_zpl`: ZPL II for a 203 dpi 4×6 thermal printer, its barcode a `^BC` Code 128 field.

Code 128's bars come from python-barcode (a dependency of karrio): `modules(number)` is the 1/0 string, one
character a module, start, data, check and stop symbols included.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LabelFace:
    carrier: str  # "UPS", "USPS", "FedEx"
    service: str  # the carrier's words: "UPS Ground"
    tracking_number: str
    ship_to: list[str] = field(default_factory=list)
    ship_from: list[str] = field(default_factory=list)
    reference: str = ""
    weight_lb: float = 0.0


def modules(number: str) -> str:
    from barcode.codex import Code128

    return Code128(number).build()[0]


def _fit(lines: list[str], most: int) -> list[str]:
    """The address's lines once each; when too many, the first (the name) and the last ones (the city)."""
    unique = list(dict.fromkeys(line for line in lines if line))
    return unique if len(unique) <= most else [unique[0], *unique[len(unique) - most + 1 :]]


def _lines(face: LabelFace) -> list[tuple[str, int, bool]]:
    """(text, size in points, bold) from the top of the label down, above the barcode."""
    lines = [(face.carrier.upper(), 24, True), (face.service, 12, True), ("", 4, False)]
    lines += [("FROM:", 7, True)] + [(line, 8, False) for line in _fit(face.ship_from, 3)]
    lines += [("", 4, False), ("SHIP TO:", 9, True)] + [(line, 12, True) for line in _fit(face.ship_to, 4)]
    lines += [("", 4, False), (f"WEIGHT: {face.weight_lb:g} LB", 8, False)]
    if face.reference:
        lines.append((f"REF: {face.reference[:40]}", 8, False))
    return lines


# --- PDF ----------------------------------------------------------------------------------------------------
PAGE_W, PAGE_H = 288, 432  # 4 × 6 in, in points


def _pdf_text(value: str) -> str:
    raw = value.encode("latin-1", "replace").decode("latin-1")
    return raw.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def label_pdf(face: LabelFace) -> bytes:
    ops: list[str] = []
    y = PAGE_H - 18
    for text, size, bold in _lines(face):
        y -= size
        if text:
            ops.append(f"BT /{'F2' if bold else 'F1'} {size} Tf 18 {y} Td ({_pdf_text(text)}) Tj ET")
        y -= 4
    bars = modules(face.tracking_number)
    width = PAGE_W - 36
    unit = min(2.0, width / len(bars))
    x0 = 18 + (width - unit * len(bars)) / 2
    bar_y, bar_h = 70, 80
    ops.append("0 g")
    start = None
    for i, bit in enumerate(bars + "0"):
        if bit == "1" and start is None:
            start = i
        elif bit == "0" and start is not None:
            ops.append(f"{x0 + start * unit:.3f} {bar_y} {(i - start) * unit:.3f} {bar_h} re f")
            start = None
    number = _pdf_text(face.tracking_number)
    ops.append(f"BT /F2 12 Tf 18 {bar_y - 20} Td (TRACKING #: {number}) Tj ET")
    ops.append(f"1 w 18 {bar_y + bar_h + 12} m {PAGE_W - 18} {bar_y + bar_h + 12} l S")
    content = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] "
        "/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        f"<< /Producer (Outbound carrier sandbox) /Title (Label {number}) >>".encode("latin-1"),
    ]
    return _pdf_file(objects)


# --- PNG (UPS) ----------------------------------------------------------------------------------------------
DPI = 200


def label_png(face: LabelFace, fmt: str = "PNG") -> bytes:
    """The label at 200 dpi (800 × 1200 px), turned 90° counter-clockwise into UPS's landscape image
    (`fmt`: PNG or GIF, as the request asked)."""
    from PIL import Image, ImageDraw, ImageFont

    scale = DPI / 72
    image = Image.new("1", (int(PAGE_W * scale), int(PAGE_H * scale)), 1)
    draw = ImageDraw.Draw(image)
    y = 18 * scale
    for text, size, _bold in _lines(face):
        if text:
            draw.text((18 * scale, y), text, fill=0, font=ImageFont.load_default(size=size * scale))
        y += (size + 4) * scale
    bars = modules(face.tracking_number)
    unit = max(2, int((image.width - 36 * scale) // len(bars)))
    x0 = (image.width - unit * len(bars)) // 2
    top = int(image.height - 150 * scale)
    for i, bit in enumerate(bars):
        if bit == "1":
            draw.rectangle([x0 + i * unit, top, x0 + (i + 1) * unit - 1, top + int(80 * scale)], fill=0)
    draw.text(
        (18 * scale, top + 90 * scale),
        f"TRACKING #: {face.tracking_number}",
        fill=0,
        font=ImageFont.load_default(size=12 * scale),
    )
    out = io.BytesIO()
    image.rotate(90, expand=True).save(out, format="GIF" if fmt == "GIF" else "PNG")
    return out.getvalue()


# --- ZPL ----------------------------------------------------------------------------------------------------
def _zpl_text(value: str) -> str:
    return value.replace("^", " ").replace("~", " ")


def label_zpl(face: LabelFace) -> bytes:
    """ZPL II, 203 dpi, 812 × 1218 dots."""
    parts = ["^XA", "^CI28", "^PW812", "^LL1218"]
    y = 40
    for text, size, _bold in _lines(face):
        dots = int(size * 203 / 72)
        if text:
            parts.append(f"^FO40,{y}^A0N,{dots},{dots}^FD{_zpl_text(text)}^FS")
        y += dots + 10
    parts.append(f"^FO60,{1218 - 420}^BY3^BCN,220,N,N,N^FD{_zpl_text(face.tracking_number)}^FS")
    parts.append(f"^FO40,{1218 - 170}^A0N,36,36^FDTRACKING #: {_zpl_text(face.tracking_number)}^FS")
    parts.append("^XZ")
    return ("\n".join(parts) + "\n").encode()


# --- a manifest (USPS SCAN form) ----------------------------------------------------------------------------
LETTER_W, LETTER_H = 612, 792  # 8.5 × 11 in, in points
LINES_PER_PAGE = 52


def manifest_pdf(title: str, header: list[str], numbers: list[str]) -> bytes:
    """A real PDF of letter pages: the title and header lines, then one tracking number a line (Helvetica,
    so a PDF reader extracts them), as many pages as the numbers need; each page says "page n of m"."""
    rows = [f"{i:>4}. {number}" for i, number in enumerate(numbers, start=1)] or ["(no packages)"]
    chunks = [rows[i : i + LINES_PER_PAGE] for i in range(0, len(rows), LINES_PER_PAGE)]
    fonts = "/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >>"
    objects: list[bytes] = [
        b"",
        b"",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    kids = []
    for page_no, chunk in enumerate(chunks, start=1):
        ops = [f"BT /F2 16 Tf 54 {LETTER_H - 60} Td ({_pdf_text(title)}) Tj ET"]
        y = LETTER_H - 84
        for line in header:
            ops.append(f"BT /F1 10 Tf 54 {y} Td ({_pdf_text(line)}) Tj ET")
            y -= 14
        ops.append(f"BT /F1 9 Tf 54 {y} Td (Page {page_no} of {len(chunks)}) Tj ET")
        y -= 20
        for row in chunk:
            ops.append(f"BT /F1 10 Tf 54 {y} Td ({_pdf_text(row)}) Tj ET")
            y -= 12
        content = "\n".join(ops).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        content_ref = len(objects)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {LETTER_W} {LETTER_H}] {fonts} "
            f"/Contents {content_ref} 0 R >>".encode()
        )
        kids.append(f"{len(objects)} 0 R")
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    objects.append(f"<< /Producer (Outbound carrier sandbox) /Title ({_pdf_text(title)}) >>".encode("latin-1"))
    return _pdf_file(objects)


def _pdf_file(objects: list[bytes]) -> bytes:
    """A PDF file of these objects, numbered from 1 (the catalog first, the document's info last), with its
    cross-reference table: what a carrier's label or a SCAN form PDF is made of."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\n" % (len(objects) + 1, len(objects)))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()
