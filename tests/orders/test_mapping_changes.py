"""Issue 28, part 2: a change of a store's mapping brings in the orders skipped for a status mapped now, whoever
writes it: the stores app announces it (stores.changes.MAPPING_CHANGED) and this app listens."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from orders.models import ImportRun, SkippedOrder, SkipReason, UnmappedStatus
from orders.services import status_mapping_update
from stores.services import status_mapping_set


def _skipped_for_fraud_review(store, days: int) -> dt.datetime:
    modified = timezone.now() - dt.timedelta(days=days)
    SkippedOrder.objects.create(
        store=store,
        external_id=f"{days}",
        number=f"{days}",
        reason=SkipReason.UNMAPPED_STATUS,
        store_status="Fraud Review",
        modified_at=modified,
        content_hash="x",
    )
    return modified


def test_a_mapping_written_by_the_stores_app_brings_in_what_it_skipped(store_a, monkeypatch):
    """The admin's write (stores.admin saves the mapping through status_mapping_set, below this app)."""
    monkeypatch.setattr("orders.services.enqueue_import", lambda run_id: None)
    earliest = _skipped_for_fraud_review(store_a, days=3)
    _skipped_for_fraud_review(store_a, days=1)
    UnmappedStatus.objects.create(store=store_a, key="fraud review", status="Fraud Review", earliest_modified=earliest)
    UnmappedStatus.objects.create(store=store_a, key="lost", status="Lost")

    mapping, started = status_mapping_set(store=store_a, lists={"on_hold": "Fraud Review"}, user=None)

    run = ImportRun.objects.get(store=store_a)
    assert started == [run] and (run.since, run.state, run.trigger) == (earliest, "queued", "manual")
    assert list(UnmappedStatus.objects.filter(store=store_a).values_list("key", flat=True)) == ["lost"]
    assert mapping.map("fraud review") == "on_hold"


def test_the_orders_entry_point_tells_which_import_the_change_started(store_a, alice, monkeypatch):
    monkeypatch.setattr("orders.services.enqueue_import", lambda run_id: None)
    assert status_mapping_update(store=store_a, lists={"cancelled": "Voided"}).run is None  # nothing skipped
    _skipped_for_fraud_review(store_a, days=2)
    saved = status_mapping_update(store=store_a, lists={"on_hold": "Fraud Review"}, user=alice)
    assert saved.run == ImportRun.objects.get(store=store_a) and saved.run.requested_by == alice
    assert saved.mapping.map("voided") == "cancelled"
