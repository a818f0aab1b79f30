"""Issue 17 item 6: the dashboard's picture of the day: three SVG charts, each with its figures as a table."""

import datetime as dt

import pytest
from django.utils import timezone

from orders.models import OrderStatus
from tests.factories import make_order, make_shipment


@pytest.mark.django_db
def test_dashboard_draws_the_charts_with_their_tables(alice_client, store_a):
    make_order(store_a, order_date=timezone.now() - dt.timedelta(days=4))
    make_shipment(make_order(store_a, order_date=timezone.now() - dt.timedelta(hours=1)))
    page = alice_client.get("/").content.decode()
    for chart in ("chart-days", "chart-waiting", "chart-ship-time"):
        assert f'id="{chart}"' in page
    assert page.count("<svg viewBox=") == 3
    assert 'id="table-waiting"' in page and "late-row" in page and "bar-late" in page
    assert 'id="table-days"' in page and 'id="table-ship-time"' in page


@pytest.mark.django_db
def test_dashboard_in_french(alice_client, store_a):
    make_order(store_a)
    page = alice_client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Commandes reçues et expédiées par jour" in page


# --- issue 25 item 19: what "shipped" counts, an empty ship time chart, the late row's words -----------------


@pytest.mark.django_db
def test_the_dashboard_says_orders_shipped_outside_outbound_are_not_counted(alice_client, store_a):
    for _ in range(3):
        make_order(store_a, status=OrderStatus.SHIPPED)  # imported as shipped: shipped in the store itself
    make_order(store_a, order_date=timezone.now() - dt.timedelta(days=5))
    page = alice_client.get("/").content.decode()
    assert "last 30 days: 4 received, 0 shipped with Outbound" in page
    assert "Orders shipped outside Outbound (marked shipped in the store or another app) are not counted here." in page
    # No shipment in eight weeks: words instead of an empty frame, and no table of zeros.
    assert 'id="ship-time-empty"' in page and "No shipments yet in the last 8 weeks" in page
    assert 'id="table-ship-time"' not in page and page.count("<svg viewBox=") == 2
    # The late row says what it is, not "3 days or more late".
    assert "Late: 3 days or more</th>" in page
    assert 'badge-red">late<' not in page
    french = alice_client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "expédiées avec Outbound" in french and "ne sont pas comptées ici" in french
    assert "En retard : 3 jours ou plus" in french and "Aucune expédition ces 8 dernières semaines" in french


@pytest.mark.django_db
def test_the_ship_time_chart_is_drawn_once_there_is_a_shipment(alice_client, store_a):
    make_shipment(make_order(store_a, order_date=timezone.now() - dt.timedelta(hours=5)))
    page = alice_client.get("/").content.decode()
    assert 'id="ship-time-empty"' not in page and 'id="table-ship-time"' in page
    assert "1 shipped with Outbound" in page
