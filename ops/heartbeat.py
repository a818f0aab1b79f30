"""Each django-q2 worker tells the database its cluster is alive, every HEALTH_HEARTBEAT_SECONDS, from a
daemon thread started when the worker starts (django-q2's post_spawn signal, sent in every worker process,
on either broker). /health/ready reads the rows (ops.health): a queue none of whose workers wrote for
HEALTH_CLUSTER_MAX_AGE_SECONDS is down. django-q2's own cluster statistics live in the broker's cache, which
on the ORM broker is each process's own memory: the web process could not read them, hence this row."""

from __future__ import annotations

import logging
import os
import socket
import threading

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)


def beat_once(cluster: str) -> None:
    from .services import cluster_heartbeat

    try:
        cluster_heartbeat(cluster=cluster, host=socket.gethostname(), pid=os.getpid())
    except Exception:  # a database away for a moment: the next beat tries again
        logger.warning("Heartbeat of cluster %s not written", cluster, exc_info=True)
    finally:
        connection.close()  # this thread's own connection: not held between beats


def _beat_forever(cluster: str, stop: threading.Event) -> None:
    while True:
        beat_once(cluster)
        if stop.wait(settings.HEALTH_HEARTBEAT_SECONDS):
            return


_started_in: set[int] = set()  # the processes whose heartbeat thread runs (one each)


def running_inline(proc_name: str | None) -> bool:
    """Whether a post_spawn is a task run inline in the caller (Q_SYNC, or the main process), not a worker."""
    from django_q.conf import Conf

    return bool(Conf.SYNC or settings.Q_CLUSTER.get("sync") or proc_name == "MainProcess")


def settle_worker_heap(sender=None, proc_name=None, **kwargs) -> bool | None:
    """post_spawn receiver: a worker process settles its heap once (core.heap); not a task run inline."""
    from core import heap

    return None if running_inline(proc_name) else heap.settle()


def worker_spawned(sender=None, proc_name=None, **kwargs) -> threading.Thread | None:
    """post_spawn receiver: start this worker's heartbeat thread (it dies with the worker). Not for a task
    run inline (Q_SYNC: django-q2 runs its worker function in the caller, sending post_spawn each time): no
    cluster there to vouch for."""
    from django_q.conf import Conf

    if running_inline(proc_name) or os.getpid() in _started_in:
        return None
    _started_in.add(os.getpid())
    thread = threading.Thread(
        target=_beat_forever, args=(Conf.CLUSTER_NAME, threading.Event()), name="outbound-heartbeat", daemon=True
    )
    thread.start()
    return thread
