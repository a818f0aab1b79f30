"""Users and API keys, for owners and admins."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from stores.models import Membership

from ..forms import ApiKeyForm, InviteForm, RoleForm
from ..services import member_invite, member_remove, member_set_role
from ..tenancy import get_membership_for_user, portal_view


@portal_view("manage_users")
def users(request):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["role"] == "owner" and not request.membership.can("manage_owners"):
                raise ValidationError(_("Only an owner can invite an owner."))
            member_invite(tenant=request.tenant, email=form.cleaned_data["email"], role=form.cleaned_data["role"],
                          request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
            return redirect("portal:users")
    members = list(Membership.objects.for_tenant(request.tenant).select_related("user").order_by("user__username"))
    return render(request, "portal/team/users.html", {
        "form": form, "members": members, "role_form": RoleForm(), "nav": "users",
    })


@portal_view("manage_users")
@require_POST
def user_role(request, pk):
    membership = get_membership_for_user(request, pk)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            member_set_role(membership=membership, role=form.cleaned_data["role"], by=request.membership)
            messages.success(request, _("Role changed."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("portal:users")


@portal_view("manage_users")
@require_POST
def user_remove(request, pk):
    membership = get_membership_for_user(request, pk)
    try:
        member_remove(membership=membership, by=request.membership)
        messages.success(request, _("%(user)s was removed.") % {"user": membership.user.get_username()})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("portal:users")


@portal_view("manage_api_keys")
def api_keys(request):
    from api.models import ApiKey

    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        from api.services import api_key_create

        _key, new_key = api_key_create(tenant=request.tenant, name=form.cleaned_data["name"],
                                       read_only=form.cleaned_data["read_only"], user=request.user)
        form = ApiKeyForm()
    keys = list(ApiKey.objects.for_tenant(request.tenant).select_related("created_by"))
    return render(request, "portal/team/api_keys.html", {
        "form": form, "keys": keys, "new_key": new_key, "nav": "api_keys",
    })


@portal_view("manage_api_keys")
@require_POST
def api_key_revoke(request, pk):
    from api.models import ApiKey
    from api.services import api_key_revoke as revoke

    try:
        key = ApiKey.objects.for_tenant(request.tenant).get(pk=pk)
    except (ApiKey.DoesNotExist, ValueError, TypeError):
        raise Http404("No such key.")
    revoke(api_key=key)
    messages.success(request, _("Key “%(name)s” revoked.") % {"name": key.name})
    return redirect("portal:api_keys")
