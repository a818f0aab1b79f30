"""Writes the portal owns: inviting, re-roling and removing members."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.db import transaction

import audit
from audit.models import Action
from stores.models import Membership, Role, Tenant


@transaction.atomic
def member_invite(*, tenant: Tenant, email: str, role: str, request=None) -> Membership:
    """Add a person to a tenant; a new user gets a password-reset e-mail as the invitation."""
    User = get_user_model()
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(username=email[:150], email=email, password=secrets.token_urlsafe(32))
    if Membership.objects.for_tenant(tenant).filter(user=user).exists():
        raise ValidationError(f"{email} is already a member.")
    membership = Membership.objects.create(tenant=tenant, user=user, role=role)
    audit.record(Action.MEMBER_ADDED, tenant=tenant, target=_member(membership), after={"role": role})
    if invitation_pending(membership):
        _send_invitation(membership, request)
    return membership


def invitation_pending(membership: Membership) -> bool:
    """An invitation is pending until its person first signs in (accepting it signs them in)."""
    return membership.user.last_login is None


def _send_invitation(membership: Membership, request=None) -> None:
    # The link carries a password-reset token (one use, expires with PASSWORD_RESET_TIMEOUT) but leads
    # to the invitation page, which speaks of joining, not of a forgotten password.
    form = PasswordResetForm({"email": membership.user.email})
    if form.is_valid():
        transaction.on_commit(
            lambda: form.save(
                request=request,
                use_https=bool(request and request.is_secure()),
                subject_template_name="registration/invitation_subject.txt",
                email_template_name="registration/invitation_email.txt",
                extra_email_context={"tenant": membership.tenant},
            )
        )


def invitation_resend(*, membership: Membership, request=None) -> None:
    if not invitation_pending(membership):
        raise ValidationError(f"{membership.user.email} has already accepted the invitation.")
    _send_invitation(membership, request)


@transaction.atomic
def invitation_revoke(*, membership: Membership, by: Membership) -> None:
    """Withdraw a pending invitation: the membership goes, and so does an account made only for it
    (which also kills the link in the e-mail)."""
    if not invitation_pending(membership):
        raise ValidationError(f"{membership.user.email} has already accepted the invitation; remove them instead.")
    user = membership.user
    member_remove(membership=membership, by=by)
    if not user.memberships.exists() and not user.is_staff:
        user.delete()


def _owners_left(tenant: Tenant, without: Membership) -> int:
    return Membership.objects.for_tenant(tenant).filter(role=Role.OWNER).exclude(pk=without.pk).count()


def member_set_role(*, membership: Membership, role: str, by: Membership) -> Membership:
    if (membership.role == Role.OWNER or role == Role.OWNER) and not by.can("manage_owners"):
        raise ValidationError("Only an owner can make or change an owner.")
    if membership.role == Role.OWNER and role != Role.OWNER and not _owners_left(membership.tenant, membership):
        raise ValidationError("A workspace needs at least one owner.")
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    if before != role:
        audit.record(
            Action.MEMBER_ROLE,
            tenant=membership.tenant,
            target=_member(membership),
            before={"role": before},
            after={"role": role},
        )
    return membership


def member_remove(*, membership: Membership, by: Membership) -> None:
    if membership.role == Role.OWNER and not by.can("manage_owners"):
        raise ValidationError("Only an owner can remove an owner.")
    if membership.role == Role.OWNER and not _owners_left(membership.tenant, membership):
        raise ValidationError("A workspace needs at least one owner.")
    audit.record(
        Action.MEMBER_REMOVED, tenant=membership.tenant, target=_member(membership), before={"role": membership.role}
    )
    membership.delete()


def _member(membership: Membership) -> tuple:
    """The audit trail's name for a membership: the person (their e-mail, else username)."""
    user = membership.user
    return ("stores.membership", membership.pk, user.email or user.get_username())
