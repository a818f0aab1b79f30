"""Issue 28 part 3: a store's six secret columns become one encrypted document per connection type
(stores.StoreSecret). A database holding stores with every kind of secret upgrades without losing one (create +
copy, then the drop), tells the secret no key reads and keeps its column until it is dealt with, and
downgrades back to the columns."""

import datetime as dt
import json
from importlib import import_module

import pytest
from cryptography.fernet import Fernet
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from stores import crypto
from tests.factories import make_store, make_tenant
from tests.test_migration_i28 import _latest, _migrate

BEFORE = [("stores", "0015_i28_store_row_drop_import")]
COPIED = [("stores", "0016_i28s_store_secrets")]
EXPIRES = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=50)


def _old_store_model(executor, targets):
    return executor.loader.project_state(targets).apps.get_model("stores", "Store")


OLD_SECRETS = {
    "xml": {"password_encrypted": "pw-xml-1"},
    "token": {"password_encrypted": "pw-kept", "api_token_encrypted": "tok-rest-1"},
    "oauth": {
        "oauth_access_token_encrypted": "acc-1",
        "oauth_refresh_token_encrypted": "ref-1",
        "oauth_expires_at": EXPIRES,
        "oauth_scope": "orders read_catalog",
    },
}


def _encrypted(values: dict) -> dict:
    return {k: crypto.encrypt_secret(v) if k.endswith("_encrypted") else v for k, v in values.items()}


# A shipped migration (its issue is closed): it unapplies most of the project's migrations and applies them
# again (minutes on SQLite), so it runs with `pytest -m slow` only (docs/testing.md#shipped-migrations).
@pytest.mark.slow
@pytest.mark.exhaustive
@pytest.mark.django_db(transaction=True)
def test_the_secret_columns_move_to_documents_and_back(monkeypatch, capsys):
    stores = {name: make_store(make_tenant(), name=name) for name in (*OLD_SECRETS, "none")}
    executor = _migrate(BEFORE)
    try:
        OldStore = _old_store_model(executor, BEFORE)
        OldStore.objects.update(password_encrypted="")  # the factory's password came back with the downgrade
        for name, values in OLD_SECRETS.items():
            OldStore.objects.filter(pk=stores[name].pk).update(**_encrypted(values))
        # Small batches: the copy goes batch by batch and misses no store between two of them.
        monkeypatch.setattr(import_module("stores.migrations.0016_i28s_store_secrets"), "BATCH", 2)
        _latest()

        from stores.models import Store, StoreSecret

        names = {f.name for f in Store._meta.concrete_fields}
        assert not names & {column for values in OLD_SECRETS.values() for column in values}
        xml, token, oauth, none = (Store.objects.get(pk=stores[name].pk) for name in (*OLD_SECRETS, "none"))
        assert xml.get_password() == "pw-xml-1" and not xml.has_api_token and not xml.has_oauth_tokens
        assert token.get_password() == "pw-kept" and token.get_api_token() == "tok-rest-1"
        assert (oauth.get_oauth_access_token(), oauth.get_oauth_refresh_token()) == ("acc-1", "ref-1")
        assert (oauth.oauth_expires_at, oauth.oauth_scope) == (EXPIRES, "orders read_catalog")
        assert not (none.has_password or none.has_api_token or none.has_oauth_tokens)
        assert StoreSecret.objects.count() == 4  # one document per kind a store has
        for secret in StoreSecret.objects.all():  # encrypted whole, never a plaintext value
            assert "pw-" not in secret.document_encrypted and "acc-1" not in secret.document_encrypted
            assert isinstance(json.loads(crypto.decrypt_secret(secret.document_encrypted)), dict)
        assert "not copied" not in capsys.readouterr().out

        executor = _migrate(BEFORE)
        back = {
            name: _old_store_model(executor, BEFORE).objects.filter(pk=stores[name].pk).values(*values).get()
            for name, values in OLD_SECRETS.items()
        }
        for name, values in OLD_SECRETS.items():
            plain = {k: crypto.decrypt_secret(v) if k.endswith("_encrypted") else v for k, v in back[name].items()}
            assert plain == values, name
    finally:
        _latest()


@pytest.mark.slow
@pytest.mark.exhaustive
@pytest.mark.django_db(transaction=True)
def test_a_secret_no_key_reads_is_told_and_its_column_is_not_dropped(settings, capsys):
    readable, lost = make_store(make_tenant(), name="Readable"), make_store(make_tenant(), name="Lost key")
    gone_key = Fernet.generate_key().decode()  # a key no longer in CREDENTIAL_KEYS
    executor = _migrate(BEFORE)
    try:
        OldStore = _old_store_model(executor, BEFORE)
        OldStore.objects.filter(pk=readable.pk).update(**_encrypted({"api_token_encrypted": "tok-ok"}))
        unreadable = Fernet(gone_key.encode()).encrypt(b"pw-unreadable").decode()
        OldStore.objects.filter(pk=lost.pk).update(password_encrypted=unreadable)
        executor = _migrate(COPIED)
        assert f"store {lost.pk}: password_encrypted" in capsys.readouterr().out
        copied = executor.loader.project_state(COPIED).apps.get_model("stores", "StoreSecret")
        assert set(copied.objects.values_list("store_id", "kind")) == {
            (readable.pk, "xml_secret"),
            (readable.pk, "rest_token_secret"),
        }

        # The drop refuses, in words, while the unreadable secret is the only copy of it.
        with pytest.raises(CommandError, match=f"store {lost.pk}: password_encrypted"):
            _latest()
        OldStore = _old_store_model(MigrationExecutor(connection), COPIED)
        assert OldStore.objects.get(pk=lost.pk).password_encrypted == unreadable  # still there
    finally:
        # The key put back: the drop copies what it reads now, then drops the columns.
        settings.CREDENTIAL_KEYS = [*settings.CREDENTIAL_KEYS, gone_key]
        _latest()
    from stores.models import Store

    assert Store.objects.get(pk=lost.pk).get_password() == "pw-unreadable"
    assert Store.objects.get(pk=readable.pk).get_api_token() == "tok-ok"
