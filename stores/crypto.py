"""Secrets encrypted at rest with Fernet: stores' secret documents (stores.credentials), webhook signing
secrets, carrier accounts' credentials.

Keys come from settings.CREDENTIAL_KEYS, newest first. MultiFernet encrypts with the first key and
decrypts with any, so a rotation is: put the new key in front, keep the old one, run
`python manage.py rotate_store_credentials` (it re-encrypts every secret still under an older key),
then drop the old key. A missing or wrong key raises; there is never a fallback to plaintext.
"""

from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class CredentialError(Exception):
    """A stored secret cannot be decrypted with any configured key."""


def credential_keys() -> list[str]:
    """The configured keys, newest first, blanks dropped."""
    return [k.strip() for k in settings.CREDENTIAL_KEYS if k.strip()]


def _fernet() -> MultiFernet:
    return MultiFernet(_fernets())


def _fernets() -> list[Fernet]:
    """One Fernet per configured key, newest first."""
    keys = credential_keys()
    if not keys:
        raise ImproperlyConfigured(
            "CREDENTIAL_KEYS is empty: set it to one or more Fernet keys (newest first) to store "
            "credentials. Generate one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        )
    try:
        return [Fernet(k.encode()) for k in keys]
    except ValueError as exc:
        raise ImproperlyConfigured(f"CREDENTIAL_KEYS holds an invalid Fernet key: {exc}") from None


def encrypt_secret(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt_secret(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise CredentialError(
            "A stored secret (a store's password or access token, a webhook signing secret or a carrier "
            "account's credentials) cannot be decrypted with any key in CREDENTIAL_KEYS (was a key removed "
            "before every secret was re-encrypted with rotate_store_credentials?)."
        ) from None


def reencrypt_secret(token: str) -> str:
    """The same secret, encrypted with the newest key (a no-op in meaning, new ciphertext)."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise CredentialError(
            "A stored secret (a store's password or access token, a webhook signing secret or a carrier "
            "account's credentials) cannot be decrypted with any key in CREDENTIAL_KEYS."
        ) from None


def is_current(token: str) -> bool:
    """Whether the secret is encrypted with the newest key already (nothing for a rotation to do)."""
    try:
        _fernets()[0].decrypt(token.encode())
    except InvalidToken:
        return False
    return True


# Every model field that holds a Fernet token, as (model, field name). Each app registers its own
# (stores: a store's secret documents, stores.StoreSecret; webhooks: signing secrets; carriers: carrier
# credentials), so rotation finds them all without this module importing any app.
ENCRYPTED_FIELDS: list[tuple[type, str]] = []


def register_encrypted_field(model: type, field_name: str) -> None:
    if (model, field_name) not in ENCRYPTED_FIELDS:
        ENCRYPTED_FIELDS.append((model, field_name))


@dataclass
class RotationReport:
    rotated: int = 0
    current: int = 0
    unreadable: list[str] = field(default_factory=list)


def rotate_all_secrets() -> RotationReport:
    """Re-encrypt every stored secret that is not under the newest key yet. Idempotent: a second run
    finds them all current and rewrites nothing. A secret no configured key can read is reported
    (model and row id), never dropped."""
    report = RotationReport()
    fernet = _fernet()
    for model, field_name in ENCRYPTED_FIELDS:
        rows = model._base_manager.exclude(**{field_name: ""}).values_list("pk", field_name)
        for pk, token in rows.iterator():
            if is_current(token):
                report.current += 1
                continue
            try:
                fresh = fernet.rotate(token.encode()).decode()
            except InvalidToken:
                report.unreadable.append(f"{model._meta.label} {pk}")
                continue
            # Only the token changes, and only if no one saved a new one meanwhile.
            report.rotated += model._base_manager.filter(pk=pk, **{field_name: token}).update(**{field_name: fresh})
    return report
