"""Two-factor sign-in (django-otp): a TOTP device per user (an authenticator app) and a static device holding
ten one-use recovery codes; a tenant's rule that its team must use it. Every write of a device is here
(verifying a code writes too: its time step, its throttle), and each step people take is in the audit trail."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

import audit
from audit.models import Action
from stores.models import Membership, Tenant

from ..models import TwoFactorPolicy

RECOVERY_CODES = 10
DEVICE_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


@dataclass(frozen=True)
class TwoFactorState:
    enrolled: bool  # a confirmed authenticator
    required: bool  # a tenant of theirs requires it


def two_factor_state(user) -> TwoFactorState:
    """Whether the user has a confirmed authenticator and whether a tenant of theirs requires one: one query."""
    row = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            enrolled=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            required=Exists(
                TwoFactorPolicy.objects.filter(
                    required=True,
                    tenant__in=Membership.objects.filter(user=OuterRef(OuterRef("pk"))).values("tenant"),
                )
            ),
        )
        .values("enrolled", "required")
        .first()
    )
    return TwoFactorState(**row) if row else TwoFactorState(False, False)


def two_factor_required(tenant: Tenant) -> bool:
    return TwoFactorPolicy.objects.filter(tenant=tenant, required=True).exists()


@transaction.atomic
def two_factor_require(*, tenant: Tenant, required: bool, user=None) -> TwoFactorPolicy:
    """An owner requires (or stops requiring) two-factor sign-in for the tenant's team."""
    policy, _ = TwoFactorPolicy.objects.select_for_update().get_or_create(tenant=tenant)
    if policy.required != required:
        before = policy.required
        policy.required, policy.updated_at = required, timezone.now()
        policy.save(update_fields=["required", "updated_at"])
        audit.record(
            Action.TWO_FACTOR_REQUIRED,
            tenant=tenant,
            actor=user,
            target=("stores.tenant", tenant.pk, tenant.name),
            before={"required": before},
            after={"required": required},
        )
    return policy


def totp_device_pending(*, user) -> TOTPDevice:
    """The authenticator being set up: the user's unconfirmed device, made on first visit (its key stays the
    same until confirmed, so a reload does not invalidate the code the app already shows)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


@transaction.atomic
def totp_confirm(*, request, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the authenticator with a code it shows: the device counts from now, this session has passed its
    second factor, and ten new recovery codes replace any old ones (returned, to be shown once). None: the code
    is wrong (nothing changes)."""
    if device.confirmed or device.user_id != request.user.pk or not device.verify_token(_digits(token)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()  # one authenticator at a time
    otp_login(request, device)
    codes = recovery_codes_make(user=request.user)
    audit.record(Action.TWO_FACTOR_ENABLED, tenant=None, target=_user_target(request.user))
    return codes


def recovery_codes_make(*, user) -> list[str]:
    """Ten new one-use recovery codes; the old ones stop working. Kept as django-otp keeps them (a static
    device's tokens), returned once to be shown."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def recovery_codes_left(*, user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def second_factor_verify(*, request, token: str):
    """Sign-in's second step: a code of the user's authenticator, or one of their recovery codes (used up). On
    success this session has passed its second factor; returns the device, or None (each device throttles its
    failures: django-otp's growing delay)."""
    user = request.user
    digits = _digits(token)
    if digits.isdigit() and len(digits) == 6:
        for device in TOTPDevice.objects.devices_for_user(user, confirmed=True):
            if device.verify_token(digits):
                otp_login(request, device)
                return device
    code = "".join(token.split()).lower()
    for device in StaticDevice.objects.devices_for_user(user, confirmed=True):
        if code and device.verify_token(code):
            otp_login(request, device)
            audit.record(
                Action.TWO_FACTOR_RECOVERY,
                tenant=None,
                target=_user_target(user),
                after={"codes_left": device.token_set.count()},
            )
            return device
    return None


def _digits(token: str) -> str:
    return "".join((token or "").split()).replace("-", "")


def _user_target(user) -> tuple:
    return ("auth.user", user.pk, user.get_username())
