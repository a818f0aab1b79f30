"""What the running installation writes about itself: each queue's cluster heartbeat (ops.heartbeat)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ClusterHeartbeat(models.Model):
    """One row per django-q2 cluster name (a queue, core.queues): when one of its workers last said it was
    alive. Written by the workers themselves (ops.heartbeat), on either broker; read by /health/ready."""

    cluster = models.CharField(max_length=100, primary_key=True)
    seen_at = models.DateTimeField(default=timezone.now)
    host = models.CharField(max_length=200, blank=True, default="")
    pid = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "cluster heartbeat"

    def __str__(self) -> str:
        return f"{self.cluster} seen {self.seen_at:%Y-%m-%d %H:%M:%S}"
