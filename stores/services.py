"""Writes for tenants and stores."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Membership, Platform, Role, StatusMapping, Store, StoreSettings, Tenant


@transaction.atomic
def store_create(
    *,
    tenant: Tenant,
    name: str,
    url: str,
    username: str,
    password: str,
    endpoint_path: str | None = None,
    import_interval_minutes: int = 15,
    mapping: dict[str, str] | None = None,
    platform: str = Platform.AMERICOMMERCE,
) -> Store:
    """A store with its status mapping (its platform's defaults unless given) and default settings. A
    platform without an endpoint-path convention (any cart) takes its URL as the endpoint: no path."""
    store = Store(tenant=tenant, name=name, url=url, username=username, import_interval_minutes=import_interval_minutes,
                  platform=platform)
    if store.connection.endpoint_path is None:
        store.endpoint_path = ""
    elif endpoint_path:
        store.endpoint_path = endpoint_path
    store.set_password(password)
    store.full_clean(exclude=["password_encrypted"])
    store.save()
    status_mapping = StatusMapping(store=store, **{**store.connection.default_mapping, **(mapping or {})})
    status_mapping.full_clean(exclude=["store"])
    status_mapping.save()
    StoreSettings.objects.create(store=store, company_name=name)
    return store


def store_set_password(*, store: Store, password: str) -> None:
    store.set_password(password)
    store.save(update_fields=["password_encrypted"])


@transaction.atomic
def tenant_create(*, name: str, slug: str, owner=None) -> Tenant:
    tenant = Tenant.objects.create(name=name, slug=slug)
    if owner is not None:
        Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    return tenant


def membership_add(*, tenant: Tenant, email: str, role: str, username: str | None = None) -> Membership:
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=username or email, defaults={"email": email})
    membership, _ = Membership.objects.update_or_create(tenant=tenant, user=user, defaults={"role": role})
    return membership
