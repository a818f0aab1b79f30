"""django-q2 tasks for imports: thin, ids only, safe to run twice. They call orders.services."""

from __future__ import annotations

from django.conf import settings

from .rules.services import holds_release_due
from .services import (
    enqueue_checks,
    import_checks_run,
    import_run_execute,
    import_runs_prune,
    import_tick,
    reconcile_tick,
)


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


def import_check_task(slots: list[tuple], helper: bool = False) -> str:
    """A batch of scheduled store checks handed out by the tick; each waits for its slot (not in sync
    mode, where tasks run inline and there is nothing to spread). A batch running late hands part of
    its overdue slots to a helper task (which hands nothing on)."""
    sync = settings.Q_CLUSTER.get("sync")
    split = None if sync or helper else (lambda given: enqueue_checks(given, helper=True))
    outcomes = import_checks_run(slots, wait=not sync, split=split)
    return "checks: " + ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))


def import_runs_prune_task() -> str:
    """Scheduled every hour by `setup_schedules`: import runs past their retention."""
    deleted = import_runs_prune()
    return "pruned import runs: " + ", ".join(f"{count} {kind}" for kind, count in deleted.items())


def holds_release_task() -> str:
    """Scheduled every hour by `setup_schedules`: the orders a rule held until a date that has come."""
    return f"released {holds_release_due()} held order(s)"
