"""Each app declares its own schedules (its `schedules.py`); `setup_schedules` installs their union, once."""

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from api.schedules import SCHEDULES as API
from core import queues
from hooks.schedules import SCHEDULES as HOOKS
from labels.schedules import SCHEDULES as LABELS
from ops.schedules import ScheduleSpec, declared_schedules
from orders.schedules import SCHEDULES as ORDERS
from outbox.schedules import SCHEDULES as OUTBOX
from shipments.schedules import SCHEDULES as SHIPMENTS
from tracking.schedules import SCHEDULES as TRACKING

pytestmark = pytest.mark.django_db


def rows():
    return {
        (s.name, s.func, s.schedule_type, s.minutes, s.repeats, s.cluster) for s in Schedule.objects.order_by("name")
    }


def test_setup_schedules_installs_the_union_of_every_apps_schedules_and_a_second_run_changes_nothing():
    call_command("setup_schedules", verbosity=0)
    wanted = {
        (spec.name, spec.func, Schedule.MINUTES, spec.minutes, -1, queues.cluster_name(spec.queue))
        for spec in (ScheduleSpec(*entry) for entry in [*ORDERS, *OUTBOX, *API, *TRACKING, *HOOKS, *SHIPMENTS, *LABELS])
    }
    assert len(wanted) == 12 and rows() == wanted
    ids = set(Schedule.objects.values_list("pk", flat=True))
    call_command("setup_schedules", verbosity=0)
    assert rows() == wanted and set(Schedule.objects.values_list("pk", flat=True)) == ids


def test_a_changed_declaration_updates_the_schedule_in_place():
    Schedule.objects.create(
        name="outbound-idempotency-prune",
        func="api.services.idempotency_records_prune",
        schedule_type=Schedule.MINUTES,
        minutes=60,
        repeats=-1,
    )
    call_command("setup_schedules", verbosity=0)
    schedule = Schedule.objects.get(name="outbound-idempotency-prune")
    assert schedule.func == "api.tasks.idempotency_records_prune_task"  # a task, not a service scheduled directly
    assert Schedule.objects.filter(name="outbound-idempotency-prune").count() == 1


def test_every_declared_function_is_a_task_that_exists():
    from django.utils.module_loading import import_string

    for spec in declared_schedules():
        assert ".tasks." in spec.func and callable(import_string(spec.func)), spec


def test_a_name_declared_twice_is_an_error(monkeypatch):
    twice = [("outbound-import-tick", "outbox.tasks.outbox_relay_due", 1)]
    monkeypatch.setattr("outbox.schedules.SCHEDULES", twice)
    with pytest.raises(ValueError, match="outbound-import-tick"):
        declared_schedules()


def test_each_schedule_runs_on_its_queues_cluster():
    """The scheduler of each cluster creates the tasks of its own schedules, on its own queue: the minute
    ticks never wait behind the outbox or a batch."""
    call_command("setup_schedules", verbosity=0)
    clusters = dict(Schedule.objects.values_list("name", "cluster"))
    assert clusters["outbound-import-tick"] == clusters["outbound-hooks-sweep"] == queues.cluster_name("imports")
    assert clusters["outbound-import-tick"] == "outbound"  # the imports queue is the site's own (bare qcluster)
    assert clusters["outbound-outbox-relay"] == "outbound-outbox"
    assert clusters["outbound-batches-sweep"] == "outbound-batches"
    assert clusters["outbound-tracking-poll"] == "outbound-tracking"
    assert len(set(clusters.values())) == 4
