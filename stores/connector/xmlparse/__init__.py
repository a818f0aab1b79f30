"""Custom Store v1 XML <-> dataclasses. Pure functions: no I/O, no Django.

Export pipeline (one page):

    bytes --size cap--> encoding fix-ups --defusedxml (no DTD, no entities)--> <Orders> tree
          --per <Order>--> ExportOrder (required elements checked, quirks in docs/custom-store-v1.md tolerated)
          --> ExportPage(orders, pages, page)

Ship notices go the other way: `build_ship_notice(ShipNotice) -> bytes`. `parse_ship_notice` reads
one back (the sandbox store and the tests use it).

Everything a store sends is untrusted: the size is checked before any parsing, and DTDs are refused
outright because a store export never needs one and entity expansion / external entities are the
classic XML attacks.

The package's modules: values (dates, numbers, booleans, one element's fields), document (size cap,
encodings, the defused parse, faults), export (export pages), notice (ship notices). Everything public
is importable from here, as it was when this was one module.
"""

from .document import DEFAULT_MAX_BYTES, check_document_size, parse_xml_fault
from .export import MAX_PAGES, parse_export
from .notice import build_ship_notice, parse_ship_notice
from .values import format_store_date, format_store_datetime, parse_store_datetime

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_PAGES",
    "build_ship_notice",
    "check_document_size",
    "format_store_date",
    "format_store_datetime",
    "parse_export",
    "parse_ship_notice",
    "parse_xml_fault",
    "parse_store_datetime",
]
