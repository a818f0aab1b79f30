"""The buyers' tracking page (issue 33): a store with a buyer's order shipped, scans and an estimate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from carriers.services import carrier_account_create
from shipments.models import Shipment
from stores.services import store_settings_update
from tests.factories import make_detailed_order, make_shipment
from tracking.models import ShipmentTracking, TrackingEvent, TrackingState

BUYER = {"name": "Jane Buyer", "street": "1 Main St", "postal": "78701"}


@dataclass
class Parcel:
    shipment: Shipment
    order: object
    store: object


def ship_with_scans(store, *, number: str, tracking_number: str, estimated: dt.date | None = None) -> Parcel:
    """A detailed order (Jane Buyer, 1 Main St, 78701) shipped by UPS with three scans."""
    order = make_detailed_order(store, number=number, internal_notes="VIP buyer, call first")
    shipment = make_shipment(order, carrier="UPS", tracking_number=tracking_number)
    account = (
        carrier_account_create(
            tenant=store.tenant, carrier="UPS", client_id="id", client_secret="secret", server_url="http://127.0.0.1:9"
        )
        if not store.tenant.carrier_accounts.exists()
        else store.tenant.carrier_accounts.first()
    )
    ShipmentTracking.objects.create(
        tenant=store.tenant,
        shipment=shipment,
        account=account,
        state=TrackingState.IN_TRANSIT,
        status_text="Departed from facility",
        estimated_delivery=estimated,
    )
    now = timezone.now()
    for hours, text, place in (
        (30, "Origin scan", "Austin TX"),
        (20, "Departed from facility", "Dallas TX"),
        (2, "Arrived at facility", "Kansas City MO"),
    ):
        TrackingEvent.objects.create(
            tenant=store.tenant,
            shipment=shipment,
            occurred_at=now - dt.timedelta(hours=hours),
            state=TrackingState.IN_TRANSIT,
            description=text,
            location=place,
            fingerprint=f"{shipment.pk}-{hours}",
        )
    return Parcel(shipment=shipment, order=order, store=store)


@pytest.fixture
def parcel_a(store_a):
    store_settings_update(
        store=store_a,
        company_name="Acme Goods",
        accent_colour="#0a7d32",
        website="https://acme.example.com",
        phone="555-0142",
        reply_to="help@acme.example.com",
    )
    return ship_with_scans(
        store_a, number="A-100", tracking_number="1ZACME0001", estimated=timezone.localdate() + dt.timedelta(days=2)
    )


@pytest.fixture
def parcel_b(store_b):
    return ship_with_scans(store_b, number="B-200", tracking_number="1ZBRAVO0002")


@pytest.fixture
def alice_client(alice):
    from django.test import Client

    client = Client()
    client.force_login(alice)
    return client
