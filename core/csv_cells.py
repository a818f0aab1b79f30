"""CSV cells a spreadsheet opens safely: a text cell that would run as a formula is written as text (CSV
injection), for every CSV Outbound writes (orders, shipments, the audit trail)."""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable, Iterator

# Spreadsheets start a formula at =, +, - or @ (or their full-width forms, ＝＋－＠, which they fold), also
# after leading blanks; a cell starting with a TAB or CR is one too (OWASP's list).
_FORMULA_SIGNS = frozenset("=+-@")
_BLANKS = " \t\r\n\u00a0\u3000"


class Echo:
    """A file-like object whose write returns what it was given (csv.writer → one string per row)."""

    def write(self, value: str) -> str:
        return value


def is_formula(text: str) -> bool:
    if text[:1] in ("\t", "\r"):
        return True
    head = unicodedata.normalize("NFKC", text.lstrip(_BLANKS)[:1])
    return head in _FORMULA_SIGNS and not _is_number(text)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def text_cell(text: str) -> str:
    return "'" + text if is_formula(text) else text


def plain_csv_lines(rows: Iterable[Iterable]) -> Iterator[str]:
    """Rows (the header first) as CSV lines, UTF-8 with a BOM for spreadsheets, every text cell safe."""
    writer = csv.writer(Echo())
    for n, row in enumerate(rows):
        line = writer.writerow([text_cell(str(cell)) if cell is not None else "" for cell in row])
        yield ("\ufeff" + line) if n == 0 else line
