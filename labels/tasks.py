"""django-q2 tasks of labels: thin, safe to run twice."""

from __future__ import annotations

from outbox.services import default_worker

from .batches import label_batch_work, label_batches_sweep
from .services import labels_sweep


def labels_sweep_task() -> int:
    return labels_sweep()


def label_batch_task(batch_id: int) -> str:
    """One chunk of a confirmed label batch (labels.batches)."""
    return label_batch_work(batch_id, worker=default_worker())


def label_batches_sweep_task() -> str:
    done = label_batches_sweep()
    return f"label batches: {done['resumed']} resumed, {done['finished']} finished"
