"""Issue 17 item 6: the dashboard's picture of the day: three SVG charts, each with its figures as a table."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import make_order


@pytest.mark.django_db
def test_dashboard_draws_the_charts_with_their_tables(alice_client, store_a):
    make_order(store_a, order_date=timezone.now() - dt.timedelta(days=4))
    make_order(store_a, order_date=timezone.now() - dt.timedelta(hours=1))
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
