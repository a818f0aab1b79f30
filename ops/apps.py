from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running Outbound: the demo, the periodic schedules every app declares, the django-q2 check.

    Nothing in the domain imports ops; ops reads what the apps declare (their `schedules.py`)."""

    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from django_q.signals import post_execute_in_worker, post_spawn, pre_execute

        from core import queues

        from . import (
            checks,  # noqa: F401  (registers the django-q2 configuration check)
            heartbeat,
        )

        # In each worker process: its heartbeat (health), its heap settled (core.heap), and its tasks' names in
        # their log lines.
        post_spawn.connect(heartbeat.worker_spawned, dispatch_uid="outbound-heartbeat")
        post_spawn.connect(heartbeat.settle_worker_heap, dispatch_uid="outbound-settle-heap")
        pre_execute.connect(queues.task_started, dispatch_uid="outbound-task-log-context")
        post_execute_in_worker.connect(queues.task_finished, dispatch_uid="outbound-task-log-context-end")
