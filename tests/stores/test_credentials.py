import json

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from stores import crypto
from stores.models import Store, StoreSecret
from tests import factories

SECRET = "s3cret-store-pass"


def raw_column(store_id):
    """The store's XML road document as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT document_encrypted FROM stores_storesecret WHERE store_id = %s AND kind = 'xml_secret'", [store_id]
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_database_column_holds_no_plaintext(store_a):
    raw = raw_column(store_a.pk)
    assert SECRET not in raw
    assert raw.startswith("gAAAA")  # a Fernet token
    assert Store.objects.get(pk=store_a.pk).get_password() == SECRET


@pytest.mark.django_db
def test_repr_and_str_hold_no_password(store_a):
    assert SECRET not in repr(store_a)
    assert SECRET not in str(store_a)
    assert store_a.secret_documents["xml_secret"] not in repr(store_a)
    secret = StoreSecret.objects.get(store=store_a)
    assert secret.document_encrypted not in repr(secret) and secret.document_encrypted not in str(secret)


@pytest.mark.django_db
def test_admin_change_page_does_not_show_the_password(client, operator, store_a):
    factories.operator_sign_in(client, operator)
    response = client.get(f"/admin/stores/store/{store_a.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert SECRET not in html
    assert store_a.secret_documents["xml_secret"] not in html
    assert 'name="password"' in html


@pytest.mark.django_db
def test_admin_blank_password_keeps_the_current_one(client, operator, store_a):
    factories.operator_sign_in(client, operator)
    url = f"/admin/stores/store/{store_a.pk}/change/"
    data = {
        "tenant": store_a.tenant_id,
        "name": "Renamed",
        "platform": "americommerce",
        "url": store_a.url,
        "endpoint_path": store_a.endpoint_path,
        "username": store_a.username,
        "password": "",
        "is_active": "on",
        "import_interval_minutes": 15,
        "storefronts-TOTAL_FORMS": 0,
        "storefronts-INITIAL_FORMS": 0,
        "status_mapping-TOTAL_FORMS": 0,
        "status_mapping-INITIAL_FORMS": 0,
        "settings-TOTAL_FORMS": 0,
        "settings-INITIAL_FORMS": 0,
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    store_a.refresh_from_db()
    assert store_a.name == "Renamed"
    assert store_a.get_password() == SECRET


@pytest.mark.django_db
def test_key_rotation_keeps_old_secrets_readable_and_reencrypts_on_save(settings, tenant_a):
    old_key = Fernet.generate_key().decode()
    settings.CREDENTIAL_KEYS = [old_key]
    store = factories.make_store(tenant_a, password=SECRET)
    token_under_old_key = raw_column(store.pk)

    new_key = Fernet.generate_key().decode()
    settings.CREDENTIAL_KEYS = [new_key, old_key]
    store = Store.objects.get(pk=store.pk)
    assert store.get_password() == SECRET
    store.save()
    token_after_save = raw_column(store.pk)
    assert token_after_save != token_under_old_key
    assert json.loads(Fernet(new_key.encode()).decrypt(token_after_save.encode())) == {"password": SECRET}

    settings.CREDENTIAL_KEYS = [new_key]  # old key retired: still readable
    assert Store.objects.get(pk=store.pk).get_password() == SECRET


@pytest.mark.django_db
def test_wrong_key_is_an_error_not_plaintext(settings, store_a):
    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.CredentialError):
        Store.objects.get(pk=store_a.pk).get_password()


def test_missing_key_is_an_error(settings):
    settings.CREDENTIAL_KEYS = []
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt_secret("x")


@pytest.mark.django_db
def test_rotate_store_credentials_reencrypts_every_secret_once(settings, store_a, store_b, tenant_a, capsys):
    from django.core.management import call_command

    from webhooks.models import WebhookSubscription

    old_key = settings.CREDENTIAL_KEYS[0]
    hook = WebhookSubscription.objects.create(
        tenant=tenant_a, url="https://hooks.example.com/x", secret_encrypted=crypto.encrypt_secret("whsec-1")
    )
    new_key = Fernet.generate_key().decode()
    settings.CREDENTIAL_KEYS = [new_key, old_key]
    call_command("rotate_store_credentials")
    assert "Re-encrypted 3 secrets" in capsys.readouterr().out
    # Readable with the new key alone: the old one can go.
    settings.CREDENTIAL_KEYS = [new_key]
    assert Store.objects.get(pk=store_a.pk).get_password() == SECRET
    assert Store.objects.get(pk=store_b.pk).get_password() == SECRET
    assert WebhookSubscription.objects.get(pk=hook.pk).get_secret() == "whsec-1"
    before = raw_column(store_a.pk)
    call_command("rotate_store_credentials")
    assert "Re-encrypted 0 secrets with the newest key; 3 already used it." in capsys.readouterr().out
    assert raw_column(store_a.pk) == before  # idempotent: nothing rewritten


@pytest.mark.django_db
def test_rotate_reports_a_secret_no_key_can_read(settings, store_a):
    from django.core.management import CommandError, call_command

    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode()]
    secret = StoreSecret.objects.get(store=store_a)
    with pytest.raises(CommandError, match=f"stores.StoreSecret {secret.pk}"):
        call_command("rotate_store_credentials")
    assert raw_column(store_a.pk) == secret.document_encrypted  # left as it was
