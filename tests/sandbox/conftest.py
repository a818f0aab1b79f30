"""Helpers for the sandbox's own tests: talk to it over HTTP and parse what it says with defusedxml."""

from __future__ import annotations

import defusedxml.ElementTree as SafeET
import pytest
import requests

WIDE = {"start_date": "01/01/2000 00:00", "end_date": "12/31/2099 23:59"}
FIXED_NOW = "2025-03-01T12:00:00Z"


def export(server, page=1, auth=None, **params) -> requests.Response:
    query = {"action": "export", **WIDE, "page": str(page), **params}
    return requests.get(server.endpoint_url, params=query, auth=auth or (server.username, server.password), timeout=10)


def orders_of(response: requests.Response) -> tuple[int, list]:
    root = SafeET.fromstring(response.content)
    assert root.tag == "Orders"
    return int(root.get("pages")), root.findall("Order")


def export_all(server, **params) -> list:
    pages, orders = orders_of(export(server, 1, **params))
    for page in range(2, pages + 1):
        orders += orders_of(export(server, page, **params))[1]
    return orders


def ship_notice(order_number: str, tracking="1Z999AA10123456784", carrier="UPS", items=()) -> bytes:
    lines = "".join(
        f"<Item><LineItemID>{lid}</LineItemID><SKU>{sku}</SKU><Quantity>{qty}</Quantity></Item>"
        for lid, sku, qty in items
    )
    return (
        f"<?xml version='1.0' encoding='utf-8'?><ShipNotice><OrderNumber>{order_number}</OrderNumber>"
        f"<Carrier>{carrier}</Carrier><Service>UPS Ground</Service><TrackingNumber>{tracking}</TrackingNumber>"
        "<ShippingCost>7.45</ShippingCost><NotesToCustomer>Thanks for shopping!</NotesToCustomer>"
        "<InternalNotes>Packed by Sam</InternalNotes><NotifyCustomer>true</NotifyCustomer>"
        f"<LabelCreateDate>03/01/2025 12:00</LabelCreateDate><ShipDate>03/01/2025</ShipDate><Items>{lines}</Items>"
        "</ShipNotice>"
    ).encode()


def post_notice(server, order_number, body=None, carrier="UPS", tracking="1Z999AA10123456784", auth=None):
    params = {
        "action": "shipnotify",
        "order_number": order_number,
        "carrier": carrier,
        "service": "UPS Ground",
        "tracking_number": tracking,
    }
    return requests.post(
        server.endpoint_url,
        params=params,
        data=body or ship_notice(order_number, tracking, carrier),
        auth=auth or (server.username, server.password),
        timeout=10,
    )


@pytest.fixture
def frozen(sandbox_factory):
    """A 60-order store whose clock only moves with advance()."""
    return sandbox_factory(orders=60, seed=5, page_size=10, now=FIXED_NOW, frozen_clock=True)
