"""The audit trail: who did what, when, from where. One write path, `audit.record` (audit.services)."""

from __future__ import annotations


def record(action, *, tenant, actor=None, target=None, before=None, after=None, request=None):
    """Record one entry (audit.services.record; imported here so that every app writes `audit.record(...)`)."""
    from .services import record as _record

    return _record(action, tenant=tenant, actor=actor, target=target, before=before, after=after, request=request)
