"""What the connect wizard's steps share, whichever road they came by (portal.views.stores for the token and
add-on roads, portal.views.oauth for Connect with AmeriCommerce): the session key of a tested connection,
the OAuth tokens kept in it encrypted, and the first step's page."""

from __future__ import annotations

from django.shortcuts import render

from stores import crypto, oauth
from stores.connector import registry
from stores.models import Road

from ..forms import ConnectOAuthForm

WIZARD_KEY = "connect_store"


def oauth_tokens_to_session(tokens: oauth.TokenSet) -> dict:
    """The handshake's tokens as Fernet tokens (never in clear in the session), with their expiry and scope."""
    return {
        "access": crypto.encrypt_secret(tokens.access_token),
        "refresh": crypto.encrypt_secret(tokens.refresh_token) if tokens.refresh_token else "",
        "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else "",
        "scope": tokens.scope,
    }


def oauth_tokens_from_session(saved: dict) -> oauth.TokenSet:
    from django.utils.dateparse import parse_datetime

    expires = parse_datetime(saved["expires_at"]) if saved.get("expires_at") else None
    return oauth.TokenSet(
        access_token=crypto.decrypt_secret(saved["access"]),
        refresh_token=crypto.decrypt_secret(saved["refresh"]) if saved.get("refresh") else "",
        expires_at=expires,
        scope=saved.get("scope", ""),
    )


def connect_start_page(request, oauth_form=None):
    """Step 1: the roads into a store, the recommended one first (API token), the OAuth app's one button
    when this deployment has one, and the ShipStation add-on with what to prepare for it."""
    return render(
        request,
        "portal/stores/connect_start.html",
        {
            "nav": "stores",
            "step": 1,
            "oauth_available": oauth.app_configured(),
            "oauth_form": oauth_form or ConnectOAuthForm(),
        },
    )


def has_rest_road(store) -> bool:
    """Whether the store's platform has a REST road registered (AmeriCommerce does, any cart does not):
    asked of the registry, never by naming a platform."""
    return registry.connection_key(store.platform, Road.REST) in registry.connection_types()
