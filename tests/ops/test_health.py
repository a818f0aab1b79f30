"""/health/live and /health/ready (issue 31, part 1): readiness red within one probe when the database is
stopped, when a migration is missing, when a queue's cluster has not been seen for 5 minutes, or when the
outbox is stuck; green again when fixed. The answers name the failed check and nothing else."""

import datetime as dt
import json
import os
import signal
import socket

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from core import queues
from ops import health
from ops.models import ClusterHeartbeat
from ops.services import cluster_heartbeat
from outbox.models import OutboxMessage
from tests.factories import make_store, make_tenant

POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


@pytest.fixture(autouse=True)
def _fresh_migration_answer():
    health.forget_migrations()
    yield
    health.forget_migrations()


@pytest.fixture
def clusters_used(settings):
    """Tasks go to real clusters (not inline, as the test settings have it)."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}


def beat_all(now=None):
    for kind in queues.KINDS:
        cluster_heartbeat(cluster=queues.cluster_name(kind), now=now)


def probe(client):
    response = client.get("/health/ready")
    body = json.loads(response.content)
    return response.status_code, body


def test_live_answers_without_a_database(client):
    response = client.get("/health/live")
    assert response.status_code == 200 and json.loads(response.content) == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_ready_is_green_with_every_queue_seen_and_tells_nothing_else(client, clusters_used):
    beat_all()
    status, body = probe(client)
    assert status == 200, body
    assert body == {
        "status": "ok",
        "failed": [],
        "checks": {
            "database": "ok",
            "cache": "not configured",
            "migrations": "ok",
            "clusters": "ok",
            "outbox": "ok",
        },
    }
    assert client.get("/health/ready", secure=False).status_code == 200  # probed over plain HTTP, not redirected


@pytest.mark.django_db
def test_ready_goes_red_when_no_cluster_was_seen_for_five_minutes_and_green_again(client, clusters_used, monkeypatch):
    beat_all()
    assert probe(client)[0] == 200
    later = timezone.now() + dt.timedelta(minutes=5, seconds=1)
    monkeypatch.setattr(health.timezone, "now", lambda: later)
    status, body = probe(client)
    assert status == 503 and body["failed"] == ["clusters"]
    assert body["checks"]["clusters"] == "not seen for 300 s: imports, outbox, batches, tracking"
    cluster_heartbeat(cluster=queues.cluster_name(queues.OUTBOX), now=later)  # one queue comes back
    assert probe(client)[1]["checks"]["clusters"] == "not seen for 300 s: imports, batches, tracking"
    beat_all(now=later)
    assert probe(client)[0] == 200


@pytest.mark.django_db
def test_ready_goes_red_when_a_migration_is_missing_and_green_once_applied(client, clusters_used):
    beat_all()
    assert probe(client)[0] == 200
    health.forget_migrations()  # a new process (a deploy) asks again
    recorded = MigrationRecorder.Migration.objects.get(app="ops", name="0001_i31x_cluster_heartbeat")
    recorded.delete()
    status, body = probe(client)
    assert status == 503 and body["failed"] == ["migrations"] and body["checks"]["migrations"] == "1 unapplied"
    MigrationRecorder.Migration.objects.create(app="ops", name="0001_i31x_cluster_heartbeat")
    assert probe(client)[0] == 200


@pytest.mark.django_db
def test_ready_goes_red_when_the_outbox_is_stuck(client, clusters_used, settings):
    beat_all()
    tenant = make_tenant("Stuck Outbox")
    message = OutboxMessage.objects.create(
        tenant=tenant, kind="email", next_attempt_at=timezone.now() - dt.timedelta(minutes=16)
    )
    status, body = probe(client)
    assert status == 503 and body["failed"] == ["outbox"]
    assert body["checks"]["outbox"] == "a message due for more than 15 min is unsent"
    OutboxMessage.objects.filter(pk=message.pk).update(state="sent")
    assert probe(client)[0] == 200


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once closed


@pytest.mark.skipif(not POSTGRES, reason="a database server to stop: the PostgreSQL pass (DATABASE_URL=postgres://…)")
@pytest.mark.django_db(transaction=True)
def test_ready_goes_red_when_the_database_is_unreachable_and_green_again(client, clusters_used):
    beat_all()
    assert probe(client)[0] == 200
    real_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(closed_port())  # the server is gone (connection refused)
    try:
        status, body = probe(client)
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real_port
    assert status == 503 and body["failed"] == ["database"]
    assert body["checks"] == {
        "database": "unreachable",
        "cache": "not configured",
        "migrations": "skipped",
        "clusters": "skipped",
        "outbox": "skipped",
    }
    assert "127.0.0.1" not in json.dumps(body) and "password" not in json.dumps(body).lower()
    assert probe(client)[0] == 200  # back: the next probe reconnects


@pytest.mark.django_db
def test_the_cache_check_reads_redis_when_configured(client, clusters_used, settings):
    pytest.importorskip("redis")
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": settings.REDIS_URL}
    }
    beat_all()
    if health.check_cache() != "ok":
        pytest.skip("no Redis on 127.0.0.1:6379")
    assert probe(client)[1]["checks"]["cache"] == "ok"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    status, body = probe(client)
    assert status == 503 and body["failed"] == ["cache"] and body["checks"]["cache"] == "unreachable"


# --- a real cluster, on each broker ---------------------------------------------------------------------


def cluster_names(env) -> dict:
    site = env.get("Q_SITE", "outbound")
    return {kind: site if kind == queues.IMPORTS else f"{site}-{kind}" for kind in queues.KINDS}


@pytest.mark.slow
@pytest.mark.skipif(not POSTGRES, reason="worker processes need a shared database: the PostgreSQL pass")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker", ["orm", "redis"])
def test_ready_follows_a_real_cluster_going_away_and_coming_back(client, clusters_used, settings, broker):
    from tests.orders.test_import_workers import start_cluster, stop, wait_for, worker_env

    env = {**worker_env(broker), "HEALTH_HEARTBEAT_SECONDS": "1", "HEALTH_CLUSTER_MAX_AGE_SECONDS": "4"}
    names = cluster_names(env)
    settings.Q_QUEUES = {kind: {**queue, "name": names[kind]} for kind, queue in settings.Q_QUEUES.items()}
    settings.HEALTH_CLUSTER_MAX_AGE_SECONDS = 4
    make_store(make_tenant("Cluster Watch"))
    assert probe(client)[1]["checks"]["clusters"].startswith("not seen")  # nothing runs yet

    cluster = start_cluster(env)
    try:
        assert wait_for(lambda: probe(client)[0] == 200, timeout=90), probe(client)
        assert set(ClusterHeartbeat.objects.values_list("cluster", flat=True)) >= set(names.values())
    finally:
        stop(cluster, signal.SIGKILL)  # every process of every cluster, at once
    assert wait_for(lambda: probe(client)[1]["failed"] == ["clusters"], timeout=30)

    cluster = start_cluster(env)
    try:
        assert wait_for(lambda: probe(client)[0] == 200, timeout=90), probe(client)
    finally:
        stop(cluster)


@pytest.mark.django_db
def test_a_red_probe_mails_nobody(client, clusters_used, settings, caplog):
    from django.core import mail

    settings.ADMINS = [("Ops", "ops@example.com")]
    mail.outbox.clear()
    for _ in range(3):
        assert probe(client)[0] == 503  # no heartbeat at all
    assert mail.outbox == []
    assert not [r for r in caplog.records if r.name == "django.request"]
    assert [r.getMessage() for r in caplog.records if r.name == "ops.health"][-1].startswith("Not ready: clusters")


def test_a_task_run_inline_starts_no_heartbeat(settings):
    """Q_SYNC runs django-q2's worker function in the caller, post_spawn and all: no thread, no row."""
    from django_q.signals import post_spawn

    from ops.heartbeat import worker_spawned

    assert worker_spawned(proc_name="Process-1:1") is None  # the test settings run tasks inline
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    assert worker_spawned(proc_name="MainProcess") is None  # one task run with sync=True
    assert all(result is None for _receiver, result in post_spawn.send(sender="django_q", proc_name="MainProcess"))
