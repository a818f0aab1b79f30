"""Reads of the pack station: orders by the number on their slip, what an order has to pack and the codes
that tick it, whether a code is known in a store, the scans of an order, the day's counts per packer.

Every lookup is keyed (docs/pack-station.md#speed): an order by (tenant, number) or (tenant, UPPER(number))
(orders' indexes), a product by (store, sku), a barcode by (store, code), an order's scans by (order, time).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from orders.actions import order_actions
from orders.models import Order, OrderLine, Product
from shipments.selectors import shipped_quantities
from stores.models import Role, Tenant

from .models import PackProfile, PackSession, ProductBarcode, ScanEvent, SessionState

# How many orders of one number a slip scan reads: more than one is told, never guessed.
MAX_SAME_NUMBER = 5


def normalize_code(code: str) -> str:
    """What a scanner or a keyboard typed, as it is compared: no surrounding spaces, upper case."""
    return "".join(ch for ch in (code or "") if ch.isprintable()).strip().upper()


def orders_by_number(*, tenant: Tenant | int, code: str) -> list[Order]:
    """The tenant's orders numbered `code` (as typed; else case-insensitively), at most MAX_SAME_NUMBER."""
    raw = "".join(ch for ch in (code or "") if ch.isprintable()).strip()
    if not raw:
        return []
    orders = Order.objects.for_tenant(tenant).select_related("store")
    found = list(orders.filter(number=raw)[:MAX_SAME_NUMBER])
    if not found:
        found = list(orders.filter(number__iexact=raw)[:MAX_SAME_NUMBER])
    return found


def lines_to_pack(order: Order) -> tuple[list[tuple[OrderLine, int]], object]:
    """The order's shippable lines with the units still to ship, and what the order allows (orders.actions)."""
    lines = list(order.lines.all())
    actions = order_actions(order, lines=lines, shipped=shipped_quantities(order))
    left = actions.left or {}
    return [(line, left[line.pk]) for line in lines if left.get(line.pk)], actions


def codes_for(order: Order, lines: list[OrderLine]) -> dict[str, int]:
    """Upper-case code -> line id: each line's SKU and the store's UPC, and its product's barcodes."""
    codes: dict[str, int] = {}
    by_sku: dict[str, int] = {}
    for line in lines:
        for code in (line.sku, line.upc):
            if normalize_code(code):
                codes.setdefault(normalize_code(code), line.pk)
        if line.sku:
            by_sku.setdefault(line.sku, line.pk)
    if by_sku:
        rows = ProductBarcode.objects.for_tenant(order.tenant_id).filter(
            store_id=order.store_id, product__store_id=order.store_id, product__sku__in=list(by_sku)
        )
        for code, sku in rows.values_list("code", "product__sku"):
            codes.setdefault(normalize_code(code), by_sku[sku])
    return codes


def code_known(*, store_id: int, tenant_id: int, code: str) -> bool:
    """Whether `code` names a product of the store: a barcode added to one, or its SKU."""
    if ProductBarcode.objects.for_tenant(tenant_id).filter(store_id=store_id, code=code).exists():
        return True
    return Product.objects.filter(store_id=store_id, store__tenant_id=tenant_id, sku__in={code, code.lower()}).exists()


def barcodes_of(*, tenant: Tenant | int, product_ids) -> dict[int, list[ProductBarcode]]:
    found: dict[int, list[ProductBarcode]] = {}
    for barcode in ProductBarcode.objects.for_tenant(tenant).filter(product_id__in=list(product_ids)):
        found.setdefault(barcode.product_id, []).append(barcode)
    return found


def products_page(*, tenant: Tenant | int, query: str = "", after: tuple[str, int] | None = None, limit: int = 50):
    """The tenant's products by SKU, a page at a time (keyset on (sku, id): `after` is the last row's), those
    whose SKU or name holds `query`, or with `query` as a barcode, when given. Answers limit + 1 rows at most
    (one more says there is a next page)."""
    products = Product.objects.for_tenant(tenant).select_related("store").order_by("sku", "id")
    if query:
        with_code = ProductBarcode.objects.for_tenant(tenant).filter(code=normalize_code(query))
        products = products.filter(
            Q(sku__icontains=query) | Q(name__icontains=query) | Q(pk__in=with_code.values("product_id"))
        )
    if after is not None:
        products = products.filter(Q(sku__gt=after[0]) | Q(sku=after[0], pk__gt=after[1]))
    return list(products[: limit + 1])


def product_get(*, tenant: Tenant | int, pk) -> Product:
    return Product.objects.for_tenant(tenant).select_related("store").get(pk=pk)


def barcode_get(*, tenant: Tenant | int, pk) -> ProductBarcode:
    return ProductBarcode.objects.for_tenant(tenant).select_related("product").get(pk=pk)


def session_get(*, tenant: Tenant | int, pk) -> PackSession:
    return PackSession.objects.for_tenant(tenant).select_related("order", "order__store").get(pk=pk)


def profile_of(*, tenant: Tenant | int, user) -> PackProfile | None:
    tenant_id = tenant.pk if isinstance(tenant, Tenant) else tenant
    return PackProfile.objects.for_tenant(tenant_id).filter(user=user).first()


def label_format_of(*, tenant, user) -> str:
    profile = profile_of(tenant=tenant, user=user)
    return profile.label_format if profile is not None else "pdf"


# Owners and admins may skip verification by their role; anyone else by a grant (PackProfile.may_skip).
SKIP_ROLES = (Role.OWNER, Role.ADMIN)


def may_skip(membership, profile: PackProfile | None = None, *, look_up: bool = True) -> bool:
    if membership.role in SKIP_ROLES:
        return True
    if profile is None and look_up:
        profile = profile_of(tenant=membership.tenant_id, user=membership.user_id)
    return bool(profile and profile.may_skip)


def profiles_by_user(*, tenant: Tenant | int) -> dict[int, PackProfile]:
    return {p.user_id: p for p in PackProfile.objects.for_tenant(tenant)}


def scans_of(*, tenant: Tenant | int, order_id: int):
    """The order's scans, oldest first (the order's history shows them)."""
    return ScanEvent.objects.for_tenant(tenant).filter(order_id=order_id).order_by("created_at", "id")


def day_counts(*, tenant: Tenant | int, day: dt.date | None = None) -> list[dict]:
    """Orders packed (label bought) per packer on `day` (today, in the site's time zone), most first, with
    their verified and skipped counts."""
    day = day or timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    rows = (
        PackSession.objects.for_tenant(tenant)
        .filter(finished_at__gte=start, finished_at__lt=start + dt.timedelta(days=1), state=SessionState.LABELLED)
        .values("user_label")
        .annotate(orders=Count("id"), skipped=Count("id", filter=Q(skipped=True)))
        .order_by("-orders", "user_label")
    )
    return [
        {
            "user": r["user_label"],
            "orders": r["orders"],
            "skipped": r["skipped"],
            "verified": r["orders"] - r["skipped"],
        }
        for r in rows
    ]
