"""Small factories for the tenant/store/order graph. Plain functions, no magic."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model

from stores.models import Membership, Role, Tenant
from stores.services import store_create

_seq = itertools.count(1)


def make_user(username: str | None = None, *, password: str = "pw-for-tests-1", **extra):
    User = get_user_model()
    username = username or f"user{next(_seq)}"
    user = User.objects.create_user(username=username, email=f"{username}@example.com", password=password, **extra)
    return user


def make_tenant(name: str | None = None) -> Tenant:
    n = next(_seq)
    name = name or f"Tenant {n}"
    return Tenant.objects.create(name=name, slug=f"t{n}-{name.lower().replace(' ', '-')}"[:60])


def make_member(tenant: Tenant, user, role: str = Role.MEMBER) -> Membership:
    return Membership.objects.create(tenant=tenant, user=user, role=role)


def make_store(tenant: Tenant, *, name: str | None = None, url: str = "https://shop.example.com",
               username: str = "shipstation-admin", password: str = "s3cret-store-pass", **kwargs):
    return store_create(
        tenant=tenant, name=name or f"Store {next(_seq)}", url=url, username=username, password=password, **kwargs
    )
