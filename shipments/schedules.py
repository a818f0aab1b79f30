"""The periodic django-q2 schedules of shipments, installed by `manage.py setup_schedules`.

Each entry: (schedule name, dotted task function, every so many minutes, queue kind: core.queues)."""

SCHEDULES = [
    ("outbound-batches-sweep", "shipments.tasks.batch_sweep_task", 1, "batches"),
    ("outbound-print-jobs-sweep", "shipments.tasks.print_jobs_sweep_task", 1, "batches"),
]
