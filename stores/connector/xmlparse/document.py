"""Custom Store v1 documents: the size cap, encoding fix-ups, the defused parse (no DTD, no entities),
the root element check and the store's `<fault>` answers."""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET  # noqa: S405 - only used to *build* documents; parsing is defused
from xml.etree.ElementTree import Element  # noqa: S405

import defusedxml.ElementTree as SafeET
from defusedxml.common import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from ..errors import (
    NotAShipStationExport,
    StoreAuthError,
    StoreDocumentError,
    StoreMalformedXML,
    StorePermissionError,
    StoreRejected,
    gettext,
)
from .values import _excerpt, _Fields, _local

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*([\"'])([A-Za-z0-9._-]+)\1[^>]*\?>", re.IGNORECASE)
_XML_DECL_TEXT = re.compile(r"^\s*<\?xml[^>]*\?>")
_WIDE_ENCODINGS = {"utf-16", "utf-16le", "utf-16be", "utf16", "ucs-2", "unicode", "utf-32", "utf-32le", "utf-32be"}


def _normalise_encoding(body: bytes) -> bytes:
    """Return UTF-8 (or correctly declared) bytes that expat will read the way the store meant."""
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return _reencode(body, codec)
    if body[:2] == b"<\x00":
        return _reencode(body, "utf-16-le")
    if body[:2] == b"\x00<":
        return _reencode(body, "utf-16-be")
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    declared = _XML_DECL.match(body)
    encoding = declared.group(2).decode("ascii").lower() if declared else ""
    if encoding in _WIDE_ENCODINGS:
        # Magento declares utf-16 while writing UTF-8 bytes (docs/custom-store-v1.md#encoding); believe the bytes.
        start, end = declared.span(2)
        return body[:start] + b"utf-8" + body[end:]
    if encoding in {"", "utf-8", "utf8"}:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            # Old PHP stores send Windows-1252 text under a UTF-8 (or no) declaration. Reading it as
            # such beats failing the whole import over an accented letter.
            return _reencode(body, "cp1252")
    return body


def _reencode(body: bytes, codec: str) -> bytes:
    try:
        text = body.decode(codec, errors="strict" if codec.startswith("utf") else "replace")
    except UnicodeDecodeError:
        raise StoreDocumentError(f"the document is not valid {codec.upper()} text.") from None
    return _XML_DECL_TEXT.sub("", text.lstrip("\ufeff"), count=1).encode("utf-8")


def _size_text(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


def check_document_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise StoreDocumentError(
            f"the store sent {_size_text(size)} for one page; Outbound accepts at most "
            f"{_size_text(max_bytes)} per page. Lower the number of orders per page in the store."
        )


# Any markup declaration (<!DOCTYPE, <!ENTITY, <!ELEMENT …) sends a document down defusedxml's strict path;
# "<!" that only opens CDATA or a comment does not.
_DECLARATION = re.compile(rb"<!(?!\[CDATA\[|--)", re.IGNORECASE)


def _prepare(body: bytes | None, *, max_bytes: int) -> bytes:
    """The checks every answer gets before any parser sees it; returns the body as UTF-8 bytes."""
    if not body or not body.strip():
        raise NotAShipStationExport(gettext("not a ShipStation export: the store sent an empty answer."))
    # Before anything else: a 50 MB document is refused without being read into a parser.
    check_document_size(len(body), max_bytes)
    body = _normalise_encoding(body)
    head = body[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise NotAShipStationExport(
            gettext("not a ShipStation export: the store answered with a web page (HTML) instead of XML.")
        )
    if not head.startswith(b"<"):
        raise NotAShipStationExport(
            gettext("not a ShipStation export: the answer is not XML (it begins '%(start)s').")
            % {"start": _excerpt(body[:200].decode("utf-8", "replace"), 60)}
        )
    return body


def _declares(body: bytes) -> bool:
    return b"<!" in body and _DECLARATION.search(body) is not None


def _parse_root(body: bytes | None, *, max_bytes: int, expected: str) -> Element:
    return _check_root(_tree(_prepare(body, max_bytes=max_bytes)), expected)


def _tree(body: bytes) -> Element:
    try:
        if not _declares(body):
            # No DTD, so no entity can be declared and none can point outside: nothing for defusedxml to
            # refuse. Expat's C tree builder is then safe and about three times faster than defusedxml's
            # pure-Python one (a page is parsed on every import, changed or not).
            root = ET.fromstring(body)  # noqa: S314 - no DTD present, see above
        else:
            root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DTDForbidden:
        raise StoreDocumentError(
            "refused: the document declares a DTD (<!DOCTYPE …>). Store exports never need one, and "
            'DTDs carry entity-expansion ("billion laughs") and external-file attacks.'
        ) from None
    except EntitiesForbidden:
        raise StoreDocumentError("refused: the document declares XML entities, which store exports never need.")
    except ExternalReferenceForbidden:
        raise StoreDocumentError("refused: the document refers to an external file or URL.") from None
    except DefusedXmlException:
        raise StoreDocumentError("refused: the document uses XML features Outbound does not accept.") from None
    except ET.ParseError as exc:
        raise StoreMalformedXML(f"the store's XML is not well-formed ({exc}).") from None
    return root


def _check_root(root: Element, expected: str) -> Element:
    name = _local(root.tag)
    if name.lower() == "fault":
        _raise_fault(root)
    if name.lower() != expected.lower():
        raise NotAShipStationExport(
            gettext("not a ShipStation export: the document's root element is <%(name)s>, expected <%(expected)s>.")
            % {"name": name, "expected": expected}
        )
    return root


def _raise_fault(root: Element) -> None:
    # Magento answers errors with 200 and <fault><faultcode>401</faultcode>…</fault> (docs/custom-store-v1.md#faults).
    fields = _Fields(root, "the store's error answer", ["faultcode", "faultstring"])
    code = fields.text("faultcode")
    detail = _excerpt(fields.text("faultstring"), 200)
    if code == "401":
        raise StoreAuthError(
            (
                gettext("The store refused the username or password (%(detail)s).") % {"detail": detail}
                if detail
                else gettext("The store refused the username or password.")
            ),
            status=401,
        )
    if code == "403":
        raise StorePermissionError(
            gettext("The store refused access: the user must be an administrator of the store."), status=403
        )
    raise StoreRejected(f"The store reported an error: {detail or 'no details given'} (fault code {code or '?'}).")


# --- export ----------------------------------------------------------------------------------------


def parse_xml_fault(body: bytes) -> None:
    """Raise the StoreError that a Magento-style `<fault>` answer stands for; ignore any other body."""
    head = body[:512].lstrip().lower()
    if b"<fault" not in head:
        return
    try:
        _parse_root(body, max_bytes=1024 * 1024, expected="fault")
    except StoreDocumentError:
        return  # not a readable fault after all; the HTTP status already said 2xx
