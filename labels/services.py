"""Writes of the labels app: buying a label, matching a purchase whose answer was lost, the sweep of
purchases left calling, voiding (docs/labels.md).

label_buy
  ├─ LabelPurchase "calling"      committed BEFORE the carrier is called (one live purchase per order)
  ├─ karrio Shipment.create       the carrier's answer:
  │    ├─ a label                 → shipments.services.shipment_create (store update, e-mail, webhooks,
  │    │                            tracking) + LabelDocument; "bought"
  │    ├─ a refusal               → "failed" (nothing was bought; buy again)
  │    └─ no answer (timeout,     → "uncertain", never retried: label_match asks the carrier by reference
  │       5xx, connection lost)     (UPS, FedEx) → "bought" (matched) or "failed"; else it stays flagged
  └─ labels_sweep                 "calling" rows older than a carrier call can last → uncertain → matched
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

import audit
from audit.models import Action
from carriers.gateway import gateway_for, is_transient, mask, message_text, plain_error, secrets_of
from carriers.models import CarrierAccount, PackagePreset
from carriers.parcels import shipment_request
from carriers.references import LookupFailed, labels_by_reference
from orders.actions import NotShippable, order_actions
from orders.models import Order
from orders.parcels import order_parcel
from orders.services import order_check_writable
from shipments.models import Shipment, ShipmentState
from shipments.services import ship_actions, shipment_create, shipment_void

from .models import LabelDocument, LabelFormat, LabelPurchase, PurchaseState, RefundState
from .ship_dates import carrier_date_options, label_ship_date

logger = logging.getLogger(__name__)

LOST_ANSWER_CODES = {"SHIPPING_SDK_INTERNAL_ERROR"}


class LabelInProgress(ValidationError):
    """The order already has a live purchase (bought, being bought or uncertain): that one is `purchase`."""

    def __init__(self, purchase: LabelPurchase):
        self.purchase = purchase
        super().__init__(live_purchase_text(purchase), code="label_live")


class KeyReused(ValidationError):
    def __init__(self):
        super().__init__(gettext("This Idempotency-Key was used for another order's label."), code="key_reused")


class SpendLimitReached(ValidationError):
    """A label (or a batch) that would take the tenant's label spend today over its daily limit."""

    def __init__(self, *, limit: Decimal, spent: Decimal, amount: Decimal):
        self.limit, self.spent, self.amount = limit, spent, amount
        super().__init__(
            gettext(
                "Refused before anything was bought: %(amount)s would take today's label spend to %(total)s, "
                "over your daily limit of %(limit)s (already spent or promised today: %(spent)s)."
            )
            % {"amount": amount, "total": spent + amount, "limit": limit, "spent": spent},
            code="spend_limit",
        )


def spend_check(*, tenant, amount: Decimal) -> None:
    """Raise SpendLimitReached when `amount` more today would pass the tenant's daily label limit. Call it
    inside a transaction: the tenant's row is locked, so two purchases or confirmations count in turn."""
    from stores.models import Tenant

    from .selectors import spend_today

    row = Tenant.objects.select_for_update().filter(pk=tenant.pk).only("daily_label_limit").first()
    limit = row.daily_label_limit if row is not None else None
    if limit is None:
        return
    spent = spend_today(tenant=tenant)
    if spent + amount > limit:
        raise SpendLimitReached(limit=limit, spent=spent, amount=amount)


def live_purchase_text(purchase: LabelPurchase) -> str:
    if purchase.state == PurchaseState.BOUGHT:
        return gettext("This order already has a label (%(number)s): void it before buying another.") % {
            "number": purchase.tracking_number
        }
    if purchase.state == PurchaseState.UNCERTAIN:
        return gettext("A purchase for this order is uncertain: check with the carrier, then void and retry.")
    return gettext("A label for this order is being bought right now.")


def _actor(user, label: str) -> str:
    return user.get_username() if user is not None else (label or "system")


def stale_after() -> dt.timedelta:
    """How long a purchase may stay `calling`: longer than a carrier call can last (a token and the
    purchase, each up to CARRIER_REQUEST_TIMEOUT), so only a killed worker leaves one past it."""
    return dt.timedelta(seconds=3 * settings.CARRIER_REQUEST_TIMEOUT + 60)


def _reference(order: Order, purchase_id: int) -> str:
    suffix = f"-L{purchase_id}"
    return f"{order.number[: 35 - len(suffix)]}{suffix}"


def _save(purchase: LabelPurchase, **fields) -> None:
    for name, value in fields.items():
        setattr(purchase, name, value)
    purchase.updated_at = timezone.now()
    purchase.save(update_fields=[*fields, "updated_at"])


def label_buy(
    *,
    order: Order,
    account: CarrierAccount,
    service: str,
    package: PackagePreset | None = None,
    price: Decimal | None = None,
    currency: str = "",
    label_format: str = LabelFormat.PDF,
    user=None,
    created_by_label: str = "",
    idempotency_key: str = "",
    check_limit: bool = True,
) -> LabelPurchase:
    """Buy one label for `order` and record its shipment. Answers the purchase (its state says what
    happened); raises ValidationError before anything is recorded when the order or parcel cannot be
    labelled, LabelInProgress when the order already has a live purchase, SpendLimitReached when the label
    would take the tenant's spend today over its daily limit (`check_limit=False`: a batch's items, whose
    total was checked when the batch was confirmed). Must not run inside a transaction of the caller's: the
    purchase row is committed before the carrier is called."""
    if idempotency_key:
        existing = LabelPurchase.objects.for_tenant(order.tenant_id).filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.order_id != order.pk:
                raise KeyReused()
            return existing
    if account.tenant_id != order.tenant_id or not (account.is_active and account.use_for_labels):
        raise ValidationError(gettext("This carrier account does not buy labels."))
    if label_format not in LabelFormat.values:
        raise ValidationError(gettext("The label format is pdf or zpl."))
    live = LabelPurchase.objects.for_tenant(order.tenant_id).live().filter(order=order).first()
    if live is not None:
        raise LabelInProgress(live)
    actions = ship_actions(order)
    if not actions.can_ship:
        raise NotShippable(actions)
    order_check_writable(order=order)
    parcel = order_parcel(order, package=package, account=account)
    if not parcel.ok:
        raise ValidationError(parcel.problems)
    if price is None:  # the price the carrier quotes now (its label answer may not say)
        price, currency = _quote(order, account, service, package)
    now = timezone.now()
    when = label_ship_date(order, account, now)  # after the ship-from's cutoff: its next working day
    try:
        with transaction.atomic():
            if check_limit:
                spend_check(tenant=order.tenant, amount=price or Decimal(0))
            purchase = LabelPurchase.objects.create(
                tenant_id=order.tenant_id,
                order=order,
                account=account,
                carrier=account.carrier,
                service=service,
                package=package,
                price=price,
                currency=currency,
                idempotency_key=idempotency_key,
                created_by=user,
                created_by_label=_actor(user, created_by_label),
                ship_from=when.ship_from,
                ship_date=when.date,
                created_at=now,
                updated_at=now,
            )
            _save(purchase, reference=_reference(order, purchase.pk))
    except IntegrityError:
        live = LabelPurchase.objects.for_tenant(order.tenant_id).live().filter(order=order).first()
        if live is None and idempotency_key:  # the same key's request won the race
            return label_buy_replay(order=order, idempotency_key=idempotency_key)
        if live is None:
            raise
        raise LabelInProgress(live) from None
    # Committed: a worker killed from here on leaves a "calling" row the sweep finds.
    return _call_carrier(purchase, order, account, parcel.request, label_format)


def _quote(order, account, service, package) -> tuple[Decimal, str]:
    from .rates import rates_for

    answer = rates_for(order, package=package, accounts=[account])
    rate = next((r for r in answer.rates if r.service == service), None)
    if rate is None:
        why = "; ".join(words for _, words in answer.errors) or gettext("the service is not offered for this parcel")
        raise ValidationError(gettext("No rate for this service: %(why)s") % {"why": why})
    return rate.price, rate.currency


def label_buy_replay(*, order: Order, idempotency_key: str) -> LabelPurchase:
    existing = LabelPurchase.objects.for_tenant(order.tenant_id).get(idempotency_key=idempotency_key)
    if existing.order_id != order.pk:
        raise KeyReused()
    return existing


def _call_carrier(purchase, order, account, parcel, label_format) -> LabelPurchase:
    import dataclasses

    import karrio.sdk as sdk

    parcel = dataclasses.replace(parcel, reference=purchase.reference)
    request = shipment_request(
        parcel, purchase.service, label_type=label_format.upper(), options=carrier_date_options(purchase.ship_date)
    )
    try:
        shipment, messages = sdk.Shipment.create(request).from_(gateway_for(account)).parse()
    except Exception as exc:  # noqa: BLE001 - an answer we could not read may still be a label sold
        shipment, messages, failure = None, [], plain_error(exc)
    else:
        failure = ""
    if shipment is not None and shipment.tracking_number:
        return _record_label(purchase, order, shipment, label_format)
    texts = [mask(message_text(m), secrets_of(account)) for m in messages]
    lost = failure or any(
        m.code in LOST_ANSWER_CODES or is_transient(t) or "timed out" in t for m, t in zip(messages, texts, strict=True)
    )
    words = failure or "; ".join(texts)[:500] or gettext("The carrier answered without a label.")
    if not lost:
        _save(purchase, state=PurchaseState.FAILED, error=gettext("The carrier refused: %(words)s") % {"words": words})
        return purchase
    _save(purchase, state=PurchaseState.UNCERTAIN, error=words)
    return label_match(purchase)


def _documents(shipment, label_format: str) -> list[tuple[str, bytes]]:
    label = getattr(shipment.docs, "label", None) if shipment.docs else None
    if not label:
        return []
    return [(label_format, base64.b64decode(label))]


@transaction.atomic
def _record_label(purchase, order, carrier_shipment, label_format, *, documents=True) -> LabelPurchase:
    purchase = LabelPurchase.objects.select_for_update().get(pk=purchase.pk)
    number = carrier_shipment.tracking_number
    cost = purchase.price
    rate = getattr(carrier_shipment, "selected_rate", None)
    if rate is not None and rate.total_charge is not None:
        cost = Decimal(str(rate.total_charge)).quantize(Decimal("0.01"))
        purchase.currency = rate.currency or purchase.currency
    error = ""
    shipment = None
    try:
        with transaction.atomic():
            shipment = shipment_create(
                order=order,
                carrier=purchase.carrier,
                service=purchase.service,
                tracking_number=number,
                ship_date=purchase.ship_date,
                carrier_fee=cost,
                user=purchase.created_by,
                created_by_label=purchase.created_by_label,
            )
    except ValidationError as exc:  # NotShippable too: the order changed while the carrier answered
        error = gettext("The label was bought but no shipment was recorded: %(why)s") % {"why": " ".join(exc.messages)}
    if documents:
        for fmt, content in _documents(carrier_shipment, label_format):
            LabelDocument.objects.create(purchase=purchase, format=fmt, content=content)
    _save(
        purchase,
        state=PurchaseState.BOUGHT,
        tracking_number=number,
        price=cost,
        currency=purchase.currency,
        shipment=shipment,
        error=error,
    )
    audit.record(
        Action.LABEL_BOUGHT,
        tenant=order.tenant,
        actor=purchase.created_by,
        target=purchase,
        after={
            "carrier": purchase.carrier,
            "service": purchase.service,
            "tracking_number": number,
            "cost": str(cost),
            "currency": purchase.currency,
            "matched": bool(purchase.matched),
        },
    )
    return purchase


class _Found:
    """A label found by reference: its number, nothing else (the carrier keeps the document)."""

    def __init__(self, number: str):
        self.tracking_number = number
        self.docs = None
        self.selected_rate = None


def label_match(purchase: LabelPurchase) -> LabelPurchase:
    """An uncertain purchase: ask the carrier for a label with its reference (UPS, FedEx). Found: it is
    recorded as bought (matched; its document stays with the carrier). None: nothing was bought. Never
    buys again."""
    if purchase.state != PurchaseState.UNCERTAIN or purchase.account is None:
        return purchase
    try:
        numbers = labels_by_reference(purchase.account, purchase.reference)
    except LookupFailed as exc:
        _save(purchase, error=gettext("Purchase uncertain — check with the carrier (%(why)s).") % {"why": exc})
        return purchase
    if numbers is None:
        _save(purchase, error=gettext("Purchase uncertain — check with the carrier."))
        return purchase
    if not numbers:
        _save(
            purchase,
            state=PurchaseState.FAILED,
            error=gettext(
                "The carrier's answer was lost, and it has no label with reference %(ref)s: nothing was bought."
            )
            % {"ref": purchase.reference},
        )
        return purchase
    purchase = _record_label(purchase, purchase.order, _Found(numbers[0]), LabelFormat.PDF, documents=False)
    _save(purchase, matched=True)
    return purchase


def labels_sweep(*, order: Order | None = None, now: dt.datetime | None = None) -> int:
    """Purchases left `calling` longer than a carrier call can last (a killed worker): uncertain, then
    matched where the carrier can be asked. The schedule runs it for every tenant; the order page for its
    order. Answers how many were found."""
    now = now or timezone.now()
    rows = LabelPurchase.objects.filter(state=PurchaseState.CALLING, updated_at__lt=now - stale_after())
    if order is not None:
        rows = rows.filter(order=order)
    found = 0
    for pk in list(rows.values_list("pk", flat=True)[:200]):
        with transaction.atomic():
            purchase = (
                LabelPurchase.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, state=PurchaseState.CALLING)
                .first()
            )
            if purchase is None:
                continue
            _save(purchase, state=PurchaseState.UNCERTAIN, error=gettext("The worker stopped while buying this label."))
        found += 1
        label_match(LabelPurchase.objects.select_related("account", "order").get(pk=pk))
    return found


def label_void(*, purchase: LabelPurchase, user=None, actor: str = "") -> LabelPurchase:
    """Void a bought label (the carrier's cancel call), then its shipment through shipments' void (the
    order goes back to Awaiting Shipment, tracking stops). A refusal changes nothing."""
    import karrio.sdk as sdk
    from karrio.core.models import ShipmentCancelRequest

    if purchase.state != PurchaseState.BOUGHT or not purchase.tracking_number:
        raise ValidationError(gettext("Only a bought label can be voided."))
    shipment = purchase.shipment
    if shipment is not None and shipment.state != ShipmentState.VOIDED:
        order_check_writable(order=purchase.order)
        actions = order_actions(purchase.order, shipments=[shipment], disconnected=False)
        if not actions.can_void(shipment.pk):
            raise ValidationError(actions.void_why_not(shipment.pk))
    account = purchase.account
    if account is None:
        raise ValidationError(gettext("The carrier account of this label was deleted: void it with the carrier."))
    try:
        confirmation, messages = (
            sdk.Shipment.cancel(ShipmentCancelRequest(shipment_identifier=purchase.tracking_number))
            .from_(gateway_for(account))
            .parse()
        )
    except Exception as exc:  # noqa: BLE001
        raise ValidationError(gettext("The carrier could not void the label: %(why)s") % {"why": plain_error(exc)})
    if confirmation is None or not confirmation.success:
        words = "; ".join(mask(message_text(m), secrets_of(account)) for m in messages)[:300]
        raise ValidationError(
            gettext("The carrier refused to void the label: %(why)s") % {"why": words or gettext("no reason given")}
        )
    with transaction.atomic():
        _save(purchase, state=PurchaseState.VOIDED, refund_state=RefundState.REQUESTED, error="")
        audit.record(
            Action.LABEL_VOIDED,
            tenant=purchase.order.tenant,
            actor=user,
            target=purchase,
            before={"state": PurchaseState.BOUGHT},
            after={"state": PurchaseState.VOIDED, "refund": RefundState.REQUESTED},
        )
        if shipment is not None and shipment.state != ShipmentState.VOIDED:
            shipment_void(shipment=Shipment.objects.get(pk=shipment.pk), user=user, actor=actor)
    return purchase


def label_release(*, purchase: LabelPurchase, user=None, actor: str = "") -> LabelPurchase:
    """ "Void and retry" of an uncertain purchase: a label it matched is voided with the carrier; one that
    has no number (the operator checked with the carrier) is released, so the order can be labelled again."""
    if purchase.state == PurchaseState.BOUGHT and purchase.matched:
        return label_void(purchase=purchase, user=user, actor=actor)
    if purchase.state != PurchaseState.UNCERTAIN:
        raise ValidationError(gettext("Only an uncertain purchase can be voided and retried."))
    _save(
        purchase,
        state=PurchaseState.RELEASED,
        error=gettext("Released by %(who)s after checking with the carrier.") % {"who": _actor(user, actor)},
    )
    return purchase
