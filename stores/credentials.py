"""A store's secrets: one encrypted document per connection type.

    xml_secret         the XML road's credentials: {"password"} (the username is a plain column: not secret)
    rest_token_secret  the REST road's API token: {"token"}
    rest_oauth_secret  the REST road's OAuth set: {"access_token", "refresh_token", "expires_at", "scope"}

Each document is a JSON object encrypted whole with `CREDENTIAL_KEYS` (stores/crypto.py: a Fernet token) and
kept in a row of its own, `stores.StoreSecret` (store, kind, document_encrypted, updated_at; one per store and
kind), rather than in the store's row:

- the store row holds the store (issue 28): people's settings, not six columns of ciphertext that only the
  connectors read, and the next connection type's secret is a new kind, not new columns;
- each kind is written on its own (an OAuth refresh in a worker and a password typed in the portal at the same
  moment write two rows, neither undoes the other: a single JSON column of all the ciphertexts would lose one);
- key rotation walks one table of Fernet tokens (crypto.rotate_all_secrets) and reports a row it cannot read.

`StoreCredentials` is mixed into `stores.models.Store` and keeps the accessors the callers use (set_password /
get_password / has_password, set_api_token / get_api_token / has_api_token, set_oauth_tokens /
get_oauth_access_token / get_oauth_refresh_token / has_oauth_tokens, oauth_expires_at, oauth_scope). A store
loads its documents once (one query, or none after `prefetch_related("secrets")`), keeps them encrypted in
memory, decrypts one only when a value is asked for, and writes a document it set when it is saved: the kind
is named in `update_fields` like a field (services announce it the same way), or saved with every field when
`update_fields` is not given. A document under an older key is re-encrypted with the newest one when the store
is saved with its kind named (or read before a full save), so a rotation also completes as stores are saved.
The store services are the only writers (a store is saved only there: tests/test_writes_in_services.py counts
this module as their pipeline).
"""

from __future__ import annotations

import datetime as dt
import json

from django.db import models
from django.utils import timezone

from . import crypto


class SecretKind(models.TextChoices):
    """A store's secret documents, one per connection type; the value is also the name a store write gives it
    (`save(update_fields=[...])`, stores.changes announcements)."""

    XML = "xml_secret", "XML road credentials"
    REST_TOKEN = "rest_token_secret", "REST API token"
    REST_OAUTH = "rest_oauth_secret", "REST OAuth tokens"


SECRET_KINDS = frozenset(SecretKind.values)


# The attribute prefix of the documents a `Store.objects.with_secrets()` query read with the store.
SECRET_ANNOTATION = "_secret_document__"


class StoreCredentials:
    # --- the documents, encrypted, as the store holds them ---------------------------------------------------

    @property
    def secret_documents(self) -> dict[str, str]:
        """{kind: Fernet token of the document} as this store has them (loaded once from its StoreSecret rows;
        an unsaved store has only those set on it). Encrypted: what may travel, e.g. in the wizard's session."""
        docs = self.__dict__.get("_secret_docs")
        if docs is None:
            docs = {}
            annotated = [SECRET_ANNOTATION + kind in self.__dict__ for kind in SecretKind.values]
            if all(annotated):  # read with the store (Store.objects.with_secrets())
                docs = {
                    kind: self.__dict__[SECRET_ANNOTATION + kind]
                    for kind in SecretKind.values
                    if self.__dict__[SECRET_ANNOTATION + kind]
                }
            elif self.pk is not None and not self._state.adding:
                docs = {row.kind: row.document_encrypted for row in self.secrets.all()}
            self.__dict__["_secret_docs"] = docs
        return docs

    @secret_documents.setter
    def secret_documents(self, documents: dict[str, str]) -> None:
        """Documents carried from elsewhere, still encrypted (a draft store of the wizard, a site's credentials
        kept for an unsubscribe); set on a saved store, they are written by its next save."""
        documents = {kind: token for kind, token in (documents or {}).items() if kind in SECRET_KINDS and token}
        self.__dict__["_secret_docs"] = documents
        self.__dict__["_secrets_dirty"] = frozenset(documents)

    def load_secrets(self) -> None:
        """Load the documents now (once), e.g. before a copy of the store that must keep them as they were."""
        self.secret_documents  # noqa: B018

    def _document(self, kind: str) -> dict:
        token = self.secret_documents.get(kind)
        return json.loads(crypto.decrypt_secret(token)) if token else {}

    def _set_document(self, kind: str, document: dict) -> None:
        # A new dict, never the same one changed: a copy of the store taken before (store_update's `previous`)
        # keeps the documents it had.
        self.__dict__["_secret_docs"] = {**self.secret_documents, kind: crypto.encrypt_secret(json.dumps(document))}
        self.__dict__["_secrets_dirty"] = self.__dict__.get("_secrets_dirty", frozenset()) | {kind}

    # --- the XML road ----------------------------------------------------------------------------------------

    def set_password(self, raw_password: str) -> None:
        self._set_document(SecretKind.XML, {"password": raw_password})

    def get_password(self) -> str:
        if not self.has_password:
            raise crypto.CredentialError("This store has no password set.")
        return self._document(SecretKind.XML).get("password", "")

    @property
    def has_password(self) -> bool:
        return SecretKind.XML in self.secret_documents

    # --- the REST road: a token ------------------------------------------------------------------------------

    def set_api_token(self, raw_token: str) -> None:
        self._set_document(SecretKind.REST_TOKEN, {"token": raw_token})

    def get_api_token(self) -> str:
        if not self.has_api_token:
            raise crypto.CredentialError("This store has no API token set.")
        return self._document(SecretKind.REST_TOKEN).get("token", "")

    @property
    def has_api_token(self) -> bool:
        return SecretKind.REST_TOKEN in self.secret_documents

    # --- the REST road: the OAuth app ------------------------------------------------------------------------

    def set_oauth_tokens(
        self, access_token: str, refresh_token: str, expires_at=None, scope: str | None = None
    ) -> None:
        """Keep what the OAuth handshake or a refresh returned (clears a pending reconnect); no scope given: the
        one saved stays."""
        if scope is None:
            scope = self.oauth_scope if self.has_oauth_tokens else ""
        document = {
            "access_token": access_token,
            "refresh_token": refresh_token or "",
            "expires_at": expires_at.isoformat() if expires_at is not None else None,
            "scope": scope,
        }
        self._set_document(SecretKind.REST_OAUTH, document)
        self.needs_reconnect = False
        self.reconnect_reason = ""

    def get_oauth_access_token(self) -> str:
        access = self._document(SecretKind.REST_OAUTH).get("access_token") if self.has_oauth_tokens else ""
        if not access:
            raise crypto.CredentialError("This store has no OAuth access token; connect it again.")
        return access

    def get_oauth_refresh_token(self) -> str:
        refresh = self._document(SecretKind.REST_OAUTH).get("refresh_token") if self.has_oauth_tokens else ""
        if not refresh:
            raise crypto.CredentialError("This store has no OAuth refresh token; connect it again.")
        return refresh

    @property
    def has_oauth_tokens(self) -> bool:
        return SecretKind.REST_OAUTH in self.secret_documents

    @property
    def oauth_expires_at(self) -> dt.datetime | None:
        """When the OAuth access token runs out (None: not said, or no OAuth tokens)."""
        expires = self._document(SecretKind.REST_OAUTH).get("expires_at") if self.has_oauth_tokens else None
        return dt.datetime.fromisoformat(expires) if expires else None

    @property
    def oauth_scope(self) -> str:
        return self._document(SecretKind.REST_OAUTH).get("scope", "") if self.has_oauth_tokens else ""

    # --- saving ----------------------------------------------------------------------------------------------

    def refresh_from_db(self, *args, **kwargs):
        self.__dict__.pop("_secret_docs", None)
        self.__dict__.pop("_secrets_dirty", None)
        super().refresh_from_db(*args, **kwargs)

    def save(self, *args, **kwargs):
        """Save the store's fields, then the documents set on it (and those read under an older key) whose
        kinds `update_fields` names, or all of them when it names no field."""
        update_fields = kwargs.get("update_fields")
        kinds = SECRET_KINDS
        if update_fields is not None:
            update_fields = list(update_fields)
            kinds = SECRET_KINDS.intersection(update_fields)
            kwargs["update_fields"] = [name for name in update_fields if name not in SECRET_KINDS]
        if update_fields is None or kwargs["update_fields"]:
            super().save(*args, **kwargs)
        self._save_secrets(kinds, named=update_fields is not None)

    def _save_secrets(self, kinds, *, named: bool) -> None:
        # Kinds named in update_fields are loaded if they were not (to re-encrypt them); a full save re-encrypts
        # those the store has read.
        loaded = self.secret_documents if named and kinds else (self.__dict__.get("_secret_docs") or {})
        dirty = self.__dict__.get("_secrets_dirty", frozenset())
        secret_model = self._meta.get_field("secrets").related_model  # stores.StoreSecret

        now = timezone.now()
        written = [
            secret_model(store_id=self.pk, kind=kind, document_encrypted=loaded[kind], updated_at=now)
            for kind in sorted(dirty & kinds)
            if kind in loaded
        ]
        if written:
            secret_model.objects.bulk_create(
                written,
                update_conflicts=True,
                unique_fields=["store", "kind"],
                update_fields=["document_encrypted", "updated_at"],
            )
        self.__dict__["_secrets_dirty"] = dirty - kinds
        for kind in sorted((kinds & set(loaded)) - dirty):
            token = loaded[kind]
            if crypto.is_current(token):
                continue
            # Re-encrypt with the newest key, only if no one saved a new document meanwhile.
            fresh = crypto.reencrypt_secret(token)
            secret_model.objects.filter(store_id=self.pk, kind=kind, document_encrypted=token).update(
                document_encrypted=fresh, updated_at=now
            )
            self.__dict__["_secret_docs"] = {**self.__dict__["_secret_docs"], kind: fresh}
