"""The audit trail's one write: `record`. It only ever inserts (audit.models: append-only).

Never a secret: a field whose name says it holds one (password, token, secret, key…) is recorded as
"changed", never its value (`redact`); callers record credential changes as `{"password": "changed"}`."""

from __future__ import annotations

import datetime
import decimal
import re
import uuid

from config.client_ip import client_ip

from .context import current_request
from .models import Action, AuditEntry, Via

CHANGED = "changed"
ADMIN_PREFIX = "/admin/"  # config.urls
SECRET_NAME = re.compile(r"password|token|secret|encrypted|api_key|key_hash|credential", re.I)


def redact(values: dict | None) -> dict | None:
    """`values` as JSON-safe data, every secret-named field replaced by "changed"."""
    if values is None:
        return None
    return {str(name): (CHANGED if SECRET_NAME.search(str(name)) else _plain(value)) for name, value in values.items()}


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return redact(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return str(value)


def _via(request) -> str:
    if request is None:
        return Via.SYSTEM
    path = request.path_info or ""
    if path.startswith(ADMIN_PREFIX):
        return Via.ADMIN
    if path.startswith("/api/"):
        return Via.API
    return Via.PORTAL


def _actor_of(request):
    user = getattr(request, "user", None) if request is not None else None
    return user if getattr(user, "is_authenticated", False) else None


def _api_key_label(request) -> str:
    key = getattr(request, "auth", None) or getattr(request, "api_key", None)
    prefix, name = getattr(key, "prefix", None), getattr(key, "name", None)
    return f"API key {name} ({prefix}…)" if prefix else ""


def _target(target) -> tuple[str, str, str]:
    if target is None:
        return "", "", ""
    if isinstance(target, tuple):  # (type, id, label): an object that is gone, or not a model
        kind, pk, label = target
        return str(kind)[:60], str(pk or "")[:40], str(label)[:300]
    meta = getattr(target, "_meta", None)
    kind = meta.label_lower if meta is not None else type(target).__name__.lower()
    return kind[:60], str(target.pk or "")[:40], str(target)[:300]


def record(action, *, tenant, actor=None, target=None, before=None, after=None, request=None) -> AuditEntry:
    """Insert one entry: `action` (audit.models.Action), the `tenant` it happened in (None: a user's own
    account), who (`actor`, or the request's user, or the API key the request came with; none: the system),
    from where (the request's client address, config.client_ip), the `target` (a model instance, or a
    (type, id, label) tuple), and the `before`/`after` of what changed (secrets redacted). `request`: the
    request being served unless given (audit.context)."""
    request = request if request is not None else current_request()
    actor = actor if actor is not None else _actor_of(request)
    via = _via(request)
    if actor is not None:
        actor_id, actor_name = actor.pk, actor.get_username()
    else:
        actor_id, actor_name = None, _api_key_label(request)
    kind, target_id, label = _target(target)
    return AuditEntry.objects.create(
        action=Action(action),
        tenant_id=getattr(tenant, "pk", tenant),
        tenant_name=str(getattr(tenant, "name", "") or "")[:200],
        actor_id=actor_id,
        actor_name=actor_name[:200],
        by_operator=bool(actor is not None and actor.is_staff and via == Via.ADMIN and tenant is not None),
        via=via,
        ip=(client_ip(request) or None) if request is not None else None,
        target_type=kind,
        target_id=target_id,
        target_label=label,
        before=redact(before),
        after=redact(after),
    )


def changes_of(instance, names, previous=None) -> tuple[dict, dict]:
    """The before/after of `names` on `instance`, `previous` its copy before the write (secrets redacted later
    by record)."""
    names = [n for n in names if previous is None or getattr(previous, n, None) != getattr(instance, n, None)]
    before = {n: getattr(previous, n, None) for n in names} if previous is not None else {}
    return before, {n: getattr(instance, n, None) for n in names}
