"""Connect with a platform's OAuth app: the flow's two portal ends (the platform's OAuth ability, declared in the
connector registry, has the protocol: `registry.oauth_of(platform)`).

    connect_oauth          POST from the wizard's first step (store name and URL): a new store
    store_oauth_connect    POST from a store's page: reconnect it (after a refused refresh), or move it to
                           the OAuth app from another road (orders and watermark kept)
    oauth_callback         GET, where the store sends the merchant back with auth_id and code

The vendor's flow has no `state` parameter, so the redirect_uri carries our own: `?flow=<random>`, kept
in the session with what the flow is for (tenant, store or new store's name and URL, the exact
redirect_uri the signature needs). A callback whose flow is not the session's (another browser, a forged
link, a replay) is refused and changes nothing. Tokens never sit in the session in clear: between the
callback and the wizard's mapping step they are Fernet tokens, as at rest.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from stores.connector import registry
from stores.connector.errors import StoreError
from stores.forms import duplicate_store_error
from stores.models import RestAuth, Road
from stores.selectors import store_same_site
from stores.services import store_switch_road

from ..forms import ConnectOAuthForm
from ..tenancy import get_store_for_user, portal_view
from .wizard import WIZARD_KEY, connect_start_page, has_rest_road, oauth_platform_name, oauth_tokens_to_session

FLOW_KEY = "oauth_flow"


def _start(request, *, platform: str, url: str, name: str, store_id: int | None):
    """Remember the flow, then send the browser to the store's consent page."""
    flow = secrets.token_urlsafe(24)
    redirect_uri = request.build_absolute_uri(reverse("portal:oauth_callback")) + f"?flow={flow}"
    request.session[FLOW_KEY] = {
        "flow": flow,
        "tenant_id": request.tenant.pk,
        "platform": platform,
        "store_id": store_id,
        "url": url,
        "name": name,
        "redirect_uri": redirect_uri,
        "started": dt.datetime.now(dt.UTC).isoformat(),
    }
    return redirect(registry.oauth_of(platform).authorize_url(url, redirect_uri))


def _not_configured(request, to, platform: str = ""):
    messages.error(
        request,
        _(
            "This Outbound has no %(platform)s app configured, so it cannot connect with one "
            "click. Connect with an API token instead."
        )
        % {"platform": oauth_platform_name(platform)},
    )
    return redirect(to)


@portal_view("manage_stores")
@require_POST
def connect_oauth(request):
    platforms = registry.oauth_platforms()
    if not platforms:
        return _not_configured(request, "portal:connect_start")
    platform = platforms[0]  # the wizard's one-click button: the (first) platform with an app configured
    form = ConnectOAuthForm(request.POST)
    if form.is_valid():
        same = store_same_site(tenant=request.tenant, url=form.cleaned_data["url"], platform=platform)
        if same is not None:  # refused before the merchant is sent to the store's admin console
            form.add_error("url", duplicate_store_error(same, reverse("portal:store_settings", args=[same.pk])))
    if not form.is_valid():
        return connect_start_page(request, oauth_form=form)
    return _start(
        request, platform=platform, url=form.cleaned_data["url"], name=form.cleaned_data["name"], store_id=None
    )


@portal_view("manage_stores")
@require_POST
def store_oauth_connect(request, pk):
    store = get_store_for_user(request, pk)
    flow = registry.oauth_of(store.platform)
    if flow is not None and not flow.configured():
        to = reverse("portal:store_settings", args=[store.pk]) + "#connection"
        return _not_configured(request, to, store.platform)
    if flow is None or not has_rest_road(store):
        messages.error(
            request, _("%(platform)s stores cannot connect with an OAuth app.") % {"platform": store.platform_name}
        )
        return redirect(reverse("portal:store_settings", args=[store.pk]) + "#connection")
    return _start(request, platform=store.platform, url=store.url, name=store.name, store_id=store.pk)


FLOW_LIFETIME = dt.timedelta(hours=1)


def _stale(flow: dict) -> bool:
    """A flow started more than FLOW_LIFETIME ago (a link found in the history later) is not honoured."""
    try:
        started = dt.datetime.fromisoformat(flow.get("started", ""))
    except (TypeError, ValueError):
        return True
    return dt.datetime.now(dt.UTC) - started > FLOW_LIFETIME


def _failed(request, flow: dict | None, message: str):
    """Back to where the flow started, saying why in plain words."""
    messages.error(request, message)
    if flow and flow.get("store_id"):
        return redirect(reverse("portal:store_settings", args=[flow["store_id"]]) + "#connection")
    return redirect("portal:connect_start")


@portal_view("manage_stores")
def oauth_callback(request):
    flow = request.session.get(FLOW_KEY)
    given = request.GET.get("flow", "")
    if (
        not flow
        or flow.get("tenant_id") != request.tenant.pk
        or not given
        or not secrets.compare_digest(str(flow.get("flow", "")), given)
        or _stale(flow)
    ):
        # Not the flow this browser started: nothing is exchanged or saved.
        return render(
            request,
            "portal/stores/oauth_failed.html",
            {
                "nav": "stores",
                "oauth_platform": oauth_platform_name((flow or {}).get("platform", "")),
                "reason": _(
                    "This answer from %(platform)s does not belong to a connection started "
                    "in this browser, so Outbound ignored it. Start again from the store "
                    "page or the connect wizard."
                )
                % {"platform": oauth_platform_name((flow or {}).get("platform", ""))},
            },
            status=400,
        )
    del request.session[FLOW_KEY]  # one use
    if request.GET.get("error"):
        words = request.GET.get("error_description") or request.GET.get("error_reason") or request.GET["error"]
        return _failed(
            request,
            flow,
            _("%(platform)s did not grant access: %(reason)s")
            % {"platform": oauth_platform_name(flow.get("platform", "")), "reason": words[:200]},
        )
    # A flow started before the platform was kept in it is the one platform with an app.
    platform = flow.get("platform") or (registry.oauth_platforms(configured=False) or [""])[0]
    oauth = registry.oauth_of(platform)
    grant = {name: request.GET.get(name, "") for name in (oauth.grant_params if oauth else ())}
    if oauth is None or not all(grant.values()):
        return _failed(
            request,
            flow,
            _("%(platform)s sent the browser back without a grant. Try again.")
            % {"platform": oauth_platform_name(platform)},
        )
    try:
        tokens = oauth.exchange_code(flow["url"], redirect_uri=flow["redirect_uri"], **grant)
    except StoreError as exc:
        return _failed(
            request,
            flow,
            _("Outbound could not finish connecting with %(platform)s: %(reason)s")
            % {"platform": oauth_platform_name(platform), "reason": exc.message},
        )
    if flow.get("store_id"):
        return _finish_existing(request, flow, tokens)
    # A new store: the wizard goes on to the status mapping with the tokens (encrypted) in the session.
    request.session[WIZARD_KEY] = {
        "tenant_id": request.tenant.pk,
        "platform": platform,
        "road": Road.REST,
        "rest_auth": RestAuth.OAUTH,
        "name": flow["name"],
        "url": flow["url"],
        "username": "",
        "endpoint_path": "",
        "secrets": {},
        "oauth": oauth_tokens_to_session(tokens),
    }
    messages.success(
        request,
        _("Connected with %(platform)s. Now map the store's order statuses.")
        % {"platform": oauth_platform_name(platform)},
    )
    return redirect("portal:connect_mapping")


def _finish_existing(request, flow: dict, tokens):
    store = get_store_for_user(request, flow["store_id"])
    was = (store.road, store.rest_auth)
    store_switch_road(store=store, road=Road.REST, rest_auth=RestAuth.OAUTH, oauth_tokens=tokens)
    if was == (Road.REST, RestAuth.OAUTH):
        messages.success(
            request,
            _("Reconnected with %(platform)s. Imports and shipment updates carry on.")
            % {"platform": store.platform_name},
        )
    else:
        messages.success(
            request,
            _(
                "%(name)s now reaches %(platform)s through its API (the OAuth app). Its "
                "orders and import history are kept; the next import carries on from where "
                "the last one stopped."
            )
            % {"name": store.name, "platform": store.platform_name},
        )
    return redirect(reverse("portal:store_settings", args=[store.pk]) + "#connection")
