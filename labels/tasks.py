"""django-q2 tasks of labels: thin, safe to run twice."""

from __future__ import annotations

from .services import labels_sweep


def labels_sweep_task() -> int:
    return labels_sweep()
