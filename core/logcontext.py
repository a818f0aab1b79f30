"""What a log line is about: the request, the task, the tenant, the store and the import run that were being
handled when it was written (docs/operations.md#logs). Set by the request-id middleware (config.request_id),
by the task wrappers (ops listens to django-q2's pre_execute in the worker) and by the import run; read by
the log formatters (config.logjson). Context variables: each request, thread and task sees its own."""

from __future__ import annotations

import contextlib
import contextvars

FIELDS = ("request_id", "task", "task_id", "tenant_id", "store_id", "run_id")
_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("outbound_log_context", default=None)


def current() -> dict:
    """The fields set now (those not set are absent)."""
    return dict(_context.get() or {})


def set_fields(**fields) -> contextvars.Token:
    """Add fields (None leaves one out) on top of what is set; returns the token `reset` takes back."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"Unknown log context field(s): {', '.join(sorted(unknown))}")
    merged = {**(_context.get() or {}), **{k: v for k, v in fields.items() if v is not None}}
    return _context.set(merged)


def reset(token: contextvars.Token) -> None:
    _context.reset(token)


def clear() -> None:
    _context.set(None)


@contextlib.contextmanager
def bound(**fields):
    """`with bound(store_id=…, run_id=…):` every line written inside carries them."""
    token = set_fields(**fields)
    try:
        yield
    finally:
        reset(token)
