import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest

from stores.connector import client as client_module
from stores.connector.client import ConnectionOutcome, StoreClient
from stores.connector.errors import StoreAuthError, StoreRejected
from stores.connector.registry import client_for_store
from stores.connector.types import Address, ShipNotice, ShipNoticeItem
from stores.connector.xmlparse import parse_ship_notice

from .conftest import fixture_bytes

START = dt.datetime(2012, 1, 23, 17, 28, tzinfo=dt.UTC)
END = dt.datetime(2012, 1, 23, 17, 33, tzinfo=dt.UTC)


def make_client(url: str, **options) -> StoreClient:
    options = {"allow_private": True, "allow_http": True, "sleep": lambda s: None, **options}
    return StoreClient(url, "admin", "s3cr3t-PASS", **options)


def query(recorded) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(recorded.path).query, keep_blank_values=True).items()}


def page_xml(pages: int, number: str) -> bytes:
    return (
        fixture_bytes("no_pages_attribute.xml")
        .replace(b"<Orders>", f'<Orders pages="{pages}">'.encode())
        .replace(b"5a4b3c2d-0000-4000-8000-000000000001", number.encode())
    )


def test_export_walks_pages_in_utc_and_rereads_the_page_count(store_server):
    store_server.answer(200, page_xml(3, "A"))
    store_server.answer(200, page_xml(2, "B"))  # an order dropped out while paging: only 2 pages now
    pages = list(make_client(store_server.url).export_pages(START, END))
    assert [p.orders[0].order_number for p in pages] == ["A", "B"]
    assert [p.page for p in pages] == [1, 2]
    assert query(store_server.requests[0]) == {
        "action": "export",
        "start_date": "01/23/2012 17:28",
        "end_date": "01/23/2012 17:33",
        "page": "1",
    }
    assert query(store_server.requests[1])["page"] == "2"


def test_export_is_lazy_one_page_at_a_time(store_server):
    store_server.answer(200, page_xml(5, "A"))
    pages = make_client(store_server.url).export_pages(START, END, first_page=4, prefetch=False)
    assert next(pages).page == 4 and len(store_server.requests) == 1


def test_prefetch_reads_at_most_one_page_ahead(store_server):
    for name in "ABCD":
        store_server.answer(200, page_xml(5, name))
    pages = make_client(store_server.url).export_pages(START, END, first_page=2)
    assert next(pages).page == 2
    assert store_server.wait_for_requests(2)  # page 3 is fetched ahead while the caller holds page 2 ...
    assert len(store_server.requests) == 2  # ... and page 4 is not
    assert [p.page for p in pages] == [3, 4, 5]


def test_empty_export_is_one_request(store_server):
    client = make_client(store_server.url)
    assert [p.orders for p in client.export_pages(START, END)] == [[]]
    assert client.requests_made == 1


def test_ship_notify_posts_query_and_xml_body(store_server):
    store_server.answer(200, b"success", {"Content-Type": "text/plain"})
    notice = ShipNotice(
        order_id="123456",
        order_number="ABC123",
        carrier="USPS",
        service="",
        tracking_number="9400 1000",
        shipping_cost=Decimal("4.95"),
        recipient=Address(name="Ann", address1="1 Main", city="Austin", state="TX", country="US"),
        items=[ShipNoticeItem("25252", "FD88821", "Mug", 2)],
    )
    result = make_client(store_server.url).ship_notify(notice)
    assert (result.status_code, result.body_excerpt) == (200, "success")
    request = store_server.requests[0]
    assert request.method == "POST" and request.headers["Content-Type"].startswith("application/xml")
    assert query(request) == {
        "action": "shipnotify",
        "order_number": "ABC123",
        "carrier": "USPS",
        "service": "",
        "tracking_number": "9400 1000",
    }
    assert parse_ship_notice(request.body) == notice


def test_ship_notify_for_unknown_order_is_rejected(store_server):
    store_server.answer(400, b"Order ABC999 not found")
    with pytest.raises(StoreRejected, match="HTTP 400.*ABC999 not found"):
        make_client(store_server.url).ship_notify(ShipNotice(order_id="ABC999", order_number="ABC999"))


def test_ship_notify_magento_fault_with_200_is_an_error(store_server):
    store_server.answer(200, b"<fault><faultcode>401</faultcode><faultstring>Denied</faultstring></fault>")
    with pytest.raises(StoreAuthError):
        make_client(store_server.url).ship_notify(ShipNotice(order_id="1", order_number="1"))


def test_connection_ok_asks_for_five_minutes_ending_now(store_server):
    result = make_client(store_server.url).test_connection(now=END)
    assert result.outcome is ConnectionOutcome.OK and result.ok
    assert query(store_server.requests[0])["start_date"] == "01/23/2012 17:28"


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (401, b"", ConnectionOutcome.BAD_CREDENTIALS),
        (403, b"", ConnectionOutcome.NOT_ADMIN),
        (404, b"Not found", ConnectionOutcome.NOT_AN_ENDPOINT),
        (200, fixture_bytes("html_page.html"), ConnectionOutcome.NOT_AN_ENDPOINT),
        (200, b"", ConnectionOutcome.NOT_AN_ENDPOINT),
        (200, b"<Response/>", ConnectionOutcome.NOT_AN_ENDPOINT),
        (503, b"", ConnectionOutcome.UNREACHABLE),
    ],
)
def test_connection_outcomes(store_server, status, body, outcome):
    for _ in range(3):
        store_server.answer(status, body)
    result = make_client(store_server.url).test_connection()
    assert result.outcome is outcome and result.message
    assert "s3cr3t-PASS" not in result.message


def test_connection_gives_up_quickly(store_server):
    for _ in range(5):
        store_server.answer(503)
    make_client(store_server.url).test_connection()
    assert len(store_server.requests) == client_module.TEST_TRANSPORT_OPTIONS["max_attempts"]


def test_connection_to_closed_port_is_unreachable():
    result = make_client("http://127.0.0.1:9/ss").test_connection()
    assert result.outcome is ConnectionOutcome.UNREACHABLE


def test_connection_to_refused_url_is_unreachable_with_reason():
    result = make_client("https://10.0.0.5/ss", allow_private=False).test_connection()
    assert result.outcome is ConnectionOutcome.UNREACHABLE
    assert "10.0.0.5 is a private network address" in result.message


def test_connection_counts_its_requests(store_server):
    client = make_client(store_server.url)
    client.test_connection()
    assert client.requests_made == 1


def test_client_for_store_uses_endpoint_and_credentials(store_server):
    store = SimpleNamespace(endpoint_url=store_server.url, username="admin", get_password=lambda: "pw-from-vault")
    client = client_for_store(store, allow_private=True, allow_http=True)
    list(client.export_pages(START, END))
    assert store_server.requests[0].headers["Authorization"].startswith("Basic ")
    assert "pw-from-vault" not in repr(client)


def test_settings_decide_private_and_http_when_not_given(settings):
    settings.ALLOW_PRIVATE_STORE_HOSTS = False
    settings.ALLOW_HTTP_STORE_URLS = False
    result = StoreClient("http://127.0.0.1:9/ss", "u", "p").test_connection()
    assert "https://" in result.message
