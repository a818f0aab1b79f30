"""/health/live and /health/ready (docs/operations.md#health): JSON, unauthenticated, a handful of cheap
queries, and nothing in the answer a stranger could use (no host, no version, no error text).

Readiness checks, in order; a check that needs the database is skipped when the database is down:

* database: `SELECT 1` on the default database;
* cache: with REDIS_URL, a write and a read in the shared cache (the same Redis is django-q2's broker);
* migrations: none of the project's migrations unapplied (the answer is kept once it is "all applied": a
  deploy migrates before it starts the new processes, and migrations are never unapplied under them);
* clusters: every queue's django-q2 cluster has written its heartbeat (ops.heartbeat) within
  HEALTH_CLUSTER_MAX_AGE_SECONDS;
* outbox: no row due for more than HEALTH_OUTBOX_MAX_DUE_MINUTES and still unsent (the relay is stuck).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core import queues

logger = logging.getLogger(__name__)

OK = "ok"
_migrations_applied = threading.Event()  # set once every migration was seen applied (never cleared by a probe)


def forget_migrations() -> None:
    """Ask again at the next probe (the tests; a process never needs it)."""
    _migrations_applied.clear()


def check_database(alias: str = DEFAULT_DB_ALIAS) -> str:
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.warning("Health: database %s unreachable", alias, exc_info=True)
        connection.close_if_unusable_or_obsolete()
        try:
            connection.close()
        except Exception:  # noqa: S110  (already broken: the next probe reconnects)
            pass
        return "unreachable"
    return OK


def check_cache() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    from django.core.cache import cache

    try:
        cache.set("outbound:health", "1", 30)
        if cache.get("outbound:health") != "1":
            return "unreadable"
    except Exception:
        logger.warning("Health: cache unreachable", exc_info=True)
        return "unreachable"
    return OK


def unapplied_migrations(alias: str = DEFAULT_DB_ALIAS) -> int:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[alias])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def check_migrations() -> str:
    if _migrations_applied.is_set():
        return OK
    missing = unapplied_migrations()
    if missing:
        return f"{missing} unapplied"
    _migrations_applied.set()
    return OK


def check_clusters(now: dt.datetime) -> str:
    if settings.Q_CLUSTER.get("sync"):
        return "not used (tasks run inline)"
    from .models import ClusterHeartbeat

    names = {queues.cluster_name(kind): kind for kind in queues.KINDS}
    since = now - dt.timedelta(seconds=settings.HEALTH_CLUSTER_MAX_AGE_SECONDS)
    alive = set(
        ClusterHeartbeat.objects.filter(cluster__in=names, seen_at__gte=since).values_list("cluster", flat=True)
    )
    down = [kind for name, kind in names.items() if name not in alive]
    if down:
        return f"not seen for {settings.HEALTH_CLUSTER_MAX_AGE_SECONDS} s: " + ", ".join(down)
    return OK


def check_outbox(now: dt.datetime) -> str:
    from .fleet import outbox_old  # the fleet page's "due long ago, unsent": the same rows

    stuck = outbox_old(now).exists()
    return f"a message due for more than {settings.HEALTH_OUTBOX_MAX_DUE_MINUTES} min is unsent" if stuck else OK


def readiness(now: dt.datetime | None = None) -> dict[str, str]:
    now = now or timezone.now()
    checks = {"database": check_database(), "cache": check_cache()}
    if checks["database"] == OK:
        for name, check in (
            ("migrations", check_migrations),
            ("clusters", lambda: check_clusters(now)),
            ("outbox", lambda: check_outbox(now)),
        ):
            try:
                checks[name] = check()
            except Exception:
                logger.warning("Health: %s check failed", name, exc_info=True)
                checks[name] = "failed"
    else:
        checks.update(migrations="skipped", clusters="skipped", outbox="skipped")
    return checks


PASSING = {OK, "not configured", "not used (tasks run inline)", "skipped"}


@never_cache
@require_GET
def live(request):
    """The process answers: nothing else is asked."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request):
    checks = readiness()
    failed = sorted(name for name, result in checks.items() if result not in PASSING)
    body = {"status": "fail" if failed else "ok", "failed": failed, "checks": checks}
    response = JsonResponse(body, status=503 if failed else 200)
    if failed:
        logger.warning("Not ready: %s", ", ".join(f"{name} {checks[name]}" for name in failed))
        # Not one `django.request` error per probe (every few seconds while down): with ADMINS set, Django would
        # mail each of them to the operators. The warning above says it once per probe, in the logs only.
        response._has_been_logged = True
    return response
