"""One URL validator on the model field (issue 14): the portal, the admin and the API refuse what the
fetch-time guard would refuse, with the guard's words."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from stores.models import Store
from tests.api.conftest import bearer
from webhooks.models import WebhookSubscription

REFUSED = {
    "https://169.254.169.254/latest/meta-data": "link-local",
    "https://10.1.2.3": "private network address",
    "https://127.0.0.1:8443": "loopback",
    "ftp://93.184.216.34/shop": "must start with https://",
    "http://93.184.216.34": "must use https://",
    "https://clerk:pw@93.184.216.34": "contains a username or password",
}


@pytest.fixture
def strict(settings):
    settings.ALLOW_PRIVATE_STORE_HOSTS = False
    settings.ALLOW_HTTP_STORE_URLS = False


def connection_data(store, url):
    return {
        "section": "connection",
        "connection-name": store.name,
        "connection-url": url,
        "connection-endpoint_path": store.endpoint_path,
        "connection-username": store.username,
        "connection-import_interval_minutes": 30,
        "connection-is_active": "on",
    }


@pytest.mark.parametrize(("url", "words"), list(REFUSED.items()))
def test_the_portal_settings_form_refuses_with_the_guards_words(alice_client, store_a, strict, url, words):
    before = store_a.url
    response = alice_client.post(reverse("portal:store_settings", args=[store_a.pk]), connection_data(store_a, url))
    assert words in response.content.decode()
    store_a.refresh_from_db()
    assert store_a.url == before


@pytest.mark.parametrize(("url", "words"), list(REFUSED.items()))
def test_the_admin_store_form_refuses_with_the_guards_words(operator, store_a, strict, url, words):
    request = RequestFactory().post("/admin/stores/store/")
    request.user = operator
    model_admin = admin.site._registry[Store]
    form_class = model_admin.get_form(request, store_a)
    form = form_class(data={"url": url}, instance=store_a)
    form.is_valid()
    assert any(words in message for message in form.errors.get("url", [])), form.errors.get("url")


@pytest.mark.parametrize(("url", "words"), list(REFUSED.items()))
def test_the_model_field_refuses_for_every_path(store_a, strict, url, words):
    from django.core.exceptions import ValidationError

    store_a.url = url
    with pytest.raises(ValidationError, match=words):
        store_a.full_clean()


@pytest.mark.parametrize(("url", "words"), list(REFUSED.items()))
def test_webhook_urls_are_refused_the_same_way(strict, tenant_a, alice, url, words):
    from django.core.exceptions import ValidationError

    from api.services import api_key_create

    api = bearer(api_key_create(tenant=tenant_a, name="k", read_only=False, user=alice)[1])
    response = api.post("/api/v1/webhooks/", {"url": url, "events": ["order.updated"]}, format="json")
    assert response.status_code == 400 and words in response.json()["error"]["message"]
    with pytest.raises(ValidationError, match=words):
        WebhookSubscription(tenant=tenant_a, url=url, events=["order.updated"]).full_clean()
