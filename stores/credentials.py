"""A store's secrets: the XML road's password, the REST road's API token and OAuth tokens.

Mixed into `stores.models.Store`: each secret is kept encrypted with `CREDENTIAL_KEYS` (stores/crypto.py),
written through its setter, read only by the connector that needs it, and re-encrypted with the newest
key on every save so that a key rotation completes as stores are saved.
"""

from __future__ import annotations

from . import crypto


class StoreCredentials:
    def set_password(self, raw_password: str) -> None:
        self.password_encrypted = crypto.encrypt_secret(raw_password)

    def get_password(self) -> str:
        if not self.password_encrypted:
            raise crypto.CredentialError("This store has no password set.")
        return crypto.decrypt_secret(self.password_encrypted)

    @property
    def has_password(self) -> bool:
        return bool(self.password_encrypted)

    def set_api_token(self, raw_token: str) -> None:
        self.api_token_encrypted = crypto.encrypt_secret(raw_token)

    def get_api_token(self) -> str:
        if not self.api_token_encrypted:
            raise crypto.CredentialError("This store has no API token set.")
        return crypto.decrypt_secret(self.api_token_encrypted)

    @property
    def has_api_token(self) -> bool:
        return bool(self.api_token_encrypted)

    def set_oauth_tokens(
        self, access_token: str, refresh_token: str, expires_at=None, scope: str | None = None
    ) -> None:
        """Keep what the OAuth handshake or a refresh returned (clears a pending reconnect)."""
        self.oauth_access_token_encrypted = crypto.encrypt_secret(access_token)
        self.oauth_refresh_token_encrypted = crypto.encrypt_secret(refresh_token) if refresh_token else ""
        self.oauth_expires_at = expires_at
        if scope is not None:
            self.oauth_scope = scope
        self.needs_reconnect = False
        self.reconnect_reason = ""

    def get_oauth_access_token(self) -> str:
        if not self.oauth_access_token_encrypted:
            raise crypto.CredentialError("This store has no OAuth access token; connect it again.")
        return crypto.decrypt_secret(self.oauth_access_token_encrypted)

    def get_oauth_refresh_token(self) -> str:
        if not self.oauth_refresh_token_encrypted:
            raise crypto.CredentialError("This store has no OAuth refresh token; connect it again.")
        return crypto.decrypt_secret(self.oauth_refresh_token_encrypted)

    @property
    def has_oauth_tokens(self) -> bool:
        return bool(self.oauth_access_token_encrypted)

    ENCRYPTED_FIELDS = (
        "password_encrypted",
        "api_token_encrypted",
        "oauth_access_token_encrypted",
        "oauth_refresh_token_encrypted",
    )

    def save(self, *args, **kwargs):
        rotated = set()
        for name in self.ENCRYPTED_FIELDS:
            if getattr(self, name):
                # Re-encrypt with the newest key on every save, so a rotation completes as stores are saved.
                setattr(self, name, crypto.reencrypt_secret(getattr(self, name)))
                rotated.add(name)
        if rotated and kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | rotated
        super().save(*args, **kwargs)
