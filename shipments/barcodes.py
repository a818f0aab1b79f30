"""Code 128 barcodes drawn as inline SVG for the printed documents (packing slips, pick lists): the pack
station scans a slip's barcode to open its order (docs/pack-station.md).

`code128_svg(text)` answers the <svg> element (no XML declaration, no text under the bars: the document
prints the number itself), or "" when the text cannot be drawn in Code 128 (characters outside Latin-1,
an empty number): the slip then shows the number only and the packer types it.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache

_SVG = re.compile(r"<svg\b.*</svg>", re.S)
_ID = re.compile(r'\s+id="[^"]*"')
# The bar's width: 0.33 mm (a scanner reads 0.25 mm and up; 0.33 mm is the common default for a slip).
MODULE_WIDTH_MM = 0.33


@lru_cache(maxsize=512)
def code128_svg(text: str, *, height_mm: float = 12.0) -> str:
    import barcode
    from barcode.errors import BarcodeError
    from barcode.writer import SVGWriter

    text = (text or "").strip()
    if not text:
        return ""
    try:
        code = barcode.get("code128", text, writer=SVGWriter())
        out = io.BytesIO()
        code.write(
            out,
            options={
                "write_text": False,
                "module_width": MODULE_WIDTH_MM,
                "module_height": height_mm,
                "quiet_zone": 3.0,
                "margin_top": 0,
                "margin_bottom": 0,
            },
        )
    except (BarcodeError, UnicodeError, ValueError):
        return ""
    found = _SVG.search(out.getvalue().decode("utf-8"))
    if found is None:
        return ""
    svg = _ID.sub("", found[0])  # one id per document: several slips would repeat it
    return svg.replace("<svg ", '<svg class="barcode" aria-hidden="true" ', 1)
