"""The same batch submitted twice at the same moment (a double click, two tabs) ships each order once:
each order's BatchItem is written under the batch's unique key in the order's own transaction."""

import threading

import pytest
from django.db import connection, connections

from shipments import batch as batches
from shipments.models import BatchItem, Shipment
from tests.factories import make_order


def _rows(orders, tracking_prefix):
    return [
        batches.ShipRow(order=o, carrier="UPS", tracking_number=f"{tracking_prefix}{i}") for i, o in enumerate(orders)
    ]


@pytest.mark.skipif(connection.vendor == "sqlite", reason="row locks and concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_submissions_of_one_batch_at_once_ship_each_order_once(tenant_a, store_a):
    orders = [make_order(store_a) for _ in range(30)]
    start = threading.Barrier(2)
    errors = []

    def submit(prefix):
        start.wait()
        try:
            batches.batch_ship(tenant=tenant_a, key="same-key", rows=_rows(orders, prefix), notify_buyer=False)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(p,)) for p in ("1ZA", "1ZB")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert Shipment.objects.count() == 30
    assert set(BatchItem.objects.values_list("outcome", flat=True)) == {"shipped"}


def test_a_second_submission_skips_the_orders_done_and_retries_the_refused(tenant_a, store_a):
    orders = [make_order(store_a) for _ in range(3)]
    rows = _rows(orders, "1Z")
    rows[2].tracking_number = "bad,tracking"  # a comma: refused (a space would be removed)
    batches.batch_ship(tenant=tenant_a, key="k", rows=rows, notify_buyer=False)
    assert Shipment.objects.count() == 2
    rows[2].tracking_number = "1ZFIXED"
    batch = batches.batch_ship(tenant=tenant_a, key="k", rows=rows, notify_buyer=False)
    assert Shipment.objects.count() == 3 and batch.submissions == 2
    assert list(batch.items.values_list("outcome", flat=True)) == ["shipped"] * 3
