"""System checks: a django-q2 configuration able to repeat or loop on work by accident is refused by
every `manage.py check`; missing or malformed credential keys by `manage.py check --deploy`."""

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, register

from .crypto import credential_keys


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


@register(Tags.security, deploy=True)
def check_credential_keys(app_configs=None, **kwargs) -> list[Error]:
    """Without a valid key no store can be connected; find out at deploy time, not at the first save."""
    keys = credential_keys()
    if not keys:
        return [
            Error(
                "CREDENTIAL_KEYS is not set: store passwords cannot be encrypted, so no store can be connected.",
                hint="Set CREDENTIAL_KEYS to a Fernet key (newest first, comma-separated); generate one with "
                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'.",
                id="outbound.E004",
            )
        ]
    errors: list[Error] = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            errors.append(
                Error(
                    # The key itself is a secret: say which one, never what it holds.
                    f"CREDENTIAL_KEYS: key {position} of {len(keys)} is not a valid Fernet key.",
                    hint="A Fernet key is 32 bytes in url-safe base64 (44 characters ending in '=').",
                    id="outbound.E005",
                )
            )
    return errors
