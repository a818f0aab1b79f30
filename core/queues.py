"""Which django-q2 cluster (queue) runs which work: every task is queued through `enqueue(kind, …)` and
every schedule names its kind, so one kind of work never waits in line behind another (docs/queues.md).

The queues, their names and worker counts are declared once, in settings.Q_QUEUES:

* IMPORTS: the schedule's ticks, import runs and checks, real-time (webhook) fetches, housekeeping. Its
  name is Q_SITE: a bare `manage.py qcluster` runs it.
* OUTBOX: the relay sending store updates, buyer e-mails and webhooks.
* BATCHES: batches (ship, mark delivered, re-send, CSV applies) and printing (a print task is queued with
  `enqueue(BATCHES, …, group="printing")`).
* TRACKING: carrier tracking polls.
"""

from __future__ import annotations

from django.conf import settings

from core import logcontext

IMPORTS = "imports"
OUTBOX = "outbox"
BATCHES = "batches"
TRACKING = "tracking"
KINDS = (IMPORTS, OUTBOX, BATCHES, TRACKING)


def cluster_name(kind: str) -> str:
    """The django-q2 cluster name (the queue's key on the broker) of a kind of work."""
    try:
        return settings.Q_QUEUES[kind]["name"]
    except KeyError:
        raise ValueError(f"No queue for {kind!r}; the queues are {', '.join(KINDS)}.") from None


def enqueue(kind: str, func: str, *args, **kwargs):
    """django-q2's async_task(func, *args, **kwargs) on the cluster of `kind`; returns the task id. With
    Q_SYNC (the tests) the task runs at once, in this process, whatever its queue."""
    from django_q.tasks import async_task  # looked up at call time (tests replace it)

    return async_task(func, *args, cluster=cluster_name(kind), **kwargs)


# --- what a worker's log lines are about (core.logcontext) -------------------------------------------------
# ops connects these to django-q2's pre_execute and post_execute_in_worker signals, sent in the worker around
# each task: every line the task writes carries its name and id (and whatever the task binds itself, such as
# the import run's store and run).


_task_tokens: list = []  # one per task running in this thread (an inline task may run inside a request)


def task_started(sender=None, func=None, task=None, **kwargs) -> None:
    task = task or {}
    name = task.get("func")
    name = name if isinstance(name, str) else getattr(name, "__qualname__", None)
    _task_tokens.append(logcontext.set_fields(task=name, task_id=task.get("id")))


def task_finished(sender=None, **kwargs) -> None:
    """Back to what was set before the task (nothing, in a worker; the request's fields, for a task run inline)."""
    if _task_tokens:
        logcontext.reset(_task_tokens.pop())
