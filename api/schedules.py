"""The periodic django-q2 schedules of the API, installed by `manage.py setup_schedules`.

Each entry: (schedule name, dotted task function, every so many minutes)."""

SCHEDULES = [("outbound-idempotency-prune", "api.tasks.idempotency_records_prune_task", 60)]
