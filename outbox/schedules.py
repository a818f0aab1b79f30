"""The periodic django-q2 schedules of the outbox, installed by `manage.py setup_schedules`.

Each entry: (schedule name, dotted task function, every so many minutes, queue kind: core.queues)."""

SCHEDULES = [("outbound-outbox-relay", "outbox.tasks.outbox_relay_due", 1, "outbox")]
