"""Real django-q2 clusters on PostgreSQL: a killed worker, and two clusters racing for one store, on the
default store behaviour and one other (every behaviour with `pytest -m slow`).

These need a database that other processes can see, so they run on PostgreSQL (CI's second pass)
and are skipped on SQLite's in-memory test database.
"""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from orders.models import ImportRun, ImportState
from orders.services import import_tick
from tests import factories
from tests.orders.conftest import behaviour_params, connect, split_road
from tests.orders.truth import mismatches

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="worker processes need a shared database: runs in the PostgreSQL pass (DATABASE_URL=postgres://…)",
    ),
]


def worker_env(broker: str) -> dict:
    db = settings.DATABASES["default"]
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "Q_SYNC": "False",
            "Q_WORKERS": "2",
            # One cluster per queue (manage.py qclusters): the others with one worker each.
            "Q_OUTBOX_WORKERS": "1",
            "Q_BATCHES_WORKERS": "1",
            "Q_TRACKING_WORKERS": "1",
            "Q_POLL": "0.1",
            "IMPORT_LEASE_SECONDS": "4",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if broker == "redis":
        env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
        # Redis is shared by every run: queues of their own. (On the ORM broker the queues live in this
        # test's database and keep the test process's names, so what it queues reaches these clusters.)
        env["Q_SITE"] = f"test-{uuid.uuid4().hex[:8]}"
    return env


def start_cluster(env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "qclusters"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def enqueue(env, run_ids):
    code = "from orders.services import enqueue_import\n" + "".join(f"enqueue_import({i})\n" for i in run_ids)
    subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True, timeout=60)


def stop(proc, sig=signal.SIGTERM):
    """SIGKILL: every process of the group at once (a machine going away). SIGTERM: to the leader only, as an
    operator stops `manage.py qclusters` (or gunicorn): it stops its clusters, each cluster its workers. (A
    SIGTERM to the whole group also reached each cluster's sentinel and workers, which exit on it at once
    while their cluster waits for them: the clusters hung until the kill 20 seconds later, in every test.)
    Whatever of the group is left after 20 seconds, or after the leader exited, is killed."""
    if proc.poll() is None:
        if sig == signal.SIGKILL:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # the whole group is gone
    proc.wait()


def wait_for(predicate, timeout=120, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


@pytest.fixture(params=behaviour_params())
def slow_store(request, sandbox_factory, tenant_a):
    road, behaviour = split_road(request.param)
    server = sandbox_factory(orders=800, seed=21, page_size=50, **behaviour)
    server.set_faults(rate=1.0, kinds=["slow:0.15"], actions="export")
    store = connect(tenant_a, server, road=road)
    return store, server


def since():
    return timezone.now() - dt.timedelta(days=120)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_is_covered_by_the_next_run(slow_store, settings):
    store, server = slow_store
    env = worker_env("orm")
    run = ImportRun.objects.create(store=store, trigger="manual", since=since())
    cluster = start_cluster(env)
    try:
        enqueue(env, [run.pk])
        assert wait_for(lambda: ImportRun.objects.get(pk=run.pk).pages_done >= 3, timeout=60)
    finally:
        stop(cluster, signal.SIGKILL)
    assert ImportRun.objects.get(pk=run.pk).state == ImportState.RUNNING  # cut off mid-way

    server.reset_faults()
    factories.import_state_set(store, import_watermark=None)
    ImportRun.objects.filter(pk=run.pk).update(since=since())
    # The tick is told the time: one lease past the dead worker's last heartbeat, without waiting for it.
    lease_over = ImportRun.objects.get(pk=run.pk).heartbeat_at + dt.timedelta(seconds=settings.IMPORT_LEASE_SECONDS + 1)
    queued = import_tick(now=lease_over)  # reaps the dead run and queues (here: runs, sync mode) a fresh one
    killed = ImportRun.objects.get(pk=run.pk)
    assert killed.state == ImportState.FAILED and "worker stopped" in killed.error
    assert queued == [store.pk]  # the tick hands out the store; its check finds no watermark: an import run
    assert ImportRun.objects.filter(store=store).exclude(pk=run.pk).get().state == ImportState.SUCCEEDED
    store.refresh_from_db()
    assert mismatches(store, server.truth()) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker", ["orm", "redis"])
def test_two_clusters_never_import_one_store_at_once(slow_store, broker):
    store, server = slow_store
    server.set_faults(rate=1.0, kinds=["slow:0.03"], actions="export")
    env = worker_env(broker)
    runs = [ImportRun.objects.create(store=store, trigger="schedule", since=since()) for _ in range(4)]
    clusters = [start_cluster(env), start_cluster(env)]
    try:
        enqueue(env, [r.pk for r in runs])
        done = wait_for(
            lambda: (
                not ImportRun.objects.filter(
                    pk__in=[r.pk for r in runs], state__in=[ImportState.QUEUED, ImportState.RUNNING]
                ).exists()
            ),
            timeout=180,
        )
    finally:
        for c in clusters:
            stop(c)
    assert done, list(ImportRun.objects.filter(pk__in=[r.pk for r in runs]).values("state", "pages_done"))
    finished = list(ImportRun.objects.filter(pk__in=[r.pk for r in runs]).order_by("started_at"))
    worked = [r for r in finished if r.state == ImportState.SUCCEEDED]
    assert worked, [(r.state, r.error, r.pages_done) for r in finished]
    for a, b in zip(worked, worked[1:], strict=False):
        assert a.finished_at <= b.started_at, "two imports of one store overlapped"
    skipped = [r for r in finished if r.state == ImportState.SKIPPED]
    assert all("already running" in r.error for r in skipped)
    assert not [r for r in finished if r.state == ImportState.FAILED]
    assert len({r.worker for r in finished}) >= 2 or len(worked) == len(finished)
    connection.close()
    store.refresh_from_db()
    assert mismatches(store, server.truth()) == []
