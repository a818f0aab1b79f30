"""Issue 18 defects: regression tests for the rough edges a merchant hit in the portal."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.importer import import_run_execute
from orders.models import ImportRun, ImportState
from stores.models import Store


def _run(store, state, minutes_ago, error=""):
    return ImportRun.objects.create(store=store, state=state, error=error,
                                    queued_at=timezone.now() - dt.timedelta(minutes=minutes_ago))


# --- 3: failure alerts are per store, de-duplicated, and clear when the store recovers ---------------------

def test_failing_store_gives_one_alert_with_its_attempts(alice_client, store_a):
    _run(store_a, ImportState.FAILED, 300, "old failure, long recovered")
    _run(store_a, ImportState.SUCCEEDED, 200)
    for minutes in (30, 20, 10):
        _run(store_a, ImportState.FAILED, minutes, f"Connection refused ({minutes})")
    html = alice_client.get(reverse("portal:dashboard")).content.decode()
    assert html.count("failing since") == 1
    assert "3 attempts" in html and "Connection refused (10)" in html
    assert "old failure" not in html and "Connection refused (30)" not in html


def test_alert_disappears_when_the_next_run_succeeds(alice_client, store_a):
    for minutes in (30, 20):
        _run(store_a, ImportState.FAILED, minutes, "Connection refused")
    _run(store_a, ImportState.SUCCEEDED, 5)
    html = alice_client.get(reverse("portal:dashboard")).content.decode()
    assert "failing since" not in html and "Connection refused" not in html


def test_dashboard_alert_queries_do_not_grow_with_history(alice_client, store_a, store_b,
                                                          django_assert_max_num_queries):
    alice_client.get(reverse("portal:dashboard"))
    for minutes in range(1, 40):
        _run(store_a, ImportState.FAILED, minutes, "down")
    with django_assert_max_num_queries(20):
        html = alice_client.get(reverse("portal:dashboard")).content.decode()
    assert "39 attempts" in html


# --- 3b: a lock conflict is a skip, never a failure ---------------------------------------------------------

@pytest.mark.django_db
def test_lock_conflict_is_recorded_as_skipped_not_failed(alice_client, store_a):
    holder = _run(store_a, ImportState.RUNNING, 1)
    Store.objects.filter(pk=store_a.pk).update(import_running_since=timezone.now(), import_lock_run=holder.pk)
    loser = _run(store_a, ImportState.QUEUED, 0)
    run = import_run_execute(run_id=loser.pk)
    assert run.state == ImportState.SKIPPED and "already running" in run.error
    store_a.refresh_from_db()
    assert store_a.consecutive_failures == 0 and store_a.last_import_ok is not False
    html = alice_client.get(reverse("portal:dashboard")).content.decode()
    assert "failing since" not in html and "already running" not in html
