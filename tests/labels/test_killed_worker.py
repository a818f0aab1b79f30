"""Issue 29 part 6 on PostgreSQL: a process buying a label is SIGKILLed while the carrier is selling it. Its
purchase row was committed before the call, so the order cannot be labelled again meanwhile; the sweep finds
it, matches the label the carrier made by its reference, and the carrier's truth shows one sale.

The buying process needs a database it shares with the test: PostgreSQL (CI's second pass)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys

import pytest
from django.utils import timezone

from labels.models import LabelPurchase, PurchaseState
from labels.services import LabelInProgress, label_buy, labels_sweep
from tests.factories import make_detailed_order
from tests.orders.test_import_workers import ROOT, wait_for, worker_env

from .conftest import label_setup

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="a process of its own needs a shared database: runs in the PostgreSQL pass (DATABASE_URL=postgres://…)",
    ),
]


@pytest.mark.django_db(transaction=True)
def test_a_process_killed_mid_purchase_never_buys_twice(tenant_a, store_a, carrier_sandbox):
    accounts = label_setup(tenant_a, store_a, carrier_sandbox, carriers=("FedEx",))
    order = make_detailed_order(store_a, number="K-1")
    carrier_sandbox.set_latency(ship=3.0)  # the carrier takes its time: the process dies meanwhile
    code = (
        "from carriers.models import CarrierAccount; from orders.models import Order; "
        "from labels.services import label_buy; "
        f"label_buy(order=Order.objects.get(pk={order.pk}),"
        f" account=CarrierAccount.objects.get(pk={accounts['FedEx'].pk}),"
        " service='fedex_ground', price=12.5, currency='USD', created_by_label='worker')"
    )
    buyer = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=worker_env("orm"),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for(lambda: carrier_sandbox.calls("fedex", "ship") >= 1, timeout=60, step=0.05)
    finally:
        os.killpg(buyer.pid, signal.SIGKILL)
        buyer.wait()
    [purchase] = LabelPurchase.objects.all()
    assert purchase.state == PurchaseState.CALLING  # committed before the call, left by the dead process
    assert wait_for(lambda: len(carrier_sandbox.labels_sold()) == 1, timeout=30, step=0.05)  # the carrier sold

    with pytest.raises(LabelInProgress):  # a second operator, the same order: no second purchase
        label_buy(order=order, account=accounts["FedEx"], service="fedex_ground", price=12.5)
    assert labels_sweep() == 0  # not yet stale: a live process could still be waiting for the carrier
    assert labels_sweep(now=timezone.now() + dt.timedelta(hours=1)) == 1
    purchase.refresh_from_db()
    [sold] = carrier_sandbox.labels_sold()
    assert purchase.state == PurchaseState.BOUGHT and purchase.matched
    assert (
        purchase.tracking_number == sold.tracking_number and purchase.shipment.tracking_number == sold.tracking_number
    )
    assert carrier_sandbox.calls("fedex", "ship") == 1


@pytest.mark.django_db(transaction=True)
def test_two_operators_buying_at_once_make_one_label(tenant_a, store_a, carrier_sandbox):
    import threading

    from django.db import connection

    accounts = label_setup(tenant_a, store_a, carrier_sandbox, carriers=("UPS",))
    order = make_detailed_order(store_a, number="D-1")
    carrier_sandbox.set_latency(ship=0.5)
    start, outcomes = threading.Barrier(4), []

    def click():
        try:
            start.wait()
            outcomes.append(label_buy(order=order, account=accounts["UPS"], service="ups_ground", price=9).state)
        except LabelInProgress:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["bought", "refused", "refused", "refused"]
    assert len(carrier_sandbox.labels_sold()) == 1 and LabelPurchase.objects.count() == 1
