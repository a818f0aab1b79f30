"""Reads of the carriers layer: a tenant's carrier accounts, ship-from locations and package presets (each
through `for_tenant`), and what a store ships from."""

from __future__ import annotations

from django.http import Http404

from .models import CarrierAccount, PackagePreset, ShipFrom, StoreShipping


def _get(model, *, tenant, pk, what: str):
    """The tenant's row, or 404: an outsider cannot tell a foreign row from a missing one."""
    try:
        return model.objects.for_tenant(tenant).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No such {what}.")


def carrier_account_list(*, tenant):
    return CarrierAccount.objects.for_tenant(tenant).select_related("ship_from").order_by("carrier", "pk")


def carrier_account_get(*, tenant, pk) -> CarrierAccount:
    return _get(CarrierAccount, tenant=tenant, pk=pk, what="carrier account")


def label_accounts(*, tenant):
    """The active accounts that offer rates and buy labels."""
    return carrier_account_list(tenant=tenant).filter(is_active=True, use_for_labels=True)


def ship_from_list(*, tenant):
    return ShipFrom.objects.for_tenant(tenant).order_by("name", "pk")


def ship_from_get(*, tenant, pk) -> ShipFrom:
    return _get(ShipFrom, tenant=tenant, pk=pk, what="ship-from location")


def package_preset_list(*, tenant):
    return PackagePreset.objects.for_tenant(tenant).order_by("name", "pk")


def package_preset_get(*, tenant, pk) -> PackagePreset:
    return _get(PackagePreset, tenant=tenant, pk=pk, what="package preset")


def package_preset_default(*, tenant) -> PackagePreset | None:
    return PackagePreset.objects.for_tenant(tenant).filter(is_default=True).first()


def store_default_ship_from(*, store) -> ShipFrom | None:
    row = (
        StoreShipping.objects.for_tenant(store.tenant_id).filter(store_id=store.pk).select_related("default_ship_from")
    )
    found = row.first()
    return found.default_ship_from if found else None


def ship_from_for(*, store, account: CarrierAccount | None = None) -> ShipFrom | None:
    """Where a label of `store` ships from: the account's own location, else the store's default."""
    if account is not None and account.ship_from_id:
        return account.ship_from
    return store_default_ship_from(store=store)


def store_defaults(*, tenant) -> dict[int, ShipFrom]:
    """{store id: its default ship-from} of the tenant's stores that have one (one query)."""
    rows = StoreShipping.objects.for_tenant(tenant).filter(default_ship_from__isnull=False)
    return {row.store_id: row.default_ship_from for row in rows.select_related("default_ship_from")}
