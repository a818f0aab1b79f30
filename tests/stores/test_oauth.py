"""The OAuth 2 app flow of docs/authentication.md: signatures, the handshake and refreshes against the
sandbox store's OAuth endpoints (real HTTP over loopback), and the reconnect state when a refresh fails."""

import datetime as dt
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.utils import timezone

from sandbox import rest_oauth
from stores.platforms.americommerce import oauth


@pytest.fixture
def app(settings):
    settings.AMERICOMMERCE_OAUTH_CLIENT_ID = rest_oauth.TEST_CLIENT_ID
    settings.AMERICOMMERCE_OAUTH_SECRET = rest_oauth.TEST_CLIENT_SECRET
    settings.AMERICOMMERCE_OAUTH_SCOPES = "orders  read_catalog system"
    return settings


def test_access_token_signature_is_sha256_of_the_documented_concatenation():
    # Worked by hand from step 5: secret + code + client_id + scope + redirect_uri in lower case.
    text = "s3cret" + "CODE1" + "app-1" + "orders system" + "https://outbound.example.com/cb?x=ab"
    expected = hashlib.sha256(text.encode()).hexdigest()
    assert (
        oauth.access_token_signature(
            secret="s3cret",
            code="CODE1",
            client_id="app-1",
            scope="orders system",
            redirect_uri="https://Outbound.example.com/CB?x=AB",
        )
        == expected
    )
    assert len(expected) == 64 and expected == expected.lower()


def test_refresh_signature_is_sha256_of_secret_refresh_token_and_client_id():
    expected = hashlib.sha256(b"s3cretREFRESH-1app-1").hexdigest()
    assert oauth.refresh_signature(secret="s3cret", refresh_token="REFRESH-1", client_id="app-1") == expected


def test_the_app_is_configured_only_with_both_id_and_secret(settings):
    settings.AMERICOMMERCE_OAUTH_CLIENT_ID, settings.AMERICOMMERCE_OAUTH_SECRET = "app", ""
    assert not oauth.app_configured()
    settings.AMERICOMMERCE_OAUTH_SECRET = "secret"
    assert oauth.app_configured()


def test_authorize_url_carries_client_id_scope_and_redirect_uri(app):
    url = oauth.authorize_url("https://shop.example.com/", "https://outbound.example.com/cb?flow=abc")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "shop.example.com", "/api/oauth")
    query = parse_qs(parts.query)
    assert query == {
        "client_id": [rest_oauth.TEST_CLIENT_ID],
        "scope": ["orders read_catalog system"],
        "redirect_uri": ["https://outbound.example.com/cb?flow=abc"],
    }
    assert "secret" not in url and rest_oauth.TEST_CLIENT_SECRET not in url


def _handshake(sandbox, redirect_uri):
    """What the merchant's browser does: open the authorize URL, come back to the redirect_uri."""
    answer = requests.get(oauth.authorize_url(sandbox.base_url, redirect_uri), allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    back = answer.headers["Location"]
    assert back.startswith(redirect_uri + "&")
    return {k: v[0] for k, v in parse_qs(urlsplit(back).query).items()}


def test_handshake_against_the_sandbox_gives_tokens_the_store_knows(app, sandbox):
    redirect_uri = "http://testserver/stores/oauth/callback/?flow=Abc123"
    params = _handshake(sandbox, redirect_uri)
    tokens = oauth.exchange_code(
        sandbox.base_url, auth_id=params["auth_id"], code=params["code"], redirect_uri=redirect_uri
    )
    assert tokens.access_token and tokens.refresh_token and tokens.scope == "orders read_catalog system"
    assert tokens.expires_at is not None and tokens.expires_at > timezone.now()
    state = rest_oauth.oauth(sandbox.store)
    assert state.token_scopes(tokens.access_token, sandbox.store.now()) == ["orders", "read_catalog", "system"]
    assert tokens.access_token not in repr(tokens)


def test_a_signature_over_another_redirect_uri_is_refused(app, sandbox):
    redirect_uri = "http://testserver/stores/oauth/callback/?flow=abc"
    params = _handshake(sandbox, redirect_uri)
    with pytest.raises(oauth.OAuthError) as caught:
        oauth.exchange_code(
            sandbox.base_url, auth_id=params["auth_id"], code=params["code"], redirect_uri=redirect_uri + "x"
        )
    assert "HTTP 401" in caught.value.message and caught.value.permanent
    assert params["code"] not in caught.value.message


def test_a_code_is_good_once(app, sandbox):
    redirect_uri = "http://testserver/cb?flow=1"
    params = _handshake(sandbox, redirect_uri)
    oauth.exchange_code(sandbox.base_url, auth_id=params["auth_id"], code=params["code"], redirect_uri=redirect_uri)
    with pytest.raises(oauth.OAuthError):
        oauth.exchange_code(sandbox.base_url, auth_id=params["auth_id"], code=params["code"], redirect_uri=redirect_uri)


def test_refresh_gives_a_new_access_token_and_a_revoked_refresh_token_is_refused(app, sandbox):
    redirect_uri = "http://testserver/cb?flow=1"
    params = _handshake(sandbox, redirect_uri)
    first = oauth.exchange_code(
        sandbox.base_url, auth_id=params["auth_id"], code=params["code"], redirect_uri=redirect_uri
    )
    second = oauth.refresh_tokens(sandbox.base_url, first.refresh_token)
    assert second.access_token != first.access_token and second.expires_at is not None
    rest_oauth.oauth(sandbox.store).revoke_refresh_tokens()
    with pytest.raises(oauth.OAuthError) as caught:
        oauth.refresh_tokens(sandbox.base_url, second.refresh_token)
    assert "revoked" in caught.value.message


def test_an_unreachable_store_is_a_temporary_error(app):
    with pytest.raises(oauth.StoreError) as caught:
        oauth.refresh_tokens("http://127.0.0.1:9", "whatever")
    assert not caught.value.permanent


@pytest.mark.parametrize(
    "value,seconds", [(3600, 3600), ("120", 120), ("2026-01-01T10:00:00Z", None), ("2026-01-01T05:00:00-05:00", None)]
)
def test_expiry_is_read_as_a_datetime_or_seconds(value, seconds):
    now = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)
    expected = now + dt.timedelta(seconds=seconds) if seconds else dt.datetime(2026, 1, 1, 10, 0, tzinfo=dt.UTC)
    assert oauth.parse_expiry(value, now=now) == expected


@pytest.mark.parametrize(
    "value", [None, "", "soon", True, 1e12, 1e20, float("inf"), float("nan"), "1e12", "inf", "nan", "9" * 40, "٣٠"]
)
def test_an_unreadable_expiry_means_none(value):
    assert oauth.parse_expiry(value) is None


@pytest.mark.parametrize("text", ["1e12", "1e20", "Infinity", "NaN", "-1e20", '"1e400"'])
def test_an_absurd_expiry_in_the_stores_answer_is_no_error(text):
    """The callback and every refresh read the answer with this (a 500 and a failed refresh before)."""
    answer = json.loads('{"access_token": "a", "refresh_token": "r", "expires": ' + text + "}")
    assert oauth._token_set(answer, scope="", now=None).expires_at is None


# --- a store on the OAuth app: refresh before expiry, the reconnect state -----------------------------


def _oauth_store(tenant, sandbox, *, expires_in=3600):
    from stores.services import store_create_oauth

    redirect_uri = "http://testserver/cb?flow=1"
    params = _handshake(sandbox, redirect_uri)
    tokens = oauth.exchange_code(
        sandbox.base_url, auth_id=params["auth_id"], code=params["code"], redirect_uri=redirect_uri
    )
    tokens = oauth.TokenSet(
        tokens.access_token, tokens.refresh_token, timezone.now() + dt.timedelta(seconds=expires_in), tokens.scope
    )
    return store_create_oauth(tenant=tenant, name="OAuth shop", url=sandbox.base_url, oauth_tokens=tokens)


def test_a_fresh_token_is_used_as_is(app, sandbox, tenant_a):
    store = _oauth_store(tenant_a, sandbox)
    token = store.get_oauth_access_token()
    assert oauth.access_token_for(store) == token
    assert rest_oauth.oauth(sandbox.store).counts.get("refresh", 0) == 0


def test_a_token_about_to_expire_is_refreshed_and_kept_encrypted(app, sandbox, tenant_a):
    store = _oauth_store(tenant_a, sandbox, expires_in=60)
    old = store.get_oauth_access_token()
    token = oauth.access_token_for(store)
    assert token != old
    store.refresh_from_db()
    assert store.get_oauth_access_token() == token and token not in str(store.secret_documents)
    assert store.oauth_expires_at > timezone.now() + dt.timedelta(minutes=30)
    assert store.oauth_scope == "orders read_catalog system" and not store.needs_reconnect
    assert rest_oauth.oauth(sandbox.store).token_scopes(token, sandbox.store.now()) is not None


def test_a_refused_refresh_puts_the_store_in_the_reconnect_state(app, sandbox, tenant_a):
    store = _oauth_store(tenant_a, sandbox, expires_in=0)
    rest_oauth.oauth(sandbox.store).revoke_refresh_tokens()
    with pytest.raises(oauth.OAuthError) as caught:
        oauth.access_token_for(store)
    assert caught.value.permanent and "reconnect" in caught.value.message
    store.refresh_from_db()
    assert store.needs_reconnect and "reconnect it" in store.reconnect_reason and "revoked" in store.reconnect_reason
    # Waiting to be reconnected: no more requests to the store until someone does.
    refreshes = rest_oauth.oauth(sandbox.store).counts["refresh"]
    with pytest.raises(oauth.OAuthError):
        oauth.access_token_for(store)
    assert rest_oauth.oauth(sandbox.store).counts["refresh"] == refreshes


def test_an_unreachable_store_keeps_a_still_valid_token_and_no_reconnect(app, sandbox, tenant_a):
    store = _oauth_store(tenant_a, sandbox, expires_in=120)  # inside the refresh margin, not expired
    token = store.get_oauth_access_token()
    sandbox.stop()
    assert oauth.access_token_for(store) == token
    store.refresh_from_db()
    assert not store.needs_reconnect


def test_the_connector_of_an_oauth_store_gets_its_tokens_through_the_refreshing_source(app, sandbox, tenant_a):
    from stores.connector.registry import connector_for_store

    store = _oauth_store(tenant_a, sandbox, expires_in=0)
    connector = connector_for_store(store)
    assert isinstance(connector.tokens, oauth.OAuthTokenSource)
    token = connector.tokens.token()
    assert token == store.get_oauth_access_token()
    rest_oauth.oauth(sandbox.store).revoke_refresh_tokens()
    assert connector.tokens.refresh() is None
    assert store.needs_reconnect


def test_a_new_handshake_ends_the_reconnect_state(app, sandbox, tenant_a):
    from stores.services import store_mark_needs_reconnect, store_switch_road

    store = _oauth_store(tenant_a, sandbox)
    store_mark_needs_reconnect(store=store, reason="refused")
    redirect_uri = "http://testserver/cb?flow=2"
    params = _handshake(sandbox, redirect_uri)
    tokens = oauth.exchange_code(
        sandbox.base_url, auth_id=params["auth_id"], code=params["code"], redirect_uri=redirect_uri
    )
    store_switch_road(store=store, road="rest", rest_auth="oauth", oauth_tokens=tokens)
    store.refresh_from_db()
    assert not store.needs_reconnect and store.reconnect_reason == ""
    assert oauth.access_token_for(store) == tokens.access_token
