"""System checks: a django-q2 configuration able to repeat or loop on work by accident, or a queue without
workers or sharing another's name, is refused by every `manage.py check` (and `check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


def _timing_errors(conf: dict, where: str) -> list[Error]:
    errors: list[Error] = []
    timeout = conf.get("timeout")
    retry = conf.get("retry", 60)
    if timeout is None:
        errors.append(
            Error(
                f"{where}['timeout'] is not set: a hung task would hold a worker for ever.",
                hint="Set a timeout (seconds) smaller than retry.",
                id="outbound.E001",
            )
        )
    elif retry <= timeout:
        errors.append(
            Error(
                f"{where}['retry'] ({retry}s) must be larger than {where}['timeout'] ({timeout}s): "
                "django-q2 re-queues a task still running after `retry` seconds, so a long task would run twice.",
                hint="Set retry to timeout plus a margin, e.g. timeout=900, retry=1200.",
                id="outbound.E002",
            )
        )
    return errors


@register("django_q")
def check_q_cluster(app_configs=None, **kwargs) -> list[Error]:
    conf = settings.Q_CLUSTER
    errors = _timing_errors(conf, "Q_CLUSTER")
    if not conf.get("max_attempts"):
        errors.append(
            Error(
                "Q_CLUSTER['max_attempts'] is unlimited (0 or unset): a task that always fails would be "
                "retried for ever.",
                hint="Set max_attempts to a small number such as 3; Outbound's own outbox does the long retries.",
                id="outbound.E003",
            )
        )
    return errors + check_q_queues()


def check_q_queues() -> list[Error]:
    """Each queue of settings.Q_QUEUES (docs/queues.md): its own name, at least one worker, a timeout
    and a retry above it."""
    queues = settings.Q_QUEUES
    errors: list[Error] = []
    seen: dict[str, str] = {}
    for kind, queue in queues.items():
        where = f"Q_QUEUES[{kind!r}]"
        errors += _timing_errors(queue, where)
        if int(queue.get("workers") or 0) < 1:
            errors.append(
                Error(
                    f"{where}['workers'] is {queue.get('workers')!r}: nothing would ever run the {kind} queue's tasks.",
                    hint=f"Give the {kind} queue at least one worker (Q_{kind.upper()}_WORKERS; the imports "
                    "queue: Q_WORKERS).",
                    id="outbound.E007",
                )
            )
        name = queue.get("name") or ""
        if not name or name in seen:
            errors.append(
                Error(
                    f"{where}['name'] {name!r} "
                    + (f"is the {seen[name]} queue's name too" if name in seen else "is empty")
                    + ": two kinds of work would wait in one line again.",
                    hint="Give each queue its own name (Q_OUTBOX_NAME, Q_BATCHES_NAME, Q_TRACKING_NAME; the "
                    "imports queue is named Q_SITE).",
                    id="outbound.E008",
                )
            )
        seen.setdefault(name, kind)
    return errors


@register(Tags.security, deploy=True)
def check_admins(app_configs=None, **kwargs) -> list[Warning]:
    """`check --deploy`: operator alerts (a store update dead after its retries, an unreadable credential) are
    mailed to ADMINS; without any, they reach nobody."""
    if settings.ADMINS:
        return []
    return [
        Warning(
            "ADMINS is empty: operator alerts (store updates that failed for good, unreadable credentials) and "
            "error mails reach nobody.",
            hint='Set ADMINS, e.g. ADMINS="Ops <ops@example.com>,oncall@example.com" (docs/operations.md#alerts).',
            id="outbound.W031",
        )
    ]
