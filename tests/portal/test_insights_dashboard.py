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


# --- issue 29 part 8: label spend in the picture of the day ----------------------------------------------------


def _bought(order, carrier, price, state="bought"):
    from labels.models import LabelPurchase

    return LabelPurchase.objects.create(
        tenant=order.tenant, order=order, carrier=carrier, service="s", price=price, currency="USD", state=state
    )


@pytest.mark.django_db
def test_label_spend_per_day_carrier_and_store_on_the_dashboard(alice_client, store_a, store_b):
    _bought(make_order(store_a), "USPS", "9.42")
    _bought(make_order(store_a), "UPS", "12.10")
    _bought(make_order(store_a), "UPS", "5.00", state="voided")
    _bought(make_order(store_b), "FedEx", "77.77")  # another tenant's: never shown
    page = alice_client.get("/").content.decode()
    assert 'id="chart-spend"' in page and page.count("<svg viewBox=") == 3  # no shipment: no ship-time chart
    assert "21.52 USD" in page and "2 labels" in page and "1 voided (5.00 USD)" in page
    carrier_table = page.split('id="table-spend-carrier"')[1].split("</table>")[0]
    assert '<th scope="row">USPS</th>' in carrier_table and "9.42 USD" in carrier_table
    store_table = page.split('id="table-spend-store"')[1].split("</table>")[0]
    assert f'<th scope="row">{store_a.name}</th>' in store_table and "21.52 USD" in store_table
    assert 'id="table-spend-days"' in page
    assert "77.77" not in page and "FedEx" not in page
    french = alice_client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Dépenses d’étiquettes par jour" in french and "21,52 USD" in french and "2 étiquettes" in french


@pytest.mark.django_db
def test_no_label_spend_says_so(alice_client, store_a):
    make_order(store_a)
    page = alice_client.get("/").content.decode()
    assert 'id="spend-empty"' in page and 'id="table-spend-carrier"' not in page
