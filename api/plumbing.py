"""Pagination and throttling, kept apart from views so DRF settings can import them early."""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination
from rest_framework.throttling import SimpleRateThrottle

# --- pagination -------------------------------------------------------------------------------------


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


# --- throttling -------------------------------------------------------------------------------------


class ApiKeyRateThrottle(SimpleRateThrottle):
    """One bucket per API key (or per user for session calls)."""

    scope = "api_key"

    def get_cache_key(self, request, view):
        api_key = getattr(request, "api_key", None)
        if api_key is not None:
            ident = f"key{api_key.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user{request.user.pk}"
        else:
            ident = f"ip{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
