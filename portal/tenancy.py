"""How a portal request finds its tenant, and the helpers that fetch tenant-owned objects.

The tenant lives in the session ("tenant_id") and is only ever honoured when the user holds a
membership in it; every object is then fetched through `for_tenant`, so an outsider gets 404 —
never a hint that the object exists. (healthchecks `_get_check_for_user`)
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from api.selectors import api_key_get
from orders import selectors as order_selectors
from shipments import selectors as shipment_selectors
from stores import selectors as store_selectors
from stores.models import ROLE_PERMISSIONS, Membership, Role, Store, Tenant

from .labels import label_for

SESSION_KEY = "tenant_id"


def get_tenant_and_membership(request) -> tuple[Tenant, Membership]:
    """The tenant the user works in now and their membership there; 404 when they have none."""
    memberships = store_selectors.memberships_for_user(request.user)
    if not memberships:
        raise Http404("You are not a member of any workspace.")
    wanted = request.session.get(SESSION_KEY)
    for membership in memberships:
        if membership.tenant_id == wanted:
            break
    else:
        membership = memberships[0]
        request.session[SESSION_KEY] = membership.tenant_id
    request.memberships = memberships
    return membership.tenant, membership


def roles_with(permission: str) -> list[str]:
    """The roles that hold `permission`, most powerful first."""
    return [role for role in Role.values if permission in ROLE_PERMISSIONS.get(role, frozenset())]


def forbidden(request, permission: str):
    """The portal's 403 page: in the layout, saying which role the page needs and who can grant it."""
    return render(
        request,
        "portal/forbidden.html",
        {
            "needed_roles": [label_for(role) for role in roles_with(permission)],
            "granters": [label_for(role) for role in roles_with("manage_users")],
        },
        status=403,
    )


def portal_view(permission: str = "view"):
    """Login required; sets request.tenant / request.membership; 403 without `permission`."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                tenant, membership = get_tenant_and_membership(request)
            except Http404:
                return render(request, "portal/no_workspace.html", status=404)
            request.tenant, request.membership = tenant, membership
            if not membership.can(permission):
                return forbidden(request, permission)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def get_store_for_user(request, pk) -> Store:
    return store_selectors.store_get(tenant=request.tenant, pk=pk)


def get_order_for_user(request, pk):
    return order_selectors.order_get(tenant=request.tenant, pk=pk)


def get_import_run_for_user(request, store: Store, pk):
    run = order_selectors.import_run_get(tenant=request.tenant, pk=pk)
    if run.store_id != store.pk:
        raise Http404("No such import run.")
    return run


def get_unmapped_status_for_user(request, store: Store, pk):
    return order_selectors.unmapped_status_get(tenant=request.tenant, store_id=store.pk, pk=pk)


def get_shipment_for_user(request, pk):
    return shipment_selectors.shipment_get(tenant=request.tenant, pk=pk)


def get_api_key_for_user(request, pk):
    return api_key_get(tenant=request.tenant, pk=pk)


def get_membership_for_user(request, pk) -> Membership:
    return store_selectors.membership_get(tenant=request.tenant, pk=pk)
