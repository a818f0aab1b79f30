"""A store that drips its answer holds a worker only until the request deadline (issue 14): in a one-worker
django-q2 cluster, another store's import queued behind it still runs, long before Q_TIMEOUT."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from orders.models import ImportRun, ImportState, Order
from tests.hostile import HostileStore, export_xml, first_import_only, order_xml
from tests.orders.test_import_workers import enqueue, pytestmark, start_cluster, stop, wait_for, worker_env

__all__ = ["pytestmark"]  # the same markers: slow, and PostgreSQL only (worker processes share the database)

DEADLINE = 3


@pytest.mark.django_db(transaction=True)
def test_a_dripping_store_does_not_hold_the_only_worker(tenant_a, tenant_b):
    dripping = HostileStore(answer=lambda request: (200, export_xml([order_xml("D-1")]), {}), drip=1.0).start()
    good = HostileStore(answer=first_import_only(lambda: export_xml([order_xml("G-1"), order_xml("G-2")]))).start()
    since = timezone.now() - dt.timedelta(days=3650)
    try:
        slow_run = ImportRun.objects.create(store=dripping.connect(tenant_a), trigger="manual", since=since)
        good_store = good.connect(tenant_b)
        good_run = ImportRun.objects.create(store=good_store, trigger="manual", since=since)
        env = worker_env("orm")
        # One worker, and a task timeout far beyond the deadline: only the deadline can free the worker.
        env.update(
            {
                "Q_WORKERS": "1",
                "Q_TIMEOUT": "600",
                "Q_RETRY": "700",
                "STORE_REQUEST_DEADLINE": str(DEADLINE),
                "IMPORT_LEASE_SECONDS": "300",
            }
        )
        cluster = start_cluster(env)
        try:
            enqueue(env, [slow_run.pk, good_run.pk])
            done = wait_for(
                lambda: (
                    not ImportRun.objects.filter(
                        pk__in=[slow_run.pk, good_run.pk], state__in=[ImportState.QUEUED, ImportState.RUNNING]
                    ).exists()
                ),
                timeout=120,
            )
        finally:
            stop(cluster)
        slow_run.refresh_from_db()
        good_run.refresh_from_db()
        assert done, (slow_run.state, good_run.state)
        assert slow_run.state == ImportState.FAILED
        assert f"did not deliver its answer within {DEADLINE} s" in slow_run.error  # not "worker stopped"
        assert good_run.state == ImportState.SUCCEEDED, good_run.error
        assert len(dripping.requests) == 1
        connection.close()
        assert Order.objects.filter(store=good_store).count() == 2
    finally:
        dripping.stop()
        good.stop()
