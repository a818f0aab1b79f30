"""Shared write helpers for the services of every app (HackSoft's styleguide `model_update`): an update has
the same shape everywhere — what changed, checked once against the model, one save of those columns only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from django.db import models
from django.utils import timezone

M = TypeVar("M", bound=models.Model)


def model_update(
    *, instance: M, fields: Iterable[str], data: Mapping, clean_exclude: Iterable[str] = ()
) -> tuple[M, list[str]]:
    """Set on `instance` the values of `data` for the names in `fields` (a name absent from `data` is left
    alone; a name not in `fields` is refused: a service says what it lets callers change), validate the model
    once (`full_clean`, less `clean_exclude`) and save only the columns that changed, with `updated_at` when
    the model has one. An unsaved instance is inserted whole. Returns the instance and the names that changed
    ([] when nothing did: no query)."""
    allowed = set(fields)
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise TypeError(f"Not editable on {type(instance).__name__}: {', '.join(unknown)}.")
    concrete = {field.name for field in instance._meta.concrete_fields}
    changed = []
    for name in allowed & set(data):
        if name not in concrete:
            raise TypeError(f"{name} is not a field of {type(instance).__name__}.")
        if getattr(instance, name) != data[name]:
            setattr(instance, name, data[name])
            changed.append(name)
    if not changed and instance.pk is not None:
        return instance, []
    instance.full_clean(exclude=list(clean_exclude))
    if instance.pk is None:
        instance.save(force_insert=True)
        return instance, sorted(changed)
    if "updated_at" in concrete:
        instance.updated_at = timezone.now()  # auto_now is only applied to the columns saved
        changed.append("updated_at")
    instance.save(update_fields=changed)
    return instance, sorted(set(changed) - {"updated_at"})
