"""System checks: a django-q2 configuration able to repeat or loop on work by accident is refused by
every `manage.py check`."""

from django.conf import settings
from django.core.checks import Error, register


@register("django_q")
def check_q_cluster(app_configs=None, **kwargs) -> list[Error]:
    conf = settings.Q_CLUSTER
    errors: list[Error] = []
    timeout = conf.get("timeout")
    retry = conf.get("retry", 60)
    if timeout is None:
        errors.append(
            Error(
                "Q_CLUSTER['timeout'] is not set: a hung task would hold a worker for ever.",
                hint="Set a timeout (seconds) smaller than retry.",
                id="outbound.E001",
            )
        )
    elif retry <= timeout:
        errors.append(
            Error(
                f"Q_CLUSTER['retry'] ({retry}s) must be larger than Q_CLUSTER['timeout'] ({timeout}s): "
                "django-q2 re-queues a task still running after `retry` seconds, so a long task would run twice.",
                hint="Set retry to timeout plus a margin, e.g. timeout=900, retry=1200.",
                id="outbound.E002",
            )
        )
    if not conf.get("max_attempts"):
        errors.append(
            Error(
                "Q_CLUSTER['max_attempts'] is unlimited (0 or unset): a task that always fails would be "
                "retried for ever.",
                hint="Set max_attempts to a small number such as 3; Outbound's own outbox does the long retries.",
                id="outbound.E003",
            )
        )
    return errors
