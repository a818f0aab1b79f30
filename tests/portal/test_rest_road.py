"""The portal's two roads: the wizard's API-token road with its connection-test outcomes in plain words, the
token write-only, the store page's road and its switch (orders and watermark kept), and "Connect with
AmeriCommerce" (the OAuth app flow against the sandbox's OAuth endpoints, real HTTP over loopback):
callback success, refusal, a flow that is not this browser's (CSRF), reconnect after a refused refresh."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from portal.views.oauth import FLOW_KEY
from portal.views.stores import WIZARD_KEY
from sandbox import rest_oauth
from stores.connector import registry
from stores.connector.types import ConnectionOutcome, ConnectionResult, StoreDescription
from stores.models import RestAuth, Road, Store
from stores.services import store_create, store_mark_needs_reconnect
from tests import factories

TOKEN = "tok-live-7f3a9c1e55"


@pytest.fixture
def app(settings):
    settings.AMERICOMMERCE_OAUTH_CLIENT_ID = rest_oauth.TEST_CLIENT_ID
    settings.AMERICOMMERCE_OAUTH_SECRET = rest_oauth.TEST_CLIENT_SECRET
    return settings


class StubConnector:
    """The REST connector's collaborator role in these view tests: a connection test with a set outcome."""

    outcome = ConnectionOutcome.OK
    message = ""
    seen: list = []

    def __init__(self, store, **options):
        StubConnector.seen.append((store.road, store.rest_auth, store.get_api_token() if store.has_api_token else ""))

    def test_connection(self, *, now=None):
        return ConnectionResult(outcome=self.outcome, message=self.message, orders_found=3)

    def describe(self):
        return StoreDescription()  # lists no status: the mapping step keeps the defaults

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


@pytest.fixture
def rest_stub(monkeypatch):
    kind = registry.connection_type("americommerce_rest")
    monkeypatch.setitem(
        registry._REGISTRY, "americommerce_rest", registry.ConnectionType(**{**kind.__dict__, "factory": StubConnector})
    )
    StubConnector.outcome, StubConnector.message, StubConnector.seen = ConnectionOutcome.OK, "", []
    return StubConnector


def _rest_details(**extra):
    return {"road": "rest", "name": "Acme API", "url": "https://shop.example.com", "api_token": TOKEN, **extra}


# --- the wizard -----------------------------------------------------------------------------------------


def test_start_page_offers_both_roads_token_first_and_no_oauth_button_without_an_app(alice_client, settings):
    settings.AMERICOMMERCE_OAUTH_CLIENT_ID = settings.AMERICOMMERCE_OAUTH_SECRET = ""
    page = alice_client.get(reverse("portal:connect_start")).content.decode()
    assert page.index('id="road-rest"') < page.index('id="road-xml"')
    assert "Recommended" in page and "ShipStation add-on: username and password" in page
    assert "Connect with AmeriCommerce" not in page and 'id="road-oauth"' not in page


def test_start_page_shows_the_oauth_button_when_the_app_is_configured(alice_client, app):
    page = alice_client.get(reverse("portal:connect_start")).content.decode()
    assert 'id="connect-oauth"' in page and reverse("portal:connect_oauth") in page


def test_the_token_road_connects_a_store_with_its_token_encrypted(alice_client, tenant_a, rest_stub):
    response = alice_client.post(reverse("portal:connect_details") + "?road=rest", _rest_details())
    assert response["Location"] == reverse("portal:connect_mapping")
    assert TOKEN not in str(dict(alice_client.session))  # between the steps: a Fernet token, not the token
    assert rest_stub.seen == [("rest", "token", TOKEN)]
    data = {
        "awaiting_payment": "Pending",
        "awaiting_shipment": "New",
        "shipped": "Shipped",
        "cancelled": "Cancelled",
        "on_hold": "On Hold",
        "since": "2020-01-01",
    }
    alice_client.post(reverse("portal:connect_mapping"), data)
    store = Store.objects.for_tenant(tenant_a).get()
    assert (store.road, store.rest_auth, store.username) == (Road.REST, RestAuth.TOKEN, "")
    assert store.get_api_token() == TOKEN and TOKEN not in str(store.secret_documents)


@pytest.mark.parametrize(
    "outcome,title,words",
    [
        (ConnectionOutcome.UNREACHABLE, "We could not reach your store", "connection refused"),
        (ConnectionOutcome.NOT_AN_ENDPOINT, "not as AmeriCommerce&#x27;s API does", "HTML page"),
        (ConnectionOutcome.BAD_CREDENTIALS, "The store refused the API token", "HTTP 401"),
        (ConnectionOutcome.NOT_ADMIN, "The token lacks a permission Outbound needs", "scope read_catalog"),
    ],
)
def test_each_token_road_outcome_is_told_in_its_own_words(alice_client, tenant_a, rest_stub, outcome, title, words):
    rest_stub.outcome, rest_stub.message = outcome, f"Detail: {words}."
    response = alice_client.post(reverse("portal:connect_details") + "?road=rest", _rest_details())
    body = response.content.decode()
    assert response.status_code == 200 and f'data-outcome="{outcome.value}"' in body
    assert title in body and words in body
    assert "username or password" not in body and "ShipStation add-on on" not in body
    assert TOKEN not in body  # write-only, even on a failed test
    assert not Store.objects.for_tenant(tenant_a).exists()


def test_the_token_road_needs_a_token(alice_client, rest_stub):
    body = alice_client.post(
        reverse("portal:connect_details") + "?road=rest", _rest_details(api_token="")
    ).content.decode()
    assert "This field is required" in body and rest_stub.seen == []


# --- the store page: the road, the token write-only, the switch ----------------------------------------


def _rest_store(tenant, **extra):
    return store_create(
        tenant=tenant, name="Acme API", url="https://shop.example.com", road=Road.REST, api_token=TOKEN, **extra
    )


def test_store_page_names_the_road_and_never_shows_the_token(alice_client, tenant_a):
    store = _rest_store(tenant_a)
    response = alice_client.get(reverse("portal:store_settings", args=[store.pk]))
    body = response.content.decode()
    assert "Road: AmeriCommerce API, with an API token" in body
    assert TOKEN not in body and 'name="connection-api_token"' in body
    assert 'name="connection-password"' not in body and 'name="connection-username"' not in body
    assert "Switch to the ShipStation add-on" in body


def test_a_viewer_sees_that_a_token_is_set_not_the_token(bob_client, tenant_a):
    store = _rest_store(tenant_a)
    body = bob_client.get(reverse("portal:store_settings", args=[store.pk])).content.decode()
    assert "Set (never shown)" in body and TOKEN not in body and 'id="road-form"' not in body


def test_a_new_token_replaces_the_old_one_after_a_good_test(alice_client, tenant_a, rest_stub):
    store = _rest_store(tenant_a)
    store_mark_needs_reconnect(store=store, reason="The store refused the API token.")
    data = {
        "section": "connection",
        "connection-name": store.name,
        "connection-url": store.url,
        "connection-api_token": "tok-new-0001",
        "connection-import_interval_minutes": 15,
        "connection-is_active": "on",
    }
    response = alice_client.post(reverse("portal:store_settings", args=[store.pk]), data)
    assert response.status_code == 302
    store.refresh_from_db()
    assert store.get_api_token() == "tok-new-0001" and not store.needs_reconnect
    assert rest_stub.seen[-1] == ("rest", "token", "tok-new-0001")


def test_switching_an_xml_store_to_the_api_keeps_orders_and_watermark(alice_client, tenant_a, rest_stub):
    store = factories.make_store(tenant_a, name="Old road")
    orders = {factories.make_order(store).pk for _ in range(2)}
    mark = timezone.now() - dt.timedelta(hours=2)
    factories.import_state_set(store, import_watermark=mark)
    response = alice_client.post(
        reverse("portal:store_settings", args=[store.pk]), {"section": "road", "road-api_token": TOKEN}
    )
    assert response.status_code == 302 and response["Location"].endswith("#road")
    store.refresh_from_db()
    assert (store.road, store.get_api_token(), factories.import_state(store).import_watermark) == (
        Road.REST,
        TOKEN,
        mark,
    )
    assert set(Order.objects.filter(store=store).values_list("pk", flat=True)) == orders

    # And back, with the saved password (blank keeps it) over the real XML road: the sandbox would be
    # needed for a passing test, so a store that cannot be reached is refused and nothing changes.
    body = alice_client.post(
        reverse("portal:store_settings", args=[store.pk]),
        {
            "section": "road",
            "road-username": "admin",
            "road-password": "",
            "road-endpoint_path": "/store/shipstation.aspx",
        },
    ).content.decode()
    store.refresh_from_db()
    assert store.road == Road.REST and 'data-outcome="' in body


def test_switching_back_to_the_add_on_over_the_sandbox(alice_client, tenant_a, sandbox, rest_stub):
    store = factories.connect_sandbox(tenant_a, sandbox)
    factories.make_order(store)
    mark = timezone.now() - dt.timedelta(hours=1)
    factories.import_state_set(store, import_watermark=mark)
    alice_client.post(reverse("portal:store_settings", args=[store.pk]), {"section": "road", "road-api_token": TOKEN})
    store.refresh_from_db()
    assert store.road == Road.REST
    response = alice_client.post(
        reverse("portal:store_settings", args=[store.pk]),
        {
            "section": "road",
            "road-username": sandbox.username,
            "road-password": "",
            "road-endpoint_path": "/store/shipstation.aspx",
        },
    )
    assert response.status_code == 302
    store.refresh_from_db()
    assert (store.road, factories.import_state(store).import_watermark, store.orders.count()) == (Road.XML, mark, 1)


def test_a_refused_switch_changes_nothing_and_says_why(alice_client, tenant_a, rest_stub):
    store = factories.make_store(tenant_a, name="Stays")
    rest_stub.outcome, rest_stub.message = ConnectionOutcome.BAD_CREDENTIALS, "HTTP 401"
    body = alice_client.post(
        reverse("portal:store_settings", args=[store.pk]), {"section": "road", "road-api_token": TOKEN}
    ).content.decode()
    store.refresh_from_db()
    assert store.road == Road.XML and not store.has_api_token
    assert "The store refused the API token" in body and TOKEN not in body


def test_an_any_cart_store_has_no_api_to_switch_to(alice_client, tenant_a):
    store = store_create(
        tenant=tenant_a,
        name="Corner",
        url="https://cart.example.com/ss",
        username="u",
        password="p",
        platform="custom_store",
    )
    body = alice_client.get(reverse("portal:store_settings", args=[store.pk])).content.decode()
    assert 'id="road-form"' not in body
    assert (
        alice_client.post(
            reverse("portal:store_settings", args=[store.pk]), {"section": "road", "road-api_token": TOKEN}
        ).status_code
        == 404
    )


# --- Connect with AmeriCommerce (OAuth) ---------------------------------------------------------------


def _through_the_store(response):
    """The merchant's browser at the store: follow its redirect back to our callback; the local path."""
    assert response.status_code == 302
    back = requests.get(response["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302
    parts = urlsplit(back.headers["Location"])
    assert parts.netloc == "testserver"
    return f"{parts.path}?{parts.query}"


def test_connect_with_americommerce_creates_a_store_on_the_oauth_app(alice_client, tenant_a, sandbox, app):
    start = alice_client.post(reverse("portal:connect_oauth"), {"name": "One click", "url": sandbox.base_url})
    assert start["Location"].startswith(sandbox.base_url + "/api/oauth?client_id=outbound-sandbox-app")
    callback = _through_the_store(start)
    assert callback.startswith(reverse("portal:oauth_callback") + "?flow=")
    done = alice_client.get(callback)
    assert done["Location"] == reverse("portal:connect_mapping")
    assert FLOW_KEY not in alice_client.session
    saved = alice_client.session[WIZARD_KEY]
    state = rest_oauth.oauth(sandbox.store)
    assert not any(token in str(saved) for token in state.access)  # encrypted in the session
    data = {
        "awaiting_payment": "Pending",
        "awaiting_shipment": "New",
        "shipped": "Shipped",
        "cancelled": "Cancelled",
        "on_hold": "On Hold",
        "since": "2020-01-01",
    }
    alice_client.post(reverse("portal:connect_mapping"), data)
    store = Store.objects.for_tenant(tenant_a).get()
    assert (store.road, store.rest_auth, store.name) == (Road.REST, RestAuth.OAUTH, "One click")
    assert store.get_oauth_access_token() in state.access and store.oauth_expires_at is not None
    assert store.get_oauth_refresh_token() in state.refresh


def test_a_callback_not_started_in_this_browser_is_refused(alice_client, charlie_client, tenant_a, sandbox, app):
    start = alice_client.post(reverse("portal:connect_oauth"), {"name": "Mine", "url": sandbox.base_url})
    callback = _through_the_store(start)
    # Someone else's browser (another tenant) replaying the link: no flow of theirs, nothing exchanged.
    assert charlie_client.get(callback).status_code == 400
    # A forged flow value in the right browser.
    path, query = callback.split("?", 1)
    forged = alice_client.get(path + "?" + query.replace("flow=", "flow=x"))
    assert (
        forged.status_code == 400
        and "does not belong to a connection started in this browser" in forged.content.decode()
    )
    assert rest_oauth.oauth(sandbox.store).counts.get("access_token", 0) == 0
    assert WIZARD_KEY not in alice_client.session and not Store.objects.exists()


def test_a_refusal_at_the_store_is_told_in_plain_words(alice_client, sandbox, app):
    rest_oauth.oauth(sandbox.store).deny_next = "access_denied"
    start = alice_client.post(reverse("portal:connect_oauth"), {"name": "No", "url": sandbox.base_url})
    response = alice_client.get(_through_the_store(start), follow=True)
    body = response.content.decode()
    assert "AmeriCommerce did not grant access: The user did not grant the app access." in body
    assert not Store.objects.exists()


def test_a_refused_code_exchange_is_told_and_saves_nothing(alice_client, sandbox, app, settings):
    start = alice_client.post(reverse("portal:connect_oauth"), {"name": "Bad", "url": sandbox.base_url})
    callback = _through_the_store(start)
    settings.AMERICOMMERCE_OAUTH_SECRET = "not-the-app-secret"  # the signature no longer matches
    body = alice_client.get(callback, follow=True).content.decode()
    assert "could not finish connecting with AmeriCommerce" in body and "HTTP 401" in body
    assert not Store.objects.exists()


def test_a_store_waiting_for_reconnect_says_so_and_reconnects(alice_client, tenant_a, sandbox, app):
    from stores.platforms.americommerce.oauth import TokenSet
    from stores.services import store_create_oauth

    store = store_create_oauth(
        tenant=tenant_a,
        name="Lapsed",
        url=sandbox.base_url,
        oauth_tokens=TokenSet("old-access", "old-refresh", timezone.now(), "orders"),
    )
    factories.make_order(store)
    store_mark_needs_reconnect(
        store=store, reason="The store no longer accepts Outbound's OAuth access; reconnect it with AmeriCommerce."
    )
    body = alice_client.get(reverse("portal:store_settings", args=[store.pk])).content.decode()
    assert 'id="reconnect-needed"' in body and 'id="reconnect"' in body
    assert reverse("portal:store_oauth_connect", args=[store.pk]) in body
    start = alice_client.post(reverse("portal:store_oauth_connect", args=[store.pk]))
    done = alice_client.get(_through_the_store(start), follow=True)
    assert "Reconnected with AmeriCommerce" in done.content.decode()
    store.refresh_from_db()
    assert not store.needs_reconnect and store.get_oauth_access_token() in rest_oauth.oauth(sandbox.store).access
    assert store.orders.count() == 1


def test_without_an_app_the_oauth_views_say_so(alice_client, tenant_a, settings):
    settings.AMERICOMMERCE_OAUTH_CLIENT_ID = ""
    store = _rest_store(tenant_a)
    response = alice_client.post(
        reverse("portal:connect_oauth"), {"name": "X", "url": "https://shop.example.com"}, follow=True
    )
    assert "no AmeriCommerce app configured" in response.content.decode()
    response = alice_client.post(reverse("portal:store_oauth_connect", args=[store.pk]), follow=True)
    assert "no AmeriCommerce app configured" in response.content.decode()


# --- the token road against the sandbox's REST face (the real connector, real HTTP) ----------------------


def _free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("case", ["ok", "missing_scope", "refused", "not_api", "unreachable"])
def test_token_road_outcomes_against_the_sandbox(alice_client, tenant_a, sandbox, case):
    rest = sandbox.store.rest
    url, token = sandbox.base_url, rest.token
    if case == "missing_scope":
        token = rest.limited_token
    elif case == "refused":
        token = "not-a-token-of-this-store"
    elif case == "not_api":
        url = sandbox.base_url + "/shop"
    elif case == "unreachable":
        url = f"http://127.0.0.1:{_free_port()}"
    response = alice_client.post(
        reverse("portal:connect_details") + "?road=rest", _rest_details(url=url, api_token=token)
    )
    if case == "ok":
        assert response.status_code == 302 and response["Location"] == reverse("portal:connect_mapping")
        return
    body = response.content.decode()
    expected = {
        "missing_scope": ("missing_scope", "The token lacks the scope “system”"),
        "refused": ("bad_credentials", "The store refused the API token"),
        "not_api": ("not_an_endpoint", "not as AmeriCommerce&#x27;s API does"),
        "unreachable": ("unreachable", "We could not reach your store"),
    }[case]
    assert f'data-outcome="{expected[0]}"' in body and expected[1] in body, body[:3000]
    assert token not in body


def test_a_store_connected_with_americommerce_passes_the_connection_test(alice_client, tenant_a, sandbox, app):
    start = alice_client.post(reverse("portal:connect_oauth"), {"name": "One click", "url": sandbox.base_url})
    alice_client.get(_through_the_store(start))
    alice_client.post(
        reverse("portal:connect_mapping"),
        {
            "awaiting_payment": "Pending",
            "awaiting_shipment": "New",
            "shipped": "Shipped",
            "cancelled": "Cancelled",
            "on_hold": "On Hold",
            "since": "2020-01-01",
        },
    )
    store = Store.objects.for_tenant(tenant_a).get()
    from portal.views.stores import test_store_connection

    assert test_store_connection(store).ok


def test_a_stale_flow_is_refused(alice_client, sandbox, app):
    start = alice_client.post(reverse("portal:connect_oauth"), {"name": "Late", "url": sandbox.base_url})
    callback = _through_the_store(start)
    session = alice_client.session
    session[FLOW_KEY] = {**session[FLOW_KEY], "started": "2020-01-01T00:00:00+00:00"}
    session.save()
    assert alice_client.get(callback).status_code == 400
    assert not Store.objects.exists()


def test_the_rest_wizard_proposes_the_mapping_from_the_stores_own_statuses(alice_client, tenant_a, sandbox):
    # Issue 25 item 13: the REST road's store lists its statuses; the lists start from them (names matched to
    # the defaults case-insensitively, commas removed; custom ones by their flags), not from the XML defaults,
    # so the first import does not leave "Approved, Pending Shipping" orders out.
    response = alice_client.post(
        reverse("portal:connect_details") + "?road=rest",
        _rest_details(url=sandbox.base_url, api_token=sandbox.store.rest.token),
    )
    assert response.status_code == 302
    page = alice_client.get(reverse("portal:connect_mapping"))
    form = page.context["form"]
    lists = {
        name: form[name].value()
        for name in ("awaiting_payment", "awaiting_shipment", "shipped", "cancelled", "on_hold")
    }
    assert lists == {
        "awaiting_payment": "Pending Payment, Pending Review",
        "awaiting_shipment": "New, Pending Processing, Processing, Ready To Ship, Backordered, Partially Shipped, "
        "Approved Pending Shipping, Awaiting Pickup Local, Gift Wrap Queue",
        "shipped": "Shipped, Completed Shipped",
        "cancelled": "Cancelled, Declined, Refunded",
        "on_hold": "On Hold",
    }
    assert 'id="status-proposal"' in page.content.decode()
    asked = sandbox.truth(include_orders=False)["rest"]
    alice_client.get(reverse("portal:connect_mapping"))  # asked once per wizard, kept in the session
    assert sandbox.truth(include_orders=False)["rest"] == asked
    done = alice_client.post(reverse("portal:connect_mapping"), {**lists, "since": "2020-01-01"})
    assert done.status_code == 302
    mapping = Store.objects.for_tenant(tenant_a).get().status_mapping
    assert "Approved Pending Shipping" in mapping.awaiting_shipment and "Completed Shipped" in mapping.shipped


def test_a_store_whose_statuses_cannot_be_read_gets_the_defaults_and_is_told_why(alice_client, tenant_a, sandbox):
    alice_client.post(
        reverse("portal:connect_details") + "?road=rest",
        _rest_details(url=sandbox.base_url, api_token=sandbox.store.rest.token),
    )
    del sandbox.store.rest.tokens[sandbox.store.rest.token]  # the token revoked between the two steps
    page = alice_client.get(reverse("portal:connect_mapping"))
    assert page.context["form"]["awaiting_shipment"].value().startswith("New, Pending Processing")
    assert "Approved Pending Shipping" not in page.context["form"]["awaiting_shipment"].value()
    assert 'id="status-proposal-failed"' in page.content.decode()


def _detail(response):
    import html
    import re

    found = re.search(r'<p class="muted small">(.*?)</p>', response.content.decode(), re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else ""


@pytest.mark.parametrize(
    "language, words",
    [
        (
            "en",
            "Details: The site at {host} does not answer HTTPS. If it is a plain http site, enter its address as "
            "http://{host}.",
        ),
        (
            "fr",
            "Détails : Le site {host} ne répond pas en HTTPS. Si c'est un site en http simple, saisissez son "
            "adresse sous la forme http://{host}.",
        ),
    ],
)
def test_an_address_without_http_is_told_it_does_not_answer_https(alice_client, sandbox, language, words):
    # Issue 25 item 15: "127.0.0.1:port" is read as https://…; the site speaks plain http. No certificate blamed.
    host = sandbox.base_url.removeprefix("http://")
    alice_client.cookies["django_language"] = language
    response = alice_client.post(
        reverse("portal:connect_details") + "?road=rest", _rest_details(url=host, api_token=sandbox.store.rest.token)
    )
    assert 'data-outcome="unreachable"' in response.content.decode()
    assert _detail(response) == words.format(host=host)


@pytest.mark.parametrize(
    "language, words",
    [
        (
            "en",
            "What the store said: Nothing answers at this address's /api/v1 (HTTP 404), so it is not an "
            "AmeriCommerce store's REST API.",
        ),
        (
            "fr",
            "Réponse de la boutique : Rien ne répond à l'adresse /api/v1 de ce site (HTTP 404) : ce n'est donc "
            "pas l'API REST d'une boutique AmeriCommerce.",
        ),
    ],
)
def test_not_an_api_is_one_sentence_in_the_readers_language(alice_client, sandbox, language, words):
    # Issue 25 item 16: it said "This is not an AmeriCommerce store's REST API: … it is not an AmeriCommerce
    # store's REST API. Check the store URL." (and in English on the French page).
    alice_client.cookies["django_language"] = language
    response = alice_client.post(
        reverse("portal:connect_details") + "?road=rest",
        _rest_details(url=sandbox.base_url + "/shop", api_token=sandbox.store.rest.token),
    )
    assert 'data-outcome="not_an_endpoint"' in response.content.decode()
    assert _detail(response) == words


def test_connect_with_americommerce_proposes_the_mapping_from_the_stores_statuses(alice_client, sandbox, app):
    start = alice_client.post(reverse("portal:connect_oauth"), {"name": "One click", "url": sandbox.base_url})
    alice_client.get(_through_the_store(start))
    form = alice_client.get(reverse("portal:connect_mapping")).context["form"]
    assert "Approved Pending Shipping" in form["awaiting_shipment"].value()
    assert form["shipped"].value() == "Shipped, Completed Shipped"


@pytest.mark.parametrize(
    "case, words",
    [
        (
            "missing_scope",
            "Réponse de la boutique : Le jeton d'API fonctionne, mais il lui manque la portée « system », dont "
            "Outbound a besoin pour lire les vitrines.",
        ),
        (
            "refused",
            "Réponse de la boutique : La boutique a refusé le jeton d'API (HTTP 401) : il est erroné, révoqué ou "
            "expiré. Créez un nouveau jeton dans l'administration de la boutique (Outils › Applications et modules "
            "› Applications API et intégrations) et saisissez-le à nouveau.",
        ),
    ],
)
def test_the_token_roads_details_speak_french_with_french_quotes(alice_client, sandbox, case, words):
    # Issue 25 item 17: these details were left in English (with “English” quotes) on the French wizard.
    token = sandbox.store.rest.limited_token if case == "missing_scope" else "not-a-token-of-this-store"
    alice_client.cookies["django_language"] = "fr"
    response = alice_client.post(
        reverse("portal:connect_details") + "?road=rest", _rest_details(url=sandbox.base_url, api_token=token)
    )
    assert _detail(response) == words
