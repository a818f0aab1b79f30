"""Hostile stores (issue 14): pages that repeat forever, broken XML, poison values, echoed secrets."""

from decimal import Decimal

import pytest

from stores.connector import client as client_module
from stores.connector.errors import (
    NotAShipStationExport,
    StoreDocumentError,
    StoreError,
    StoreRejected,
    register_secrets,
)
from stores.connector.types import ExportLimits
from stores.connector.xmlparse import parse_export

from .conftest import fixture_bytes
from .test_connector_client import END, START, make_client

LIMITS = ExportLimits(
    order_id_length=50,
    order_number_length=50,
    customer_code_length=100,
    email_length=254,
    phone_length=50,
    line_item_id_length=50,
    quantity_max=2**31 - 1,
    money_max=Decimal(10) ** 10,
    weight_max=Decimal(10) ** 9,
)
ORDER = fixture_bytes("no_pages_attribute.xml").split(b"<Orders>", 1)[1].rsplit(b"</Orders>", 1)[0]


def orders_xml(*orders: bytes, pages: int = 1) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><Orders pages="{pages}">'.encode() + b"".join(orders) + (b"</Orders>")
    )


def order(oid: str, number: str | None = None, **swap: str) -> bytes:
    body = ORDER.replace(b"5a4b3c2d-0000-4000-8000-000000000001", oid.encode())
    body = (
        body.replace(b"<OrderNumber>", b"<OrderNumber>" + (number or "").encode() + b"<!--n-->", 1) if number else body
    )
    for old, new in swap.items():
        body = body.replace(old.encode(), new.encode())
    return body


def test_pages_that_bring_no_new_order_end_the_walk(store_server):
    # The store claims 32767 pages and serves the same order on every one of them.
    for _ in range(10):
        store_server.answer(200, orders_xml(order("SAME"), pages=32767))
    client = make_client(store_server.url)
    with pytest.raises(StoreDocumentError, match="already sent on 3 pages") as caught:
        for _page in client.export_pages(START, END, prefetch=False):
            pass
    assert "paging" in str(caught.value)
    assert len(store_server.requests) == 4  # the first page, then three repeats


def test_a_page_with_one_new_order_keeps_the_walk_going(store_server):
    store_server.answer(200, orders_xml(order("A"), pages=3))
    store_server.answer(200, orders_xml(order("A"), order("B"), pages=3))
    store_server.answer(200, orders_xml(order("C"), pages=3))
    pages = list(make_client(store_server.url).export_pages(START, END, prefetch=False))
    assert [o.order_id for p in pages for o in p.orders] == ["A", "A", "B", "C"]


def test_a_broken_xml_page_is_asked_again(store_server):
    store_server.answer(200, b'<?xml version="1.0"?><Orders pages="1"><Order><OrderID>A</Ord')
    store_server.answer(200, b'<Orders pages="1"><Order></Orders>')
    store_server.answer(200, orders_xml(order("A")))
    pages = list(make_client(store_server.url).export_pages(START, END, prefetch=False))
    assert [o.order_id for p in pages for o in p.orders] == ["A"]
    assert len(store_server.requests) == 3


def test_broken_xml_every_time_fails_after_a_few_attempts(store_server):
    for _ in range(5):
        store_server.answer(200, b'<Orders pages="1"><Order>')
    with pytest.raises(StoreDocumentError, match="not well-formed"):
        make_client(store_server.url).export_page(START, END)
    assert len(store_server.requests) == client_module.MALFORMED_PAGE_ATTEMPTS


def test_a_document_that_is_not_xml_at_all_is_not_retried(store_server):
    store_server.answer(200, b"Login failed", {"Content-Type": "text/plain"})
    with pytest.raises(NotAShipStationExport):
        make_client(store_server.url).export_page(START, END)
    assert len(store_server.requests) == 1


# --- secrets: every StoreError masks them itself -----------------------------------------------------

SENTINEL = "Sentinel-Pw-7731"


def test_store_errors_mask_registered_secrets_whatever_built_them():
    register_secrets("clerk", SENTINEL)
    exc = StoreRejected(f"The store reported an error: Login failed for clerk:{SENTINEL} (fault code 9).")
    assert SENTINEL not in str(exc) and SENTINEL not in repr(exc) and SENTINEL not in exc.message
    assert "***" in str(exc)
    # cut by an excerpt in the middle of the password: its beginning is masked too
    cut = StoreError(f"the answer begins 'Login failed for clerk:{SENTINEL[:9]}…').")
    assert SENTINEL[:5] not in str(cut)


def test_a_fault_echoing_the_password_is_masked(store_server):
    store_server.answer(
        200, b"<fault><faultcode>9</faultcode><faultstring>Login failed for admin:s3cr3t-PASS</faultstring></fault>"
    )
    with pytest.raises(StoreRejected) as caught:
        make_client(store_server.url).export_page(START, END)
    assert "s3cr3t-PASS" not in str(caught.value)


def test_plain_text_echoing_the_password_is_masked(store_server):
    store_server.answer(200, b"Login failed for admin:s3cr3t-PASS", {"Content-Type": "text/plain"})
    with pytest.raises(NotAShipStationExport) as caught:
        make_client(store_server.url).export_page(START, END)
    assert "s3cr3t-PASS" not in str(caught.value)


# --- poison values: the order is rejected, naming the field; the page goes on --------------------------

BILL_TO = "<BillTo><Name>n</Name>"

POISONS = [
    ("OrderID", lambda: order("X" * 51)),
    ("OrderNumber", lambda: order("P1", number="N" * 51)),
    ("Phone", lambda: order("P1", **{BILL_TO: BILL_TO + "<Phone>" + "5" * 51 + "</Phone>"})),
    ("CustomerCode", lambda: order("P1", **{"<CustomerCode>c<": "<CustomerCode>" + "c" * 101 + "<"})),
    ("Email", lambda: order("P1", **{BILL_TO: BILL_TO + "<Email>" + "e" * 255 + "</Email>"})),
    ("LineItemID", lambda: order("P1", **{"<Item><SKU>": "<Item><LineItemID>" + "L" * 121 + "</LineItemID><SKU>"})),
    ("Quantity", lambda: order("P1", **{"<Quantity>1<": "<Quantity>3000000000<"})),
    ("UnitPrice", lambda: order("P1", **{"<UnitPrice>5<": "<UnitPrice>10000000000<"})),
    ("OrderTotal", lambda: order("P1", **{"<OrderTotal>5<": "<OrderTotal>1E+10<"})),
    ("Weight", lambda: order("P1", **{"<Quantity>": "<Weight>1E+100000000</Weight><Quantity>"})),
]


@pytest.mark.parametrize(("field", "poison"), POISONS, ids=[p[0] for p in POISONS])
def test_a_poison_value_rejects_its_order_only(field, poison):
    page = parse_export(orders_xml(order("GOOD-1"), poison(), order("GOOD-2")), limits=LIMITS)
    assert [o.order_id for o in page.orders if not o.rejected] == ["GOOD-1", "GOOD-2"]
    [bad] = [o for o in page.orders if o.rejected]
    assert f"<{field}>" in bad.rejected
    assert bad.last_modified and bad.order_number


def test_a_weight_too_large_to_compute_is_rejected_even_without_limits():
    page = parse_export(orders_xml(order("P1", **{"<Quantity>": "<Weight>1E+100000000</Weight><Quantity>"})))
    assert "<Weight>" in page.orders[0].rejected


def test_values_within_the_limits_are_not_rejected():
    page = parse_export(
        orders_xml(
            order("Y" * 50, **{"<Quantity>1<": "<Quantity>2147483647<", "<UnitPrice>5<": "<UnitPrice>9999999999.99<"})
        ),
        limits=LIMITS,
    )
    assert page.orders[0].rejected == ""
