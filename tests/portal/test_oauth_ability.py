"""Issue 28 part 3: the portal's one-click connect asks the connector registry for a platform's OAuth app flow
(registry.oauth_of / oauth_platforms) and words its buttons and messages with that platform's name.

A made-up platform ("Acme", on the REST road) declares an OAuth ability whose consent URL and code exchange are
recorded in memory (the platform's collaborator, not the thing under test); AmeriCommerce has no app configured
here, so Acme is the only platform the wizard can connect with one click."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from portal.views.oauth import FLOW_KEY
from stores.connector import registry
from stores.connector.registry import OAuth

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(settings):
    settings.AMERICOMMERCE_OAUTH_CLIENT_ID = settings.AMERICOMMERCE_OAUTH_SECRET = ""
    seen: dict = {}

    def exchange(url, *, redirect_uri, **grant):
        seen["exchange"] = (url, grant)
        from stores.platforms.americommerce.oauth import TokenSet  # any token set: the wizard keeps four fields

        return TokenSet(access_token="acme-access", refresh_token="acme-refresh", expires_at=None, scope="orders")

    ability = OAuth(
        configured=lambda: True,
        authorize_url=lambda url, redirect_uri: f"{url}/consent?back={redirect_uri}",
        exchange_code=exchange,
        grant_params=("ticket",),
        token_set=dict,
    )
    registry.register("acme_rest", label="Acme", road="rest", oauth=ability)(lambda store, **o: None)
    yield seen
    registry.unregister("acme_rest")


def test_the_wizard_connects_with_the_platform_that_declares_an_oauth_app(acme, alice_client):
    page = alice_client.get(reverse("portal:connect_start")).content.decode()
    assert "Connect with Acme" in page and "Connect with AmeriCommerce" not in page

    start = alice_client.post(reverse("portal:connect_oauth"), {"name": "Acme shop", "url": "https://acme.example.com"})
    assert start.status_code == 302 and start["Location"].startswith("https://acme.example.com/consent?back=")
    flow = alice_client.session[FLOW_KEY]
    assert flow["platform"] == "acme"

    # The callback reads the platform's own grant parameters (here `ticket`), and a callback without them is refused
    # in the platform's name.
    back = urlsplit(flow["redirect_uri"])
    missing = alice_client.get(back.path, {"flow": parse_qs(back.query)["flow"][0]}, follow=True)
    assert "Acme sent the browser back without a grant" in missing.content.decode()
    assert "exchange" not in acme


def test_the_callback_exchanges_the_platforms_grant(acme, alice_client):
    alice_client.post(reverse("portal:connect_oauth"), {"name": "Acme shop", "url": "https://acme.example.com"})
    back = urlsplit(alice_client.session[FLOW_KEY]["redirect_uri"])
    done = alice_client.get(back.path, {"flow": parse_qs(back.query)["flow"][0], "ticket": "T-1"})
    assert done.status_code == 302 and done["Location"] == reverse("portal:connect_mapping")
    assert acme["exchange"] == ("https://acme.example.com", {"ticket": "T-1"})
    assert alice_client.session["connect_store"]["platform"] == "acme"
