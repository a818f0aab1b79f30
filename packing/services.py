"""Writes of the pack station (docs/pack-station.md): opening an order from its slip, ticking one unit per
item scan, skipping verification (a permission), buying the label once every line is packed, the packers'
station settings and the products' barcodes.

pack_open (slip or typed number)
  ├─ no such order / several / cannot ship / already labelled  → PackRefused (said loudly, nothing opened)
  └─ a PackSession: the units to pack per line and the codes that tick each (SKU, store UPC, barcodes)
pack_scan (item)            → ok (one unit ticked) | wrong_item | extra_unit | unknown (nothing ticked)
pack_skip                   → allowed (owner/admin, or granted): the session is complete, logged with the user
pack_label (complete only)  → labels.services.label_buy with the order's shipping preset, an idempotency key
                              per session and attempt: a resubmitted request never buys a second label; an
                              uncertain purchase is shown to a person, never bought again automatically

Every scan, refused or not, is a ScanEvent (user, time, code, result) kept for the order.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from labels.models import LabelFormat, PurchaseState
from labels.selectors import purchases_of
from labels.services import LabelInProgress, label_buy
from orders.models import Order, Product

from . import selectors
from .models import CODE_MAX_LENGTH, PackProfile, PackSession, ProductBarcode, ScanEvent, ScanResult, SessionState


class PackRefused(Exception):
    """A scan or a step the station refuses: `message` for the packer (in their language), `result` the
    ScanResult recorded (if any), `status` the HTTP status the endpoint answers with."""

    def __init__(self, message: str, *, result: str = "", status: int = 409, data: dict | None = None):
        super().__init__(message)
        self.message = message
        self.result = result
        self.status = status
        self.data = data or {}


def _who(user) -> str:
    return user.get_username() if user is not None else ""


def _event(*, order: Order, session=None, user, code: str, result: str, line_id=None, detail: str = ""):
    return ScanEvent.objects.create(
        tenant_id=order.tenant_id,
        order=order,
        session=session,
        user=user,
        user_label=_who(user),
        code=(code or "")[:CODE_MAX_LENGTH],
        result=result,
        line_id=line_id,
        detail=detail[:300],
    )


# --- a slip ------------------------------------------------------------------------------------------------


def pack_open(*, tenant, code: str, user) -> PackSession:
    """Open the order whose slip was scanned (or number typed): a new session with what is left to pack.
    The user's other open sessions are left (abandoned): one order on the bench at a time."""
    typed = (code or "").strip()
    if not typed:
        raise PackRefused(gettext("Scan a packing slip or type an order number."), status=400)
    found = selectors.orders_by_number(tenant=tenant, code=typed)
    if not found:
        raise PackRefused(gettext("No order numbered “%(code)s”.") % {"code": typed[:60]}, status=404)
    if len(found) > 1:
        raise PackRefused(
            gettext("Several orders are numbered “%(code)s”: open the one to pack from its page.") % {"code": typed},
            data={"choices": [{"id": o.pk, "number": o.number, "store": o.store.name} for o in found]},
        )
    order = found[0]
    lines, actions = selectors.lines_to_pack(order)
    refusal = actions.ship_why_not
    if not refusal:
        live = purchases_of(order=order).filter(state__in=(PurchaseState.BOUGHT, PurchaseState.UNCERTAIN))
        live = live.first()
        if live is not None:
            refusal = (
                gettext("Order %(number)s already has a label (%(tracking)s).")
                % {"number": order.number, "tracking": live.tracking_number}
                if live.state == PurchaseState.BOUGHT
                else gettext("Order %(number)s has an uncertain label purchase: see the order's page.")
                % {"number": order.number}
            )
    if refusal:
        _event(order=order, user=user, code=typed, result=ScanResult.SLIP_REFUSED, detail=refusal)
        raise PackRefused(refusal, result=ScanResult.SLIP_REFUSED, data={"order": order.pk})
    now = timezone.now()
    with transaction.atomic():
        PackSession.objects.for_tenant(order.tenant_id).filter(user=user, state=SessionState.OPEN).update(
            state=SessionState.ABANDONED, finished_at=now
        )
        session = PackSession.objects.create(
            tenant_id=order.tenant_id,
            order=order,
            user=user,
            user_label=_who(user),
            to_pack={str(line.pk): units for line, units in lines},
            packed={},
            codes={code: str(pk) for code, pk in selectors.codes_for(order, [line for line, _ in lines]).items()},
            started_at=now,
        )
        _event(order=order, session=session, user=user, code=typed, result=ScanResult.SLIP)
    session.order = order
    session.lines = lines  # for the page: the lines as read
    return session


# --- an item -----------------------------------------------------------------------------------------------

SCAN_WORDS = {
    ScanResult.WRONG_ITEM: lambda code: gettext("Wrong item: “%(code)s” is not on this order.") % {"code": code},
    ScanResult.EXTRA_UNIT: lambda code: (
        gettext("Extra unit: every “%(code)s” of this order is packed already.") % {"code": code}
    ),
    ScanResult.UNKNOWN: lambda code: gettext("Unknown code “%(code)s”: no product has it.") % {"code": code},
}


def pack_scan(*, session: PackSession, code: str, user) -> tuple[str, str | None, PackSession]:
    """One item scanned: (result, the line id ticked or matched, the session). Ticks one unit when the code
    is one of the order's items with units left; a wrong item, an extra unit or an unknown code ticks
    nothing (PackRefused, recorded)."""
    typed = (code or "").strip()
    wanted = selectors.normalize_code(typed)
    if not wanted:
        raise PackRefused(gettext("Scan an item or type its SKU."), status=400)
    with transaction.atomic():
        session = PackSession.objects.select_for_update().select_related("order").get(pk=session.pk)
        order = session.order
        if session.state != SessionState.OPEN:
            raise PackRefused(gettext("This order is no longer on the bench: scan its slip again."))
        line_id = session.codes.get(wanted)
        if line_id is None:
            known = selectors.code_known(store_id=order.store_id, tenant_id=order.tenant_id, code=wanted)
            result = ScanResult.WRONG_ITEM if known else ScanResult.UNKNOWN
        elif session.packed.get(line_id, 0) >= session.to_pack.get(line_id, 0):
            result = ScanResult.EXTRA_UNIT
        else:
            session.packed[line_id] = session.packed.get(line_id, 0) + 1
            session.save(update_fields=["packed"])
            result = ScanResult.OK
        words = "" if result == ScanResult.OK else SCAN_WORDS[result](typed[:60])
        if result == ScanResult.UNKNOWN:  # a slip scanned while an order is open: say so
            other = selectors.orders_by_number(tenant=order.tenant_id, code=typed)
            if other and other[0].pk != order.pk:
                words = gettext(
                    "“%(code)s” is another order's slip: finish order %(number)s first, or press Escape to leave it."
                ) % {"code": typed[:60], "number": order.number}
        _event(
            order=order,
            session=session,
            user=user,
            code=typed,
            result=result,
            line_id=int(line_id) if line_id else None,
            detail=words,
        )
    if result != ScanResult.OK:
        raise PackRefused(words, result=result, data={"line": line_id})
    return result, line_id, session


def pack_skip(*, session: PackSession, user, membership) -> PackSession:
    """Skip verification: the order counts as packed without its item scans. Owners and admins may, and the
    users granted it (PackProfile.may_skip); anyone else is refused. Both are recorded with the user."""
    order = session.order
    if not selectors.may_skip(membership):
        words = gettext("You may not skip verification: ask an owner or an admin to grant it.")
        _event(order=order, session=session, user=user, code="", result=ScanResult.SKIP_REFUSED, detail=words)
        raise PackRefused(words, result=ScanResult.SKIP_REFUSED, status=403)
    with transaction.atomic():
        session = PackSession.objects.select_for_update().select_related("order").get(pk=session.pk)
        if session.state != SessionState.OPEN:
            raise PackRefused(gettext("This order is no longer on the bench: scan its slip again."))
        session.skipped = True
        session.save(update_fields=["skipped"])
        _event(order=order, session=session, user=user, code="", result=ScanResult.SKIPPED)
    return session


def pack_leave(*, session: PackSession) -> None:
    PackSession.objects.filter(pk=session.pk, state=SessionState.OPEN).update(
        state=SessionState.ABANDONED, finished_at=timezone.now()
    )


# --- the label ---------------------------------------------------------------------------------------------


def pack_label(*, session: PackSession, user, label_format: str | None = None) -> PackSession:
    """Buy the order's label with its shipping preset once every line is packed (or verification was
    skipped). Idempotent per session: once labelled, answers the session; a request repeated while the
    carrier answers the first makes no second label (label_buy's idempotency key and one live purchase per
    order). A refused or failed purchase is recorded and said (PackRefused); nothing is retried by itself."""
    session = PackSession.objects.select_related(
        "order", "order__store", "order__shipping_preset__carrier_account", "order__shipping_preset__package"
    ).get(pk=session.pk)
    order = session.order
    if session.state == SessionState.LABELLED:
        return session
    if session.state != SessionState.OPEN:
        raise PackRefused(gettext("This order is no longer on the bench: scan its slip again."))
    if not session.complete:
        raise PackRefused(gettext("Some items are not packed yet."))
    preset = order.shipping_preset
    if preset is None:
        words = gettext("Order %(number)s has no shipping preset: choose one on its page, then scan the slip again.")
        words %= {"number": order.number}
        _event(order=order, session=session, user=user, code="", result=ScanResult.LABEL_FAILED, detail=words)
        raise PackRefused(words, result=ScanResult.LABEL_FAILED)
    fmt = label_format or selectors.label_format_of(tenant=order.tenant_id, user=user)
    try:
        purchase = label_buy(
            order=order,
            account=preset.carrier_account,
            service=preset.service,
            package=preset.package,
            label_format=fmt if fmt in LabelFormat.values else LabelFormat.PDF,
            user=user,
            idempotency_key=f"pack:{session.pk}:{session.label_attempts}",
        )
    except LabelInProgress as exc:
        purchase = exc.purchase  # this session's own purchase, bought by a request repeated meanwhile?
        if purchase.state != PurchaseState.BOUGHT or not purchase.idempotency_key.startswith(f"pack:{session.pk}:"):
            return _label_failed(session, user, exc.messages[0])
    except ValidationError as exc:
        return _label_failed(session, user, " ".join(exc.messages))
    if purchase.state == PurchaseState.BOUGHT:
        with transaction.atomic():
            PackSession.objects.filter(pk=session.pk).update(
                state=SessionState.LABELLED, purchase=purchase, finished_at=timezone.now()
            )
            _event(
                order=order,
                session=session,
                user=user,
                code="",
                result=ScanResult.LABEL,
                detail=f"{purchase.carrier} {purchase.tracking_number}",
            )
        session.refresh_from_db()
        session.purchase = purchase
        return session
    if purchase.state == PurchaseState.UNCERTAIN:
        return _label_failed(
            session,
            user,
            gettext("The label purchase is uncertain: check it on the order's page (it is never bought twice)."),
        )
    if purchase.state == PurchaseState.CALLING:  # the same request, repeated while the carrier answers
        raise PackRefused(gettext("The label is being bought right now."))
    # Failed: nothing was bought; the next attempt is a new purchase (a new key).
    PackSession.objects.filter(pk=session.pk).update(label_attempts=session.label_attempts + 1)
    return _label_failed(session, user, purchase.error or gettext("The carrier did not sell the label."))


def _label_failed(session, user, words: str):
    _event(order=session.order, session=session, user=user, code="", result=ScanResult.LABEL_FAILED, detail=words)
    raise PackRefused(words, result=ScanResult.LABEL_FAILED, data={"order": session.order_id})


# --- the station's settings --------------------------------------------------------------------------------


def pack_profile_set(*, tenant, user, label_format: str | None = None, may_skip: bool | None = None) -> PackProfile:
    """A packer's station settings: the label format they print, and (set by an owner or admin: the caller
    checks) whether they may skip verification."""
    if label_format is not None and label_format not in LabelFormat.values:
        raise ValidationError(gettext("The label format is pdf or zpl."))
    profile, _created = PackProfile.objects.get_or_create(tenant_id=tenant.pk, user=user)
    if label_format is not None:
        profile.label_format = label_format
    if may_skip is not None:
        profile.may_skip = may_skip
    profile.updated_at = timezone.now()
    profile.save()
    return profile


# --- products' barcodes ------------------------------------------------------------------------------------


def _clean_code(code: str) -> str:
    cleaned = selectors.normalize_code(code)
    if not cleaned:
        raise ValidationError({"code": [gettext("Type or scan a barcode.")]})
    if len(cleaned) > CODE_MAX_LENGTH or any(ch.isspace() for ch in cleaned):
        raise ValidationError(
            {"code": [gettext("A barcode is at most %(n)s characters, without spaces.") % {"n": CODE_MAX_LENGTH}]}
        )
    return cleaned


def barcode_check(*, product: Product, code: str) -> tuple[str, ProductBarcode | None]:
    """The code as kept (upper case, trimmed) and the product's own row of it if it has one; ValidationError
    when it cannot be the product's: empty, too long, spaces, its SKU, another product's SKU or barcode."""
    cleaned = _clean_code(code)
    if cleaned == selectors.normalize_code(product.sku):
        raise ValidationError({"code": [gettext("This is the product's SKU: it always scans.")]})
    same_sku = Product.objects.filter(store_id=product.store_id, sku__in={cleaned, code.strip()})
    other_sku = same_sku.exclude(pk=product.pk).first()
    if other_sku is not None:
        raise ValidationError({"code": [gettext("This is the SKU of product %(sku)s.") % {"sku": other_sku.sku}]})
    existing = ProductBarcode.objects.filter(store_id=product.store_id, code=cleaned).select_related("product").first()
    if existing is not None and existing.product_id != product.pk:
        raise ValidationError(
            {"code": [gettext("This barcode belongs to product %(sku)s.") % {"sku": existing.product.sku}]}
        )
    return cleaned, existing


def barcode_add(*, product: Product, code: str) -> ProductBarcode:
    """Add a barcode to a product; one product per code in a store, and never another product's SKU."""
    cleaned, existing = barcode_check(product=product, code=code)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return ProductBarcode.objects.create(
                tenant_id=product.store.tenant_id, store_id=product.store_id, product=product, code=cleaned
            )
    except IntegrityError:
        raise ValidationError({"code": [gettext("This barcode belongs to another product.")]}) from None


def barcode_remove(*, barcode: ProductBarcode) -> None:
    barcode.delete()


@transaction.atomic
def barcodes_set(*, product: Product, codes: list[str]) -> list[ProductBarcode]:
    """The product's barcodes are exactly `codes` (the API's PATCH): others removed, new ones added."""
    wanted = []
    for code in codes:
        cleaned = _clean_code(code)
        if cleaned not in wanted:
            wanted.append(cleaned)
    ProductBarcode.objects.filter(product=product).exclude(code__in=wanted).delete()
    return [barcode_add(product=product, code=code) for code in wanted]
