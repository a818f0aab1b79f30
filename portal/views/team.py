"""Users and API keys, for owners and admins."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from api.selectors import api_key_list
from stores.selectors import membership_list

from ..forms import ApiKeyForm, InviteForm, RoleForm
from ..services import (
    invitation_pending,
    invitation_resend,
    invitation_revoke,
    member_invite,
    member_remove,
    member_set_role,
)
from ..tenancy import get_api_key_for_user, get_membership_for_user, portal_view
from ..twofactor.services import two_factor_required


@portal_view("manage_users")
def users(request):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["role"] == "owner" and not request.membership.can("manage_owners"):
                raise ValidationError(_("Only an owner can invite an owner."))
            member_invite(
                tenant=request.tenant, email=form.cleaned_data["email"], role=form.cleaned_data["role"], request=request
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
            return redirect("portal:users")
    members = list(membership_list(tenant=request.tenant))
    for member in members:
        member.pending = invitation_pending(member)
    context = {"form": form, "members": members, "role_form": RoleForm(), "nav": "users"}
    context["two_factor_required"] = two_factor_required(request.tenant)
    return render(request, "portal/team/users.html", context)


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


def _member_action(request, pk, act, done: str):
    """One action on one member of this tenant; `done` is the success message (%(user)s, %(email)s)."""
    membership = get_membership_for_user(request, pk)
    try:
        act(membership)
        messages.success(request, done % {"user": membership.user.get_username(), "email": membership.user.email})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("portal:users")


@portal_view("manage_users")
@require_POST
def user_remove(request, pk):
    return _member_action(
        request, pk, lambda m: member_remove(membership=m, by=request.membership), _("%(user)s was removed.")
    )


@portal_view("manage_users")
@require_POST
def invitation_resend_view(request, pk):
    return _member_action(
        request,
        pk,
        lambda m: invitation_resend(membership=m, request=request),
        _("Invitation sent again to %(email)s."),
    )


@portal_view("manage_users")
@require_POST
def invitation_revoke_view(request, pk):
    return _member_action(
        request,
        pk,
        lambda m: invitation_revoke(membership=m, by=request.membership),
        _("Invitation to %(email)s revoked."),
    )


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """The invitation link: the password-reset machinery (one-use token), in the words of joining;
    accepting signs the person in and lands them on their dashboard."""

    template_name = "registration/invitation_accept.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("portal:dashboard")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Welcome to Outbound."))
        return response

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["new_password1"].label = _("Choose a password")
        form.fields["new_password2"].label = _("The same password again")
        return form

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.user is not None:
            context["workspaces"] = [m.tenant.name for m in self.user.memberships.select_related("tenant")]
            context["invited_username"] = self.user.get_username()
        return context


@portal_view("manage_api_keys")
def api_keys(request):
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        from api.services import api_key_create

        _key, new_key = api_key_create(
            tenant=request.tenant,
            name=form.cleaned_data["name"],
            read_only=form.cleaned_data["read_only"],
            user=request.user,
        )
        form = ApiKeyForm()
    keys = list(api_key_list(tenant=request.tenant))
    return render(
        request, "portal/team/api_keys.html", {"form": form, "keys": keys, "new_key": new_key, "nav": "api_keys"}
    )


@portal_view("manage_api_keys")
@require_POST
def api_key_revoke(request, pk):
    from api.services import api_key_revoke as revoke

    key = get_api_key_for_user(request, pk)
    revoke(api_key=key)
    messages.success(request, _("Key “%(name)s” revoked.") % {"name": key.name})
    return redirect("portal:api_keys")
