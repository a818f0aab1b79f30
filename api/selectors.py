"""Reads for the API's own models."""

from __future__ import annotations

from django.http import Http404

from stores.models import Tenant

from .models import ApiKey


def api_key_list(*, tenant: Tenant):
    return ApiKey.objects.for_tenant(tenant).select_related("created_by")


def api_key_get(*, tenant: Tenant, pk) -> ApiKey:
    try:
        return ApiKey.objects.for_tenant(tenant).get(pk=pk)
    except (ApiKey.DoesNotExist, ValueError, TypeError):
        raise Http404("No such key.")
