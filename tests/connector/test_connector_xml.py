import datetime as dt
from decimal import Decimal

import pytest

from stores.connector.errors import NotAShipStationExport, StoreAuthError, StoreDocumentError
from stores.connector.types import Address, Customer, ExportItem, ExportOrder, ItemOption, ShipNotice, ShipNoticeItem
from stores.connector.xmlparse import (
    build_ship_notice,
    format_store_datetime,
    parse_export,
    parse_ship_notice,
    parse_store_datetime,
)

from .conftest import fixture_bytes


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def parse(name: str):
    return parse_export(fixture_bytes(name))


def test_normal_page_parses_every_field():
    page = parse("normal_page.xml")
    assert (page.pages, page.page, len(page.orders)) == (3, 1, 2)
    assert page.orders[0] == ExportOrder(
        order_id="123456",
        order_number="ABC123",
        order_date=utc(2019, 10, 18, 21, 56),
        order_status="Approved, Pending Shipping",
        last_modified=utc(2019, 12, 8, 12, 56),
        shipping_method="USPSPriorityMail",
        payment_method="Credit Card",
        currency_code="USD",
        order_total=Decimal("123.45"),
        tax_amount=Decimal("0.00"),
        shipping_amount=Decimal("4.50"),
        customer_notes="Please make sure it gets here by Dec. 22nd!",
        internal_notes="Ship by December 18th via Priority Mail & insure.",
        gift=True,
        gift_message="Happy birthday, <Grandpa>!",
        custom_field1="coupon: TENOFF",
        custom_field2="",
        custom_field3="",
        requested_warehouse="Dallas DC",
        source="Storefront 2",
        dimensions=None,
        customer=Customer(
            customer_code="customer@mystore.com",
            bill_to=Address(
                name="The President", company="US Govt", phone="512-555-5555", email="customer@mystore.com"
            ),
            ship_to=Address(
                name="The President",
                company="US Govt",
                address1="1600 Pennsylvania Ave",
                city="Washington",
                state="DC",
                postal_code="20500",
                country="US",
                phone="512-555-5555",
            ),
        ),
        items=[
            ExportItem(
                line_item_id="25252",
                sku="FD88821",
                name="My Product Name",
                image_url="https://shop.example.com/images/FD88821.jpg",
                weight=Decimal("8"),
                weight_units="Ounces",
                quantity=2,
                unit_price=Decimal("13.99"),
                upc="012345678905",
                location="A1-B2",
                options=[ItemOption("Size", "Large", Decimal("10")), ItemOption("Color", "Green", Decimal("5"))],
            ),
            ExportItem(
                line_item_id="",
                sku="",
                name="$10 OFF",
                image_url="",
                weight=None,
                weight_units="",
                quantity=1,
                unit_price=Decimal("-10.00"),
                adjustment=True,
            ),
        ],
    )
    assert page.orders[0].has_ship_to and not page.orders[1].gift


def test_magento_all_cdata_with_utf16_prolog_over_utf8_bytes():
    order = parse("magento_cdata_utf16_prolog.xml").orders[0]
    assert order.order_id == "000000042"  # no OrderID: falls back to OrderNumber
    assert order.order_date == utc(2024, 3, 5, 14, 7, 9)
    assert order.order_total == Decimal("123.45")
    assert order.customer.ship_to.name == "Zoë Müller"
    assert order.customer_notes == "Fish &amp; chips – café"  # &amp; inside CDATA is left as is
    assert order.extra == {"StoreCode": "default"}
    assert [i.options for i in order.items] == [[], []]
    assert order.items[1].adjustment and order.items[1].unit_price == Decimal("-4.55")


def test_real_utf16_document_is_read():
    body = fixture_bytes("normal_page.xml").decode().replace("utf-8", "utf-16").encode("utf-16")
    assert parse_export(body).orders[0].order_number == "ABC123"


def test_24_hour_time_with_pm_suffix_is_not_shifted():
    order = parse("dates_24h_pm.xml").orders[0]
    assert order.order_date == utc(2011, 12, 8, 21, 56)
    assert order.last_modified == utc(2011, 12, 8, 12, 56)


def test_12_hour_short_and_iso_dates():
    first, second = parse("dates_12h.xml").orders
    assert first.order_date == utc(2011, 12, 8, 21, 56)
    assert first.last_modified == utc(2011, 12, 8, 0, 5)
    assert second.order_date == utc(2024, 3, 7, 7, 5)
    assert second.last_modified == utc(2024, 3, 7, 7, 30, 15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03/23/2012 21:09", utc(2012, 3, 23, 21, 9)),
        ("3/4/2012 5:06:07", utc(2012, 3, 4, 5, 6, 7)),
        ("12/8/2011 12:30 AM", utc(2011, 12, 8, 0, 30)),
        ("12/8/2011 12:30 PM", utc(2011, 12, 8, 12, 30)),
        ("12/8/11 1:00 p.m.", utc(2011, 12, 8, 13, 0)),
        ("12/8/2011", utc(2011, 12, 8)),
        ("2024-03-05 14:07:09", utc(2024, 3, 5, 14, 7, 9)),
        ("2024-03-05T14:07:09Z", utc(2024, 3, 5, 14, 7, 9)),
        ("2024-03-05T09:07:09-05:00", utc(2024, 3, 5, 14, 7, 9)),
        ("03232012 2109", utc(2012, 3, 23, 21, 9)),
    ],
)
def test_store_date_formats(text, expected):
    assert parse_store_datetime(text) == expected


def test_bad_date_names_order_and_element():
    body = fixture_bytes("dates_24h_pm.xml").replace(b"12/8/2011 21:56 PM", b"yesterday")
    with pytest.raises(StoreDocumentError, match=r"Order 1001: <OrderDate> is 'yesterday'"):
        parse_export(body)


def test_dates_are_formatted_in_utc_24_hour():
    eastern = dt.timezone(dt.timedelta(hours=-5))
    assert format_store_datetime(dt.datetime(2012, 1, 23, 12, 28, tzinfo=eastern)) == "01/23/2012 17:28"
    with pytest.raises(ValueError):
        format_store_datetime(dt.datetime(2012, 1, 23, 17, 28))


def test_missing_pages_attribute_means_one_page():
    page = parse("no_pages_attribute.xml")
    assert (page.pages, len(page.orders)) == (1, 1)
    assert parse_export(b"<Orders/>").pages == 0


def test_pages_zero_with_extra_page_attribute_is_empty():
    page = parse("empty_pages_zero.xml")
    assert (page.pages, page.orders) == (0, [])


def test_fields_in_any_order_and_unknown_elements_kept():
    order = parse("shuffled_unknown_elements.xml").orders[0]
    assert (order.order_id, order.order_number, order.order_status) == ("9912", "2077", "on-hold")
    assert order.extra == {"OrderPaymentMethodTitle": "Direct bank transfer"}
    assert order.items[0].extra == {"CostOfGoods": "3.10"}
    assert (order.items[0].quantity, order.items[0].unit_price) == (4, Decimal("9.50"))
    assert order.customer.ship_to.postal_code == "M5H 1A1"
    assert order.dimensions.units == "in" and order.dimensions.height == Decimal("4.5")


def test_booleans_as_1_0_yes_no():
    first, second = parse("booleans_1_0.xml").orders
    assert first.gift and not second.gift
    assert [i.adjustment for i in first.items] == [False, True]
    assert second.items[0].adjustment


def test_adjustment_line_with_negative_price_and_no_sku():
    adjustment = parse("booleans_1_0.xml").orders[0].items[1]
    assert (adjustment.sku, adjustment.unit_price, adjustment.adjustment) == ("", Decimal("-5.00"), True)


def test_weight_unit_spellings_are_normalised_and_kg_converted():
    items = parse("weight_units.xml").orders[0].items
    assert [i.weight_units for i in items] == ["Pounds"] * 4 + ["Ounces"] * 3 + ["Grams"] * 7 + [""]
    assert [i.weight for i in items[-3:-1]] == [Decimal("1500.0")] * 2
    assert items[0].options == []


def test_unknown_weight_unit_is_reported():
    body = fixture_bytes("weight_units.xml").replace(b"<WeightUnits>lb<", b"<WeightUnits>stone<")
    with pytest.raises(StoreDocumentError, match="weight unit 'stone'"):
        parse_export(body)


def test_order_without_ship_to_is_parsed_and_flagged():
    no_element, no_address1 = parse("no_ship_to.xml").orders
    assert no_element.customer.ship_to is None and not no_element.has_ship_to
    assert no_address1.customer.ship_to.name == "Someone" and not no_address1.has_ship_to


def test_missing_required_element_names_order_and_element():
    with pytest.raises(StoreDocumentError, match=r"Order 5500 has no <OrderDate>"):
        parse("missing_order_date.xml")


def test_missing_sku_on_a_product_line_is_reported():
    body = fixture_bytes("no_pages_attribute.xml").replace(b"<SKU>S</SKU>", b"")
    with pytest.raises(StoreDocumentError, match=r"item 1 has no <SKU>"):
        parse_export(body)


@pytest.mark.parametrize("name", ["hostile_billion_laughs.xml", "hostile_external_entity.xml"])
def test_hostile_documents_are_refused_at_their_dtd(name):
    with pytest.raises(StoreDocumentError, match="refused: the document declares a DTD"):
        parse(name)
    # Refused where the DTD starts, before any entity is declared or expanded: what follows the DOCTYPE is
    # never read (a parser that went on would stop at this unclosed element with another error).
    head = fixture_bytes(name).split(b"]>", 1)[0] + b"]>"
    assert b"<!DOCTYPE" in head and b"<!ENTITY" in head
    with pytest.raises(StoreDocumentError, match="refused: the document declares a DTD"):
        parse_export(head + b"<Orders><Order><unclosed")


def test_50_mb_document_is_refused_before_parsing(monkeypatch):
    from stores.connector.xmlparse import document

    order = fixture_bytes("no_pages_attribute.xml").split(b"<Orders>")[1].split(b"</Orders>")[0]
    body = b"<Orders>" + order * (50 * 1024 * 1024 // len(order) + 1) + b"</Orders>"
    touched = []
    for step in ("_normalise_encoding", "_tree"):
        monkeypatch.setattr(document, step, lambda *args, _step=step, **kwargs: touched.append(_step))
    with pytest.raises(StoreDocumentError, match=r"sent 50\.\d MB for one page; Outbound accepts at most 20\.0 MB"):
        parse_export(body)
    assert touched == []  # neither re-encoded nor handed to a parser


def test_size_cap_is_configurable():
    with pytest.raises(StoreDocumentError, match="at most 100 bytes"):
        parse_export(fixture_bytes("normal_page.xml"), max_bytes=100)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "empty answer"),
        (b"  \n", "empty answer"),
        (fixture_bytes("html_page.html"), "web page"),
        (b"Error: check query string parameters", "not XML"),
        (b"<Response><Status>ok</Status></Response>", "root element is <Response>"),
        (b'{"orders": []}', "not XML"),
    ],
)
def test_answers_that_are_not_exports(body, words):
    with pytest.raises(NotAShipStationExport, match=f"not a ShipStation export: .*{words}"):
        parse_export(body)


def test_malformed_xml_is_reported():
    with pytest.raises(StoreDocumentError, match="not well-formed"):
        parse_export(b"<Orders><Order></Orders>")


def test_magento_fault_401_is_an_auth_error():
    body = b"<fault><faultcode>401</faultcode><faultstring>Unauthorized</faultstring></fault>"
    with pytest.raises(StoreAuthError):
        parse_export(body)


def test_ship_notice_round_trips():
    notice = ShipNotice(
        order_id="123456",
        order_number="ABC123",
        customer_code="customer@mystore.com",
        notes_to_customer="Thanks & enjoy <3",
        notify_customer=True,
        label_create_date=utc(2019, 10, 19, 12, 56),
        ship_date=dt.date(2019, 10, 19),
        carrier="USPS",
        service="Priority Mail",
        tracking_number="1Z999",
        shipping_cost=Decimal("4.5"),
        recipient=Address(name="The President", address1="1600 Pennsylvania Ave", city="Washington", country="US"),
        items=[ShipNoticeItem(line_item_id="25252", sku="FD88821", name="My Product Name", quantity=2)],
    )
    body = build_ship_notice(notice)
    assert b"<LabelCreateDate>10/19/2019 12:56</LabelCreateDate>" in body
    assert b"<ShippingCost>4.50</ShippingCost>" in body
    assert parse_ship_notice(body) == notice


def test_ship_notice_drops_characters_xml_cannot_carry():
    body = build_ship_notice(ShipNotice(order_id="1", order_number="1", notes_to_customer="bell\x07 ok"))
    assert parse_ship_notice(body).notes_to_customer == "bell ok"


# --- per-order digests and `skip` (unchanged orders are recognised before they are converted) -------


def _orders_doc(*orders: str) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?>\n<Orders pages="1">' + "".join(orders) + "</Orders>").encode()


def _order(oid: str, notes: str = "", status: str = "Paid") -> str:
    return (
        f"<Order><OrderID>{oid}</OrderID><OrderNumber>{oid}</OrderNumber>"
        "<OrderDate>01/02/2025 10:00</OrderDate>"
        f"<CustomerNotes><![CDATA[{notes}]]></CustomerNotes><OrderStatus><![CDATA[{status}]]></OrderStatus>"
        "<LastModified>01/02/2025 10:00</LastModified><OrderTotal>1.00</OrderTotal>"
        "<Customer><CustomerCode>c</CustomerCode><BillTo><Name>A</Name></BillTo></Customer><Items/></Order>"
    )


def test_each_order_carries_the_digest_of_its_own_bytes():
    page = parse_export(_orders_doc(_order("1"), _order("2")))
    first, second = (o.raw_digest for o in page.orders)
    assert first and second and first != second
    again = parse_export(_orders_doc(_order("2"), _order("1", status="Shipped")))
    assert again.orders[0].raw_digest == second  # the same bytes elsewhere on a page: the same digest
    assert again.orders[1].raw_digest != first  # any change in the order: another digest


def test_skip_leaves_recognised_orders_unconverted():
    body = _orders_doc(_order("1"), _order("2"), _order("3"))
    digests = {o.order_id: o.raw_digest for o in parse_export(body).orders}
    asked = {}

    def skip(seen):
        asked.update(seen)
        return {"1", "3"}

    page = parse_export(body, skip=skip)
    assert asked == digests
    assert [o.order_id for o in page.orders] == ["2"]
    assert sorted(page.unchanged) == ["1", "3"]


@pytest.mark.parametrize("notes", ["see </Order> below", "</Order> <Order>", "<Order>x</Order>"])
def test_order_text_that_looks_like_order_tags_never_hides_a_change(notes):
    # A note holding "</Order>" would cut a naive split short of the status that follows it: then no
    # digest is trusted, nothing is skipped, and the changed status arrives.
    before = parse_export(_orders_doc(_order("1", notes), _order("2")))
    after = parse_export(
        _orders_doc(_order("1", notes, status="Cancelled"), _order("2")),
        skip=lambda seen: {oid for oid, d in seen.items() if d in {o.raw_digest for o in before.orders}},
    )
    assert [o.order_status for o in after.orders if o.order_id == "1"] == ["Cancelled"]


def _known(body):
    digests = {o.order_id: o.raw_digest for o in parse_export(body).orders}
    return lambda seen: {oid for oid, digest in seen.items() if digests.get(oid) == digest}


def test_a_page_of_known_orders_is_recognised_whole():
    body = _orders_doc(_order("1"), _order("2")).replace(b'pages="1"', b'pages="7"')
    page = parse_export(body, page=3, skip=_known(body))
    assert (page.orders, sorted(page.unchanged), page.pages, page.page) == ([], ["1", "2"], 7, 3)


@pytest.mark.parametrize(
    "damage",
    [
        (b"</Orders>", b"</Orderz>"),  # the root never closes
        (b'pages="1"', b'pages="1" pages="2"'),  # a duplicate attribute
        (b"<Orders", b"&bogus;<Orders"),  # text (an undeclared entity) before the root
    ],
)
def test_known_orders_in_a_broken_document_are_still_refused(damage):
    body = _orders_doc(_order("1"), _order("2"))
    with pytest.raises(StoreDocumentError):
        parse_export(body.replace(*damage), skip=_known(body))


def test_known_orders_under_another_root_are_not_an_export():
    body = _orders_doc(_order("1"))
    other = body.replace(b"<Orders", b"<Customers").replace(b"</Orders>", b"</Customers>")
    with pytest.raises(NotAShipStationExport):
        parse_export(other, skip=_known(body))


def test_known_orders_with_a_doctype_go_through_the_strict_parser():
    body = _orders_doc(_order("1"))
    hostile = body.replace(b"<Orders", b'<!DOCTYPE Orders [<!ENTITY x "y">]><Orders', 1)
    with pytest.raises(StoreDocumentError, match="DTD"):
        parse_export(hostile, skip=_known(body))
