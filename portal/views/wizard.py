"""What the connect wizard's steps share, whichever road they came by (portal.views.stores for the token and
add-on roads, portal.views.oauth for Connect with AmeriCommerce): the session key of a tested connection,
the OAuth tokens kept in it encrypted, and the first step's page."""

from __future__ import annotations

from django.shortcuts import render

from stores import crypto
from stores.connector import registry
from stores.connector.errors import StoreError
from stores.models import Platform, RestAuth, Road, Store
from stores.statuses import propose_mapping

from ..forms import ConnectOAuthForm

WIZARD_KEY = "connect_store"


def oauth_tokens_to_session(tokens) -> dict:
    """The handshake's tokens as Fernet tokens (never in clear in the session), with their expiry and scope."""
    return {
        "access": crypto.encrypt_secret(tokens.access_token),
        "refresh": crypto.encrypt_secret(tokens.refresh_token) if tokens.refresh_token else "",
        "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else "",
        "scope": tokens.scope,
    }


def oauth_tokens_from_session(platform: str, saved: dict):
    """The token set (the platform's OAuth ability's) that oauth_tokens_to_session kept."""
    from django.utils.dateparse import parse_datetime

    expires = parse_datetime(saved["expires_at"]) if saved.get("expires_at") else None
    return registry.oauth_of(platform).token_set(
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
            "oauth_available": bool(registry.oauth_platforms()),
            "oauth_platform": oauth_platform_name(),
            "oauth_form": oauth_form or ConnectOAuthForm(),
        },
    )


def oauth_platform_name(platform: str = "") -> str:
    """The display name of `platform`, or of the (first) platform with an OAuth app flow, for the one-click
    button's words ("Connect with …")."""
    platform = platform or next(iter(registry.oauth_platforms() or registry.oauth_platforms(configured=False)), "")
    types = registry.platform_types(platform)
    return str(types[0].label) if types else ""


def oauth_available(store) -> bool:
    """Whether the store's platform has an OAuth app flow this deployment has an app for."""
    flow = registry.oauth_of(store.platform)
    return flow is not None and flow.configured() and has_rest_road(store)


def has_rest_road(store) -> bool:
    """Whether the store's platform has a REST road registered (AmeriCommerce does, any cart does not):
    asked of the registry, never by naming a platform."""
    return registry.connection_key(store.platform, Road.REST) in registry.connection_types()


def wizard_draft_store(saved: dict) -> Store:
    """The store a tested connection in the wizard's session describes, unsaved, with its secrets as the
    session keeps them (encrypted)."""
    store = Store(
        platform=saved.get("platform", Platform.AMERICOMMERCE),
        road=saved.get("road", Road.XML),
        rest_auth=saved.get("rest_auth") or RestAuth.TOKEN,
        name=saved.get("name", ""),
        url=saved.get("url", ""),
        username=saved.get("username", ""),
        endpoint_path=saved.get("endpoint_path", ""),
        secret_documents=saved.get("secrets") or {},
    )
    if saved.get("oauth"):
        tokens = oauth_tokens_from_session(store.platform, saved["oauth"])
        store.set_oauth_tokens(tokens.access_token, tokens.refresh_token, tokens.expires_at, tokens.scope)
    return store


def wizard_status_proposal(request, saved: dict) -> dict | None:
    """On a road whose store lists its own order statuses (the REST road's /order_statuses), the five mapping
    lists proposed from that list (stores.statuses.propose_mapping), asked once per wizard and kept in the
    session: {"mapping", "left_out", "count", "error"}. None on a road that cannot list them (the XML road:
    the defaults stand)."""
    if saved.get("road", Road.XML) != Road.REST:
        return None
    if "proposal" in saved:
        return saved["proposal"]
    draft = wizard_draft_store(saved)
    kind = draft.connection
    try:
        # refresh=False: a wizard's fresh OAuth token is used as it is; nothing is written for an unsaved store.
        with registry.connector_for_store(draft, refresh=False) as client:
            listed = client.describe().statuses
    except StoreError as exc:
        proposal = {"mapping": {}, "left_out": [], "count": 0, "error": exc.message}
    else:
        lists, left_out = propose_mapping(listed, kind.default_mapping, kind.status_key)
        # A store that lists no status at all proposes nothing: the defaults stand.
        proposal = {"mapping": lists if listed else {}, "left_out": left_out, "count": len(listed), "error": ""}
    saved["proposal"] = proposal
    request.session[WIZARD_KEY] = saved
    return proposal
