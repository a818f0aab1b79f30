"""Reads for tenants and stores, always scoped to a tenant."""

from __future__ import annotations

from django.http import Http404

from .models import Membership, Store, Tenant


def memberships_for_user(user) -> list[Membership]:
    if not user.is_authenticated:
        return []
    return list(Membership.objects.filter(user=user, tenant__is_active=True).select_related("tenant"))


def membership_for(user, tenant: Tenant | int) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.for_tenant(tenant).filter(user=user).select_related("tenant").first()


def store_list(*, tenant: Tenant):
    return Store.objects.for_tenant(tenant).order_by("name")


def store_get(*, tenant: Tenant, pk: int) -> Store:
    """The tenant's store, or 404 — an outsider cannot tell a foreign store from a missing one."""
    try:
        return Store.objects.for_tenant(tenant).get(pk=pk)
    except (Store.DoesNotExist, ValueError, TypeError):
        raise Http404("No such store.")
