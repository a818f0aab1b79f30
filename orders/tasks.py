"""django-q2 tasks for imports: thin, ids only, safe to run twice."""

from __future__ import annotations


def enqueue_import(run_id: int) -> None:
    from django_q.tasks import async_task

    async_task("orders.tasks.import_run_task", run_id, task_name=f"import-run-{run_id}", group="imports")


def import_run_task(run_id: int) -> str:
    from .importer import import_run_execute

    run = import_run_execute(run_id=run_id)
    return f"import run {run_id}: {run.state if run else 'skipped'}"


def import_tick_task() -> str:
    """Scheduled every minute by `setup_schedules`."""
    from .importer import import_tick

    queued = import_tick()
    return f"queued {len(queued)} store import(s)"


def reconcile_tick_task() -> str:
    """Scheduled every hour by `setup_schedules`: the reconciliation sweeps that are due."""
    from .importer import reconcile_tick

    queued = reconcile_tick()
    return f"queued {len(queued)} reconciliation sweep(s)"
