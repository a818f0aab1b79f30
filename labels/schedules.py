"""The periodic django-q2 schedules of labels, installed by `manage.py setup_schedules`.

Each entry: (schedule name, dotted task function, every so many minutes, queue kind: core.queues)."""

SCHEDULES = [
    # Purchases a killed worker left "calling": uncertain, then matched by reference (labels.services).
    ("outbound-labels-sweep", "labels.tasks.labels_sweep_task", 5, "batches"),
    # Label batches whose worker was killed or whose task was lost: queued again (labels.batches).
    ("outbound-label-batches-sweep", "labels.tasks.label_batches_sweep_task", 1, "batches"),
]
