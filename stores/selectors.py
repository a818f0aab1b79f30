"""Reads for tenants and stores, always scoped to a tenant."""

from __future__ import annotations

from django.db.models import F
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


# --- operators (the admin works across tenants) -------------------------------------------------------

def operator_stores_needing_attention():
    return (Store.objects.filter(needs_attention=True).select_related("tenant")
            .order_by("-consecutive_failures", "name"))


def operator_import_lag(*, now, limit: int = 50) -> list[dict]:
    """The active stores whose orders are oldest, most behind first: how far the watermark (the end of
    the last fully imported window) trails now, against the store's own interval."""
    stores = (Store.objects.filter(is_active=True, tenant__is_active=True).select_related("tenant")
              .order_by(F("import_watermark").asc(nulls_first=True), "name")[:limit])
    rows = []
    for store in stores:
        lag = (now - store.import_watermark) if store.import_watermark else None
        allowed = store.import_interval_minutes * 60 * 3 + 300
        rows.append({"store": store, "lag": lag,
                     "behind": lag is None or lag.total_seconds() > allowed})
    return rows
