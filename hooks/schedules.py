"""The periodic django-q2 schedules of real time, installed by `manage.py setup_schedules`."""

SCHEDULES = [
    ("outbound-hooks-sweep", "hooks.tasks.hooks_sweep_task", 1),
]
