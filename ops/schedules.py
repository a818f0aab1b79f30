"""The periodic schedules: each app declares its own in `<app>/schedules.py` (a SCHEDULES list of
(name, dotted task function, minutes[, queue kind])); ops collects them and installs them in django-q2,
each on its queue's cluster (core.queues; the imports queue when no kind is given)."""

from __future__ import annotations

from importlib import import_module
from typing import NamedTuple

from django.apps import apps
from django.utils.module_loading import module_has_submodule

from core import queues


class ScheduleSpec(NamedTuple):
    name: str
    func: str
    minutes: int
    queue: str = queues.IMPORTS


def declared_schedules() -> list[ScheduleSpec]:
    """Every installed app's declared schedules, in INSTALLED_APPS order. A name declared twice is an error."""
    found: dict[str, ScheduleSpec] = {}
    for app in apps.get_app_configs():
        if not module_has_submodule(app.module, "schedules") or app.name == __package__:
            continue
        for entry in getattr(import_module(f"{app.name}.schedules"), "SCHEDULES", []):
            spec = ScheduleSpec(*entry)
            queues.cluster_name(spec.queue)  # an unknown kind fails here, loudly
            if spec.name in found:
                raise ValueError(f"Schedule {spec.name!r} is declared twice ({found[spec.name].func}, {spec.func}).")
            found[spec.name] = spec
    return list(found.values())


def schedules_install() -> list[tuple[ScheduleSpec, bool]]:
    """Create or update each declared schedule; returns (schedule, created). Running it again changes nothing."""
    from django_q.models import Schedule

    done = []
    for spec in declared_schedules():
        _, created = Schedule.objects.update_or_create(
            name=spec.name,
            defaults={
                "func": spec.func,
                "schedule_type": Schedule.MINUTES,
                "minutes": spec.minutes,
                "repeats": -1,
                "cluster": queues.cluster_name(spec.queue),
            },
        )
        done.append((spec, created))
    return done
