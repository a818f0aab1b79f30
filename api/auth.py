"""Who is calling, for which tenant, and what they may do.

Two ways in: `Authorization: Bearer ob_live_…` (a tenant API key) or the portal's session (the
browsable API). Both end with `request.tenant` set; views read nothing else to scope their data.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions, permissions

from stores.selectors import memberships_for_user

from .services import api_key_authenticate


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if parts[0].lower() != self.keyword.lower():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send the key as: Authorization: Bearer <key>.")
        api_key = api_key_authenticate(parts[1])
        if api_key is None:
            raise exceptions.AuthenticationFailed("This API key is not valid or was revoked.")
        request.tenant = api_key.tenant
        request.api_key = api_key
        request.membership = None
        return (AnonymousUser(), api_key)

    def authenticate_header(self, request):
        return self.keyword


class TenantSessionAuthentication(authentication.SessionAuthentication):
    """The portal session: the tenant is the user's only one, or the one picked in the portal."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        memberships = memberships_for_user(user)
        chosen = request._request.session.get("tenant_id")
        membership = None
        if chosen is not None:
            membership = next((m for m in memberships if str(m.tenant_id) == str(chosen)), None)
        elif len(memberships) == 1:
            membership = memberships[0]
        request.membership = membership
        request.tenant = membership.tenant if membership else None
        request.api_key = None
        return result


def caller_label(request) -> str:
    from .services import api_key_label

    api_key = getattr(request, "api_key", None)
    if api_key is not None:
        return api_key_label(api_key)
    user = getattr(request, "user", None)
    return f"{user.get_username()} (API)" if user is not None and user.is_authenticated else "API"


def caller_user(request):
    user = getattr(request, "user", None)
    return user if user is not None and getattr(user, "is_authenticated", False) else None


class TenantPermission(permissions.BasePermission):
    """Reads need a tenant; writes need a key that is not read-only, or a role with the view's
    `write_permission` (members ship, admins and owners manage stores)."""

    message = "You may not do this."

    def has_permission(self, request, view) -> bool:
        tenant = getattr(request, "tenant", None)
        if tenant is None:
            if request.auth is None and not (request.user and request.user.is_authenticated):
                raise exceptions.NotAuthenticated()
            self.message = "Choose a tenant in the portal first (your account belongs to several, or none)."
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        api_key = getattr(request, "api_key", None)
        if api_key is not None:
            if api_key.read_only:
                self.message = "This API key is read-only."
                return False
            return True
        membership = getattr(request, "membership", None)
        needed = getattr(view, "write_permission", "ship")
        if membership is None or not membership.can(needed):
            self.message = "Your role does not allow this."
            return False
        return True
