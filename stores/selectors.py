"""Reads for tenants and stores, always scoped to a tenant."""

from __future__ import annotations

from django.db.models import F
from django.http import Http404

from .models import Membership, StatusMapping, Store, Storefront, StoreSettings, Tenant


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


def store_site_key(*, url: str, platform: str) -> str:
    """What makes two store URLs the same store: the host (lower case, without "www." or a default port) and
    the path, whatever the scheme or a trailing slash. A platform whose URL is the endpoint itself (any cart:
    no endpoint-path convention) keeps its query too, since one cart may serve several stores at one path."""
    from urllib.parse import urlsplit

    from .connector import registry

    parts = urlsplit((url or "").strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    try:
        port = parts.port
    except ValueError:
        port = None
    where = host if port in (None, default) else f"{host}:{port}"
    key = where + parts.path.rstrip("/")
    try:
        whole_url = registry.connection_type(registry.connection_key(platform, "xml")).endpoint_path is None
    except registry.UnknownConnectionType:
        whole_url = False
    return f"{key}?{parts.query}" if whole_url and parts.query else key


def store_same_site(*, tenant: Tenant, url: str, platform: str, exclude_pk: int | None = None) -> Store | None:
    """The tenant's store already connected to the store at `url` (by either road, any account: one site
    exports the same orders whoever asks), disconnected ones included; None when there is none. Connecting
    a store twice imports every order twice."""
    wanted = store_site_key(url=url, platform=platform)
    for store in Store.objects.for_tenant(tenant).filter(platform=platform).exclude(pk=exclude_pk).order_by("pk"):
        if store_site_key(url=store.url, platform=store.platform) == wanted:
            return store
    return None


def storefront_list(*, tenant: Tenant):
    return Storefront.objects.for_tenant(tenant).select_related("store").order_by("store__name", "name")


def status_mapping_get(*, store: Store) -> StatusMapping:
    """The store's status mapping; an unsaved default one for a store that has none yet (saving goes
    through stores.services.status_mapping_set)."""
    return StatusMapping.objects.filter(store=store).first() or StatusMapping(store=store)


def store_settings_get(*, store: Store) -> StoreSettings:
    """The store's settings; unsaved defaults (its name as the company name) for a store that has none yet."""
    return StoreSettings.objects.filter(store=store).first() or StoreSettings(store=store, company_name=store.name)


def membership_list(*, tenant: Tenant):
    return Membership.objects.for_tenant(tenant).select_related("user").order_by("user__username")


def membership_get(*, tenant: Tenant, pk) -> Membership:
    try:
        return Membership.objects.for_tenant(tenant).select_related("user").get(pk=pk)
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise Http404("No such member.")


# --- operators (the admin works across tenants) -------------------------------------------------------


def operator_stores_needing_attention():
    # The import engine's bookkeeping is the orders app's row (store.import_state), read by its relation's name.
    return (
        Store.objects.filter(import_state__needs_attention=True)
        .select_related("tenant", "import_state")
        .order_by("-import_state__consecutive_failures", "name")
    )


def operator_import_lag(*, now, limit: int = 50) -> list[dict]:
    """The active stores whose orders are oldest, most behind first: how far the watermark (the end of
    the last fully imported window) trails now, against the store's own interval."""
    stores = (
        Store.objects.filter(is_active=True, tenant__is_active=True)
        .select_related("tenant", "import_state")
        .order_by(F("import_state__import_watermark").asc(nulls_first=True), "name")[:limit]
    )
    rows = []
    for store in stores:
        watermark = store.import_state.import_watermark if hasattr(store, "import_state") else None
        lag = (now - watermark) if watermark else None
        allowed = store.import_interval_minutes * 60 * 3 + 300
        rows.append({"store": store, "lag": lag, "behind": lag is None or lag.total_seconds() > allowed})
    return rows
