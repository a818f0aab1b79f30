"""System checks: missing or malformed credential keys are refused by `manage.py check --deploy`
(the django-q2 configuration check lives in ops.checks)."""

from cryptography.fernet import Fernet
from django.core.checks import Error, Tags, register

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
