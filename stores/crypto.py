"""Store credentials encrypted at rest with Fernet.

Keys come from settings.CREDENTIAL_KEYS, newest first. MultiFernet encrypts with the first key and
decrypts with any, so a rotation is: put the new key in front, keep the old one, re-save the stores
(`python manage.py rotate_store_credentials`), then drop the old key. A missing or wrong key raises;
there is never a fallback to plaintext.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class CredentialError(Exception):
    """A stored secret cannot be decrypted with any configured key."""


def credential_keys() -> list[str]:
    """The configured keys, newest first, blanks dropped."""
    return [k.strip() for k in settings.CREDENTIAL_KEYS if k.strip()]


def _fernet() -> MultiFernet:
    keys = credential_keys()
    if not keys:
        raise ImproperlyConfigured(
            "CREDENTIAL_KEYS is empty: set it to one or more Fernet keys (newest first) to store "
            "credentials. Generate one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        )
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(f"CREDENTIAL_KEYS holds an invalid Fernet key: {exc}") from None


def encrypt_secret(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt_secret(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise CredentialError(
            "The stored store password cannot be decrypted with any key in CREDENTIAL_KEYS "
            "(was a key removed before every store was re-encrypted?)."
        ) from None


def reencrypt_secret(token: str) -> str:
    """The same secret, encrypted with the newest key (a no-op in meaning, new ciphertext)."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise CredentialError("The stored store password cannot be decrypted with any configured key.") from None
