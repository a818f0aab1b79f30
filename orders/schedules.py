"""The periodic django-q2 schedules of the import engine, installed by `manage.py setup_schedules`.

Each entry: (schedule name, dotted task function, every so many minutes)."""

SCHEDULES = [
    ("outbound-import-tick", "orders.tasks.import_tick_task", 1),
    ("outbound-reconcile-tick", "orders.tasks.reconcile_tick_task", 60),
    ("outbound-import-runs-prune", "orders.tasks.import_runs_prune_task", 60),
    # Issue 30: the orders a rule held until a date that has come are released.
    ("outbound-holds-release", "orders.tasks.holds_release_task", 60),
]
