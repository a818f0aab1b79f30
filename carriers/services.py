"""Writes of the carriers layer, the one write path of its rows: carrier accounts, ship-from locations (and
each store's default one), package presets. Views, the API, the admin and the demo call these."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from stores.models import Store, Tenant

from . import gateway
from .models import (
    PRESET_FIELDS,
    SHIP_FROM_FIELDS,
    CarrierAccount,
    CarrierCode,
    PackagePreset,
    ShipFrom,
    StoreShipping,
)

# --- carrier accounts ------------------------------------------------------------------------------


def _validate_server_url(url: str) -> str:
    if not url:
        return ""
    from stores.connector.urlguard import validate_store_url

    return validate_store_url(
        url, allow_private=settings.ALLOW_PRIVATE_STORE_HOSTS, allow_http=settings.ALLOW_HTTP_STORE_URLS
    )


def _check_ship_from(tenant_id: int, ship_from: ShipFrom | None) -> None:
    if ship_from is not None and ship_from.tenant_id != tenant_id:
        raise ValidationError({"ship_from": [_("No such ship-from location.")]})


def carrier_account_create(
    *,
    tenant: Tenant,
    carrier: str,
    client_id: str,
    client_secret: str,
    name: str = "",
    test_mode: bool = False,
    server_url: str = "",
    account_number: str = "",
    use_for_labels: bool = False,
    ship_from: ShipFrom | None = None,
) -> CarrierAccount:
    if carrier not in CarrierCode.values:
        raise ValidationError({"carrier": [f"Outbound works with {', '.join(CarrierCode.labels)} only."]})
    if CarrierAccount.objects.for_tenant(tenant).filter(carrier=carrier).exists():
        raise ValidationError(
            {"carrier": [f"This workspace already has a {CarrierCode(carrier).label} account; edit it instead."]}
        )
    if not (client_id or "").strip() or not (client_secret or "").strip():
        raise ValidationError("Both the client ID and the client secret are needed.")
    _check_ship_from(tenant.pk, ship_from)
    account = CarrierAccount(
        tenant=tenant,
        carrier=carrier,
        name=name.strip(),
        test_mode=test_mode,
        server_url=_validate_server_url(server_url),
        account_number=(account_number or "").strip(),
        use_for_labels=use_for_labels,
        ship_from=ship_from,
    )
    account.set_credentials(client_id=client_id.strip(), client_secret=client_secret.strip())
    account.full_clean(exclude=["tenant"], validate_constraints=False)
    account.save(force_insert=True)
    return account


_UNSET = object()


def carrier_account_update(
    *,
    account: CarrierAccount,
    name: str | None = None,
    client_id: str = "",
    client_secret: str = "",
    test_mode: bool | None = None,
    is_active: bool | None = None,
    server_url: str | None = None,
    account_number: str | None = None,
    use_for_labels: bool | None = None,
    ship_from=_UNSET,
) -> CarrierAccount:
    """Change an account. Blank credentials keep the saved ones (they are never shown to be edited); a new
    pair replaces both and clears the last test's outcome. `ship_from=None` clears the location."""
    if name is not None:
        account.name = name.strip()
    if test_mode is not None:
        account.test_mode = test_mode
    if is_active is not None:
        account.is_active = is_active
    if server_url is not None:
        account.server_url = _validate_server_url(server_url)
    if account_number is not None:
        account.account_number = account_number.strip()
    if use_for_labels is not None:
        account.use_for_labels = use_for_labels
    if ship_from is not _UNSET:
        _check_ship_from(account.tenant_id, ship_from)
        account.ship_from = ship_from
    if client_id.strip() or client_secret.strip():
        if not (client_id.strip() and client_secret.strip()):
            raise ValidationError("Give both the client ID and the client secret to replace the credentials.")
        account.set_credentials(client_id=client_id.strip(), client_secret=client_secret.strip())
        account.last_test_ok, account.last_test_outcome, account.last_test_message = None, "", ""
        account.last_tested_at = None
    account.updated_at = timezone.now()
    account.full_clean(exclude=["tenant"], validate_constraints=False)
    account.save()
    return account


def carrier_account_delete(*, account: CarrierAccount) -> None:
    """Forget an account and stop following its shipments (their stored events stay)."""
    account.delete()


def carrier_account_test(*, account: CarrierAccount) -> tuple[str, str]:
    """The "test credentials" action: (outcome, the carrier's words), both kept on the account."""
    outcome, detail = gateway.test_credentials(account)
    now = timezone.now()
    ok = outcome == gateway.TEST_OK
    CarrierAccount.objects.filter(pk=account.pk).update(
        last_test_ok=ok, last_test_outcome=outcome, last_test_message=detail[:500], last_tested_at=now
    )
    account.last_test_ok, account.last_test_outcome, account.last_test_message = ok, outcome, detail[:500]
    account.last_tested_at = now
    return outcome, detail


# --- ship-from locations -----------------------------------------------------------------------------


def _tidy(field: str, value):
    if isinstance(value, str):
        value = value.strip()
        if field in ("country", "state") and len(value) <= 3:
            value = value.upper()
    return value


def _unique_name(model, tenant_id: int, name: str, exclude_pk=None) -> None:
    rows = model.objects.filter(tenant_id=tenant_id, name__iexact=name)
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    if rows.exists():
        raise ValidationError({"name": [_("You already have one named “%(name)s”.") % {"name": name}]})


def ship_from_create(*, tenant: Tenant, **fields) -> ShipFrom:
    location = ShipFrom(tenant=tenant, **{k: _tidy(k, v) for k, v in fields.items() if k in SHIP_FROM_FIELDS})
    location.full_clean(exclude=["tenant"], validate_constraints=False)
    _unique_name(ShipFrom, tenant.pk, location.name)
    location.save(force_insert=True)
    return location


def ship_from_update(*, ship_from: ShipFrom, **fields) -> ShipFrom:
    for key, value in fields.items():
        if key in SHIP_FROM_FIELDS and value is not None:
            setattr(ship_from, key, _tidy(key, value))
    ship_from.updated_at = timezone.now()
    ship_from.full_clean(exclude=["tenant"], validate_constraints=False)
    _unique_name(ShipFrom, ship_from.tenant_id, ship_from.name, exclude_pk=ship_from.pk)
    ship_from.save()
    return ship_from


def ship_from_delete(*, ship_from: ShipFrom) -> None:
    """Delete a location: the accounts and stores that shipped from it keep no ship-from (SET_NULL)."""
    ship_from.delete()


def store_default_ship_from_set(*, store: Store, ship_from: ShipFrom | None) -> StoreShipping:
    """Set (or clear, with None) the store's default ship-from: one row per store, made on first write."""
    _check_ship_from(store.tenant_id, ship_from)
    row, _created = StoreShipping.objects.update_or_create(
        store=store, defaults={"default_ship_from": ship_from, "updated_at": timezone.now()}
    )
    return row


# --- package presets ---------------------------------------------------------------------------------


def _check_preset(preset: PackagePreset) -> None:
    errors = {}
    for name in ("length", "width", "height"):
        value = getattr(preset, name)
        if value is not None and Decimal(value) <= 0:
            errors[name] = [_("Give a size above zero.")]
    if preset.empty_weight is not None and Decimal(preset.empty_weight) < 0:
        errors["empty_weight"] = [_("A weight cannot be below zero.")]
    if errors:
        raise ValidationError(errors)
    preset.full_clean(exclude=["tenant"], validate_constraints=False)
    _unique_name(PackagePreset, preset.tenant_id, preset.name, exclude_pk=preset.pk)


def _save_preset(preset: PackagePreset, *, force_insert: bool = False) -> PackagePreset:
    with transaction.atomic():
        if preset.is_default:
            # One default per tenant: the one saved now takes the flag from the others.
            PackagePreset.objects.for_tenant(preset.tenant_id).filter(is_default=True).exclude(pk=preset.pk).update(
                is_default=False
            )
        preset.save(force_insert=force_insert)
    return preset


def package_preset_create(*, tenant: Tenant, **fields) -> PackagePreset:
    preset = PackagePreset(tenant=tenant, **{k: _tidy(k, v) for k, v in fields.items() if k in PRESET_FIELDS})
    _check_preset(preset)
    return _save_preset(preset, force_insert=True)


def package_preset_update(*, preset: PackagePreset, **fields) -> PackagePreset:
    for key, value in fields.items():
        if key in PRESET_FIELDS and value is not None:
            setattr(preset, key, _tidy(key, value))
    preset.updated_at = timezone.now()
    _check_preset(preset)
    return _save_preset(preset)


def package_preset_delete(*, preset: PackagePreset) -> None:
    """Delete a preset: products that named it as their default keep none (SET_NULL)."""
    preset.delete()
