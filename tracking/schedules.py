"""The periodic django-q2 schedule of carrier tracking (installed by `manage.py setup_schedules`).

The cycle is cheap when nothing is due: each shipment's own next poll (tracking.services.next_poll_after)
decides how often it is really asked about."""

SCHEDULES = [("outbound-tracking-poll", "tracking.tasks.tracking_poll_due_task", 5, "tracking")]
