"""Reads of the audit trail: a tenant's entries (the owner's portal page), everyone's (the admin), filtered."""

from __future__ import annotations

import datetime

from .models import AuditEntry

PAGE_SIZE = 50


def audit_entries(*, tenant=None, action: str = "", actor: str = "", since=None, until=None):
    """Entries newest first; `tenant` None: every tenant's (operators only). `since`/`until` dates, inclusive."""
    entries = AuditEntry.objects.all() if tenant is None else AuditEntry.objects.for_tenant(tenant)
    if action:
        entries = entries.filter(action=action)
    if actor:
        entries = entries.filter(actor_name=actor)
    if since:
        entries = entries.filter(created_at__date__gte=since)
    if until:
        entries = entries.filter(created_at__date__lte=until)
    return entries.order_by("-created_at", "-id")


def audit_actors(*, tenant) -> list[str]:
    """The names that acted in the tenant, for the filter."""
    names = AuditEntry.objects.for_tenant(tenant).exclude(actor_name="").values_list("actor_name", flat=True)
    return sorted(set(names.distinct()))


CSV_HEADER = ["when", "action", "who", "operator", "via", "from", "tenant", "object_type", "object_id", "object"]
CSV_HEADER += ["before", "after"]


def audit_csv_rows(entries):
    """The rows of the CSV export (header first), one per entry, read in chunks."""
    import json

    yield CSV_HEADER
    for e in entries.iterator(chunk_size=2000):
        when = e.created_at.astimezone(datetime.UTC).isoformat()
        yield [
            when,
            e.action,
            e.actor_name or "system",
            "yes" if e.by_operator else "",
            e.via,
            e.ip or "",
            e.tenant_name,
            e.target_type,
            e.target_id,
            e.target_label,
            json.dumps(e.before, sort_keys=True) if e.before is not None else "",
            json.dumps(e.after, sort_keys=True) if e.after is not None else "",
        ]
