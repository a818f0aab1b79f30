"""django-q2 tasks for imports: thin, ids only, safe to run twice. They call orders.services."""

from __future__ import annotations

from .services import import_run_execute, import_tick, reconcile_tick


def import_run_task(run_id: int) -> str:
    run = import_run_execute(run_id=run_id)
    return f"import run {run_id}: {run.state if run else 'skipped'}"


def import_tick_task() -> str:
    """Scheduled every minute by `setup_schedules`."""
    queued = import_tick()
    return f"queued {len(queued)} store import(s)"


def reconcile_tick_task() -> str:
    """Scheduled every hour by `setup_schedules`: the reconciliation sweeps that are due."""
    queued = reconcile_tick()
    return f"queued {len(queued)} reconciliation sweep(s)"
