"""Issue 28 part 3: a store's secrets are one encrypted document per connection type (stores.StoreSecret).

Key rotation re-encrypts every kind (and still the webhooks' signing secrets and the carrier accounts'
credentials) and each reads back under the new key alone; the sentinels typed as a store's password, API token
and OAuth tokens are found nowhere: not in the database in clear, a log line, a page of the portal, the API or
the admin, a task's arguments, a repr."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from cryptography.fernet import Fernet
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from api.services import api_key_create
from carriers.services import carrier_account_create
from stores.credentials import SecretKind
from stores.models import Store, StoreSecret
from stores.platforms.americommerce.oauth import TokenSet
from stores.services import store_create, store_create_oauth, store_set_oauth_tokens, store_update
from tests.api.conftest import bearer
from tests.factories import operator_sign_in
from tests.integration.test_hostile_store import admin_pages, every_text_in_the_database
from tests.portal.conftest import signed_in
from webhooks.models import WebhookSubscription
from webhooks.services import webhook_subscription_create

PASSWORD = "Sntl-Xml-Pw-4411"
TOKEN = "Sntl-Rest-Tok-5522"
NEW_TOKEN = "Sntl-Rest-Tok-New-6633"
ACCESS = "Sntl-OAuth-Acc-7744"
REFRESH = "Sntl-OAuth-Ref-8855"
EXPIRES = timezone.now().replace(microsecond=0) + dt.timedelta(hours=1)
SENTINELS = (PASSWORD, TOKEN, NEW_TOKEN, ACCESS, REFRESH)

pytestmark = pytest.mark.django_db


def _stores(tenant) -> tuple[Store, Store, Store]:
    xml = store_create(
        tenant=tenant, name="Xml shop", url="https://xml.example.com", username="ss-admin", password=PASSWORD
    )
    rest = store_create(tenant=tenant, name="Token shop", url="https://token.example.com", road="rest", api_token=TOKEN)
    oauth = store_create_oauth(
        tenant=tenant,
        name="OAuth shop",
        url="https://oauth.example.com",
        oauth_tokens=TokenSet(ACCESS, REFRESH, EXPIRES, "orders read_catalog"),
    )
    return xml, rest, oauth


def test_one_document_per_kind_and_each_kind_reads_back(tenant_a):
    xml, rest, oauth = _stores(tenant_a)
    kinds = {(s.store_id, s.kind) for s in StoreSecret.objects.for_tenant(tenant_a)}
    assert kinds == {
        (xml.pk, SecretKind.XML),
        (rest.pk, SecretKind.REST_TOKEN),
        (oauth.pk, SecretKind.REST_OAUTH),
    }
    oauth = Store.objects.get(pk=oauth.pk)
    assert (oauth.get_oauth_access_token(), oauth.get_oauth_refresh_token()) == (ACCESS, REFRESH)
    assert (oauth.oauth_expires_at, oauth.oauth_scope) == (EXPIRES, "orders read_catalog")
    # A refresh that names no scope keeps the one granted; the document is replaced, not added to.
    store_set_oauth_tokens(store=oauth, access_token="acc-2", refresh_token="ref-2", expires_at=None)
    oauth = Store.objects.get(pk=oauth.pk)
    assert (oauth.get_oauth_access_token(), oauth.oauth_expires_at, oauth.oauth_scope) == (
        "acc-2",
        None,
        "orders read_catalog",
    )
    assert StoreSecret.objects.filter(store=oauth).count() == 1
    # Tenancy: another tenant's scope holds none of them.
    assert not StoreSecret.objects.for_tenant(tenant_a.pk + 1000).exists()


def test_a_store_read_with_its_secrets_connects_without_a_second_query(tenant_a, django_assert_num_queries):
    xml, rest, oauth = _stores(tenant_a)
    with django_assert_num_queries(1):
        stores = {s.pk: s for s in Store.objects.with_secrets().filter(pk__in=[xml.pk, rest.pk, oauth.pk])}
        assert stores[xml.pk].get_password() == PASSWORD
        assert stores[rest.pk].get_api_token() == TOKEN
        assert not stores[xml.pk].has_api_token and not stores[rest.pk].has_password
        assert stores[oauth.pk].get_oauth_refresh_token() == REFRESH
    # Written after such a read, a kind is saved and the others kept.
    store = Store.objects.with_secrets().get(pk=xml.pk)
    store_update(store=store, password="a-new-one")
    again = Store.objects.get(pk=xml.pk)
    assert again.get_password() == "a-new-one" and again.username == "ss-admin"


def test_two_kinds_written_at_once_keep_each_other(tenant_a):
    """A refresh in a worker and a token typed in the portal, from two copies of the same store: both stay."""
    _xml, rest, _oauth = _stores(tenant_a)
    worker, person = Store.objects.get(pk=rest.pk), Store.objects.get(pk=rest.pk)
    worker.load_secrets()
    person.load_secrets()
    store_set_oauth_tokens(store=worker, access_token="acc-w", refresh_token="ref-w")
    store_update(store=person, api_token="tok-p")
    fresh = Store.objects.get(pk=rest.pk)
    assert fresh.get_oauth_access_token() == "acc-w" and fresh.get_api_token() == "tok-p"


def test_rotation_reencrypts_every_kind_and_each_reads_back_with_the_new_key_alone(settings, tenant_a, capsys):
    old_key = Fernet.generate_key().decode()
    settings.CREDENTIAL_KEYS = [old_key]
    xml, rest, oauth = _stores(tenant_a)
    hook, signing_secret = webhook_subscription_create(
        tenant=tenant_a, url="https://hooks.example.com/x", events=["shipment.created"]
    )
    carrier_account_create(tenant=tenant_a, carrier="UPS", client_id="ups-id", client_secret="ups-secret")

    new_key = Fernet.generate_key().decode()
    settings.CREDENTIAL_KEYS = [new_key, old_key]
    call_command("rotate_store_credentials")
    assert "Re-encrypted 5 secrets with the newest key; 0 already used it." in capsys.readouterr().out

    settings.CREDENTIAL_KEYS = [new_key]  # the old key retired: every kind still reads
    xml, rest, oauth = (Store.objects.get(pk=s.pk) for s in (xml, rest, oauth))
    assert xml.get_password() == PASSWORD and xml.username == "ss-admin"
    assert rest.get_api_token() == TOKEN
    assert (oauth.get_oauth_access_token(), oauth.get_oauth_refresh_token()) == (ACCESS, REFRESH)
    assert (oauth.oauth_expires_at, oauth.oauth_scope) == (EXPIRES, "orders read_catalog")
    assert WebhookSubscription.objects.get(pk=hook.pk).get_secret() == signing_secret
    from carriers.models import CarrierAccount

    assert CarrierAccount.objects.for_tenant(tenant_a).get().credentials()["client_secret"] == "ups-secret"
    call_command("rotate_store_credentials")
    assert "Re-encrypted 0 secrets with the newest key; 5 already used it." in capsys.readouterr().out


def test_a_document_read_under_an_older_key_is_reencrypted_when_its_kind_is_saved(settings, tenant_a):
    old_key = Fernet.generate_key().decode()
    settings.CREDENTIAL_KEYS = [old_key]
    _xml, rest, _oauth = _stores(tenant_a)
    before = StoreSecret.objects.get(store=rest).document_encrypted
    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode(), old_key]
    store = Store.objects.get(pk=rest.pk)
    store.save(update_fields=["name"])  # its secrets not named: left as they are
    assert StoreSecret.objects.get(store=rest).document_encrypted == before
    store.save(update_fields=[SecretKind.REST_TOKEN])
    after = StoreSecret.objects.get(store=rest).document_encrypted
    assert after != before
    settings.CREDENTIAL_KEYS = settings.CREDENTIAL_KEYS[:1]
    assert Store.objects.get(pk=rest.pk).get_api_token() == TOKEN


def test_the_secret_sentinels_are_nowhere(tenant_a, alice, operator, client, caplog):
    caplog.set_level(logging.DEBUG)
    xml, rest, oauth = _stores(tenant_a)
    store_update(store=Store.objects.get(pk=rest.pk), api_token=NEW_TOKEN, name="Token shop (new token)")
    stores = [Store.objects.get(pk=s.pk) for s in (xml, rest, oauth)]
    documents = [token for store in stores for token in store.secret_documents.values()]
    assert len(documents) == 3

    found = every_text_in_the_database()  # the django-q task table too: a task's arguments
    for secret in SENTINELS:
        assert secret not in found, secret
        assert secret not in caplog.text, secret
    for store in stores:
        assert not any(s in text for s in (*SENTINELS, *documents) for text in (repr(store), str(store)))
    for secret in StoreSecret.objects.all():
        assert secret.document_encrypted not in repr(secret) and secret.document_encrypted not in str(secret)

    pages = []
    api = bearer(api_key_create(tenant=tenant_a, name="reports", read_only=True)[1])
    for url in ["/api/v1/stores/", *(f"/api/v1/stores/{s.pk}/" for s in stores)]:
        response = api.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
    owner = signed_in(alice)
    for url in [reverse("portal:store_list"), *(reverse("portal:store_settings", args=[s.pk]) for s in stores)]:
        response = owner.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
    assert StoreSecret not in admin.site._registry  # the documents have no admin page of their own
    operator_sign_in(client, operator)
    for url in admin_pages(client):
        response = client.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
    assert any("orders read_catalog" in page for page in pages)  # the OAuth scope is shown, read only
    for page in pages:
        for text in (*SENTINELS, *documents):
            assert text not in page
