"""Writes of the ops app: a cluster's heartbeat."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import ClusterHeartbeat


def cluster_heartbeat(*, cluster: str, host: str = "", pid: int | None = None, now: dt.datetime | None = None) -> None:
    """Record that `cluster` is alive now: one UPDATE of its row (made the first time)."""
    now = now or timezone.now()
    if ClusterHeartbeat.objects.filter(cluster=cluster).update(seen_at=now, host=host, pid=pid):
        return
    try:
        with transaction.atomic():
            ClusterHeartbeat.objects.create(cluster=cluster, seen_at=now, host=host, pid=pid)
    except IntegrityError:  # another worker of the cluster made it meanwhile
        ClusterHeartbeat.objects.filter(cluster=cluster).update(seen_at=now, host=host, pid=pid)
