"""A session cookie that is not a key Django makes is no session, on every database (config/sessions.py)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import VALID_KEY_CHARS

from config.sessions import SessionStore

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("key", ["abcdefgh\x00ijklmnop", "ABCDEFGHIJKLMNOP", "abcdefgh;ijklmnop", "é" * 32, "a" * 41])
def test_a_key_django_did_not_make_is_no_session(key):
    store = SessionStore(session_key=key)
    assert store.session_key is None and store.load() == {}


def test_a_real_session_still_reads_back():
    store = SessionStore()
    store["who"] = "alice"
    store.create()
    assert set(store.session_key) <= set(VALID_KEY_CHARS)
    assert SessionStore(session_key=store.session_key).load()["who"] == "alice"


@pytest.mark.parametrize("path", ["/api/v1/orders/1/hold/", "/orders/", "/admin/"])
def test_a_cookie_with_a_nul_byte_is_a_signed_out_visitor_not_a_server_error(client, path):
    client.cookies[settings.SESSION_COOKIE_NAME] = "abcdefgh\x00ijklmnopqrstuvwxyz0123"
    response = client.post(path, {}) if path.startswith("/api/") else client.get(path)
    assert response.status_code in (302, 401, 403), response.status_code
