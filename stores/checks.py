"""System checks: missing or malformed credential keys are refused by `manage.py check --deploy`
(the django-q2 configuration check lives in ops.checks)."""

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .crypto import credential_keys


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


@register(Tags.security, deploy=True)
def check_trusted_proxy(app_configs=None, **kwargs) -> list[Warning]:
    """Behind a proxy, REMOTE_ADDR is the proxy's: the sign-in lock-out and the reset limit would count
    every visitor as one client and lock them all out together (config/client_ip.py)."""
    if settings.BEHIND_TLS_PROXY and settings.TRUSTED_PROXY_COUNT == 0:
        return [
            Warning(
                "BEHIND_TLS_PROXY is on but TRUSTED_PROXY_COUNT is 0: every visitor has the proxy's address, so "
                "one attacker's failed sign-ins lock everyone out.",
                hint="Set TRUSTED_PROXY_COUNT to the number of proxies in front of Outbound that append to "
                "X-Forwarded-For (1 for a single nginx or load balancer).",
                id="outbound.W006",
            )
        ]
    return []
