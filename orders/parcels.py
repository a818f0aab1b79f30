"""An order read into what a rate needs (carriers.parcels.parcel_for): its shippable lines with their
weights, the package, the ship-from and the imported ship-to. Lives in orders because orders sits above
the carriers layer (carriers never reads an order).

Which package: the one asked for (`package`), else the default package of the first shippable line's
product that names one (lines in their order), else the tenant's default preset. Which weight: the line's
own unit weight as imported, else its product's weight (set in Outbound or imported). Which sender: the
carrier account's ship-from, else the store's default.
"""

from __future__ import annotations

from decimal import Decimal

from carriers.models import CarrierAccount, PackagePreset
from carriers.parcels import Package, ParcelLine, ParcelOutcome, parcel_for, party_of_address, party_of_ship_from
from carriers.selectors import package_preset_default, ship_from_for
from stores.models import StoreSettings, WeightUnit

from .models import Order, OrderLine, Product, ProductKind


def _option_weight(line: OrderLine) -> Decimal:
    total = Decimal(0)
    for option in line.options or []:
        try:
            total += Decimal(str(option.get("weight") or 0))
        except (ArithmeticError, AttributeError, ValueError):
            continue
    return total


def _shippable(line: OrderLine) -> bool:
    return line.is_shippable and not line.is_adjustment and line.product_kind == ProductKind.PHYSICAL


def package_of(preset: PackagePreset) -> Package:
    return Package(
        name=preset.name,
        length=preset.length,
        width=preset.width,
        height=preset.height,
        dimension_unit=preset.dimension_unit,
        empty_weight=preset.empty_weight,
        weight_unit=preset.weight_unit,
    )


def order_parcel(
    order: Order, *, package: PackagePreset | None = None, account: CarrierAccount | None = None
) -> ParcelOutcome:
    """The parcel of `order` or what is missing, in words (a handful of queries)."""
    lines = [line for line in OrderLine.objects.for_tenant(order.tenant_id).filter(order=order) if _shippable(line)]
    skus = {line.sku for line in lines if line.sku}
    products = {
        p.sku: p
        for p in Product.objects.for_tenant(order.tenant_id)
        .filter(store_id=order.store_id, sku__in=skus)
        .select_related("default_package")
    }
    parcel_lines = []
    for line in lines:
        product = products.get(line.sku)
        weight, unit = line.unit_weight, line.weight_unit
        if weight is None and product is not None and product.weight is not None:
            weight, unit = product.weight, product.weight_unit
        parcel_lines.append(
            ParcelLine(
                sku=line.sku,
                name=line.name,
                quantity=line.quantity,
                unit_weight=weight,
                weight_unit=unit,
                option_weight=_option_weight(line),
            )
        )
    if package is None:
        package = next(
            (
                products[line.sku].default_package
                for line in lines
                if line.sku in products and products[line.sku].default_package_id
            ),
            None,
        ) or package_preset_default(tenant=order.tenant_id)
    store_settings = StoreSettings.objects.filter(store_id=order.store_id).first()
    default_unit = store_settings.default_weight_unit if store_settings else WeightUnit.POUNDS
    ship_from = ship_from_for(store=order.store, account=account)
    return parcel_for(
        reference=order.number,
        lines=parcel_lines,
        default_unit=default_unit,
        package=package_of(package) if package else None,
        ship_from=party_of_ship_from(ship_from) if ship_from else None,
        ship_to=party_of_address(order.ship_to) if order.ship_to else None,
    )
