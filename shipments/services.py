"""Writes for shipments: create, void, deliver, and the store update that tells the store.

shipment_create (one transaction, the order row locked)
  ├─ Shipment + ShipmentLines            quantities checked against what remains to ship
  ├─ order → shipped                      when every shippable line is fully shipped
  ├─ OutboxMessage "store_update"         → store_update_send → StoreClient.ship_notify
  ├─ OutboxMessage "email"                → shipments.emails (when the store switched it on)
  │  (both with ref "shipment:<id>"; their handlers are registered in ShipmentsConfig.ready)
  └─ OrderEvents                          one per step; the outbox hooks add "store notified" etc.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

import audit
from audit.models import Action
from orders.actions import NotShippable, OrderActions, order_actions
from orders.events import event
from orders.models import Order, OrderLine, Shipping
from orders.services import order_check_writable, order_event_add, order_set_status
from outbox.models import OutboxMessage, OutboxState
from outbox.services import (
    DeferredDelivery,
    PermanentDeliveryError,
    TransientDeliveryError,
    outbox_cancel,
    outbox_enqueue,
    outbox_retry_now,
)
from shipments.method_mapping import shipping_method_mapping_learn
from stores import changes
from stores.models import StoreSettings
from webhooks.services import webhook_emit_object

from .changes import tracking_number_changed
from .models import (
    EmailKind,
    OperatorAlert,
    OutboxKind,
    Shipment,
    ShipmentLine,
    ShipmentState,
    carrier_code,
    new_tracking_token,
    shipment_ref,
    tracking_url_for,
)
from .selectors import remaining_quantities, shipped_quantities
from .tracking_numbers import tracking_number_clean

logger = logging.getLogger(__name__)


def store_settings_for(order: Order) -> StoreSettings:
    try:
        return order.store.settings
    except StoreSettings.DoesNotExist:
        return StoreSettings(store=order.store)


def _actor(user=None, label: str = "") -> str:
    if user is not None:
        return user.get_username()
    return label or "system"


# --- quantities (shipments.selectors) --------------------------------------------------------------


def ship_actions(order: Order, *, override: bool = False) -> OrderActions:
    """What the order allows, with what is left to ship on each line (orders.actions, the one place)."""
    return order_actions(order, lines=list(order.lines.all()), shipped=shipped_quantities(order), override=override)


def _wanted_lines(order: Order, lines: dict | None, remaining: dict[int, int]) -> list[tuple[OrderLine, int]]:
    by_id = {line.pk: line for line in order.lines.all()}
    if lines is None:
        return [(by_id[pk], qty) for pk, qty in remaining.items() if qty > 0]
    wanted: list[tuple[OrderLine, int]] = []
    errors: list[str] = []
    for raw_id, raw_qty in lines.items():
        try:
            line_id, qty = int(raw_id), int(raw_qty)
        except (TypeError, ValueError):
            errors.append(f"“{raw_id}: {raw_qty}” is not a line id and a whole quantity.")
            continue
        line = by_id.get(line_id)
        if line is None:
            errors.append(f"Line {line_id} is not on order {order.number}.")
            continue
        label = line.sku or line.name or f"line {line_id}"
        if qty < 0:
            errors.append(f"The quantity for {label} cannot be negative.")
        elif qty == 0:
            continue
        elif line_id not in remaining:
            errors.append(f"{label} does not ship (electronic, non-shipping or an adjustment).")
        elif qty > remaining[line_id]:
            errors.append(f"Only {remaining[line_id]} of {label} remain to ship; {qty} were asked for.")
        else:
            wanted.append((line, qty))
    if errors:
        raise ValidationError(errors)
    if not wanted:
        raise ValidationError("A shipment needs at least one line with a quantity.")
    return wanted


def _fully_shipped(order: Order) -> bool:
    return all(qty == 0 for qty in remaining_quantities(order).values())


# --- create, void, deliver --------------------------------------------------------------------------


def _check_fits(**values) -> None:
    """Refuse, in words, a value its column cannot hold (whichever form or API sent it)."""
    errors = {}
    for name, value in values.items():
        field = Shipment._meta.get_field(name)
        if isinstance(value, str) and len(value) > field.max_length:
            errors[name] = [f"At most {field.max_length} characters (this one has {len(value)})."]
        elif isinstance(value, Decimal) and abs(value) >= Decimal(10) ** (field.max_digits - field.decimal_places):
            errors[name] = [f"Less than {Decimal(10) ** (field.max_digits - field.decimal_places):,}."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def shipment_create(
    *,
    order: Order,
    lines: dict[int, int] | None = None,
    carrier: str,
    service: str = "",
    tracking_number: str = "",
    ship_date: dt.date | None = None,
    carrier_fee: Decimal | None = None,
    notes_to_buyer: str | None = None,
    internal_notes: str = "",
    notify_buyer: bool = True,
    user=None,
    created_by_label: str = "",
    override_status: bool = False,
    learn_method: bool = True,
) -> Shipment:
    """Record a shipment of `lines` ({order line id: quantity}; None = everything left to ship).
    `learn_method`: the carrier and service teach the store's mapping of the order's requested method (off
    for a batch row that took the batch-wide default: a default is nobody's choice for that method)."""
    # The lock serialises shipments of one order, so two clerks cannot both ship the last unit.
    order = Order.objects.select_for_update().select_related("store").get(pk=order.pk)
    actions = ship_actions(order, override=override_status)
    if not actions.can_ship:
        raise NotShippable(actions)
    if actions.overridden and (user is None or not user.is_staff):
        raise ValidationError(
            "Only an operator may ship an order that is awaiting payment, on hold, cancelled or shipped outside "
            "Outbound."
        )
    order_check_writable(order=order)
    actor = _actor(user, created_by_label)
    code = carrier_code(carrier)
    if code is None:
        raise ValidationError(f"“{carrier}” is not a carrier Outbound knows; use “Other” for anything else.")
    if carrier_fee is not None:
        carrier_fee = Decimal(str(carrier_fee))
        if carrier_fee < 0:
            raise ValidationError("The carrier fee cannot be negative.")
    try:
        tracking_number = tracking_number_clean(tracking_number)
    except ValidationError as exc:
        raise ValidationError({"tracking_number": exc.messages}) from None
    service = (service or "").strip()
    _check_fits(tracking_number=tracking_number, service=service, carrier_fee=carrier_fee)
    wanted = _wanted_lines(order, lines, actions.left)
    now = timezone.now()
    shipment = Shipment(
        tenant_id=order.tenant_id,
        order=order,
        carrier=code,
        service=service,
        tracking_number=tracking_number,
        tracking_url=tracking_url_for(code, tracking_number),
        ship_date=ship_date or timezone.localdate(),
        carrier_fee=carrier_fee,
        notes_to_buyer=order.notes_to_buyer if notes_to_buyer is None else notes_to_buyer,
        internal_notes=internal_notes,
        notify_buyer=notify_buyer,
        created_by_user=user,
        created_by_label=created_by_label,
        created_at=now,
        updated_at=now,
    )
    # What was typed is checked against the columns (lengths, digits); derived values are not the caller's.
    shipment.full_clean(
        exclude=[
            "tenant",
            "order",
            "created_by_user",
            "created_by_label",
            "tracking_url",
            "state",
            "store_update_state",
        ],
        validate_unique=False,
        validate_constraints=False,
    )
    shipment.save(force_insert=True)
    ShipmentLine.objects.bulk_create(
        [ShipmentLine(shipment=shipment, order_line=line, quantity=qty) for line, qty in wanted]
    )
    summary = ", ".join(f"{qty} × {line.sku or line.name}" for line, qty in wanted)
    order_event_add(
        order=order,
        actor=actor,
        **event(
            "shipment_created",
            shipment_id=shipment.pk,
            summary=summary,
            carrier=shipment.carrier,
            tracking_number=tracking_number or "",
        ),
        data={
            "shipment_id": shipment.pk,
            "lines": {str(line.pk): qty for line, qty in wanted},
            "override_status": actions.overridden,
        },
    )

    _shipping_changed(order, actor)
    if learn_method:
        shipping_method_mapping_learn(order=order, carrier=code, service=service, actor=actor)

    settings = store_settings_for(order)
    outbound_emails = bool(settings.send_shipment_confirmation and notify_buyer and order.email)
    outbox_enqueue(
        tenant=order.tenant,
        kind=OutboxKind.STORE_UPDATE,
        ref=shipment_ref(shipment.pk),
        dedupe_key=f"store_update:{shipment.pk}",
        lane=f"store:{order.store_id}",  # one store's updates wait in line together, not before other stores'
        # NotifyCustomer is inverted in the protocol: false tells the store we e-mail the buyer ourselves.
        payload={"shipment_id": shipment.pk, "notify_customer": bool(notify_buyer and not outbound_emails)},
    )
    if outbound_emails:
        _email_enqueue(shipment=shipment, kind=EmailKind.SHIPMENT_CONFIRMATION)
    else:
        _no_email_event(
            order=order,
            shipment=shipment,
            actor=actor,
            notify_buyer=notify_buyer,
            switched_on=settings.send_shipment_confirmation,
        )
    _webhook(shipment, "shipment.created")
    audit.record(
        Action.SHIPMENT_CREATED,
        tenant=order.tenant,
        actor=user,
        target=_audit_target(shipment, order),
        after={"carrier": shipment.carrier, "service": shipment.service, "tracking_number": shipment.tracking_number},
    )
    return shipment


def _audit_target(shipment: Shipment, order: Order) -> tuple:
    return ("shipments.shipment", shipment.pk, f"Shipment {shipment.pk} of order {order.number}")


# --- requested shipping method → carrier + service (the ship form's pre-fill) ----------------------


NO_EMAIL_REASONS = {
    "not_requested": "the person who recorded it chose not to e-mail the buyer",
    "switched_off": "shipment confirmation e-mails are switched off in the store settings",
    "no_address": "the order has no e-mail address",
}


def _no_email_event(*, order: Order, shipment: Shipment, actor: str, notify_buyer: bool, switched_on: bool) -> None:
    """Say in the history why no shipment confirmation goes out (and whether the store was asked to)."""
    if not switched_on:
        reason = "switched_off"
    elif not notify_buyer:
        reason = "not_requested"
    else:
        reason = "no_address"
    store_asked = bool(notify_buyer)
    order_event_add(
        order=order,
        kind="email_not_sent",
        actor=actor,
        message=f"No shipment confirmation e-mailed for shipment {shipment.pk}: {NO_EMAIL_REASONS[reason]}"
        + ("; the store was asked to notify the buyer." if store_asked else "."),
        data={"shipment_id": shipment.pk, "reason": reason, "store_asked": store_asked},
    )


def _email_enqueue(*, shipment: Shipment, kind: str, **extra) -> OutboxMessage:
    return outbox_enqueue(
        tenant=shipment.order.tenant,
        kind=OutboxKind.EMAIL,
        ref=shipment_ref(shipment.pk),
        dedupe_key=f"email:{kind}:{shipment.pk}",
        payload={"shipment_id": shipment.pk, "email": kind, **extra},
    )


def store_changed(change) -> None:
    """The listener of stores.changes: a store about to be deleted has its shipments deleted first."""
    if change.kind == changes.BEFORE_DELETE:
        store_shipments_delete(change.store)


def store_shipments_delete(store) -> int:
    """Delete every shipment of a store being deleted (stores.services.store_delete), with their lines, e-mails
    and tracking; its shipment updates still waiting in the outbox are cancelled (there is no store to tell)."""
    shipments = Shipment.objects.filter(order__store=store)
    for message in OutboxMessage.objects.filter(
        ref__in=[shipment_ref(pk) for pk in shipments.values_list("pk", flat=True)], state=OutboxState.PENDING
    ):
        outbox_cancel(message=message, reason="store deleted")
    return shipments.delete()[0]


@transaction.atomic
def shipment_void(*, shipment: Shipment, user=None, actor: str = "") -> Shipment:
    """Void a shipment: its quantities become shippable again and the order reopens if it was shipped.

    The protocol cannot tell a store about a void (docs/custom-store-v1.md#shipnotify-repeats); a store update still
    waiting is cancelled, one already sent stays in the store until the replacement shipment sends its tracking number.
    """
    order = Order.objects.select_for_update().select_related("store").get(pk=shipment.order_id)
    order_check_writable(order=order)
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    actions = order_actions(order, shipments=[shipment], disconnected=False)  # order_check_writable said it is
    if not actions.can_void(shipment.pk):
        raise ValidationError(actions.void_why_not(shipment.pk))
    actor = _actor(user, actor)
    now = timezone.now()
    was = shipment.state
    shipment.state = ShipmentState.VOIDED
    shipment.voided_at = now
    shipment.updated_at = now
    shipment.save(update_fields=["state", "voided_at", "updated_at"])
    for message in OutboxMessage.objects.filter(ref=shipment_ref(shipment.pk), state=OutboxState.PENDING):
        outbox_cancel(message=message, reason="shipment voided")
    told = shipment.store_update_state == OutboxState.SENT
    order_event_add(
        order=order,
        actor=actor,
        **event("shipment_voided", shipment_id=shipment.pk, store_told=told),
        data={"shipment_id": shipment.pk, "store_told": told},
    )
    _shipping_changed(order, actor)
    audit.record(
        Action.SHIPMENT_VOIDED,
        tenant=order.tenant,
        actor=user,
        target=_audit_target(shipment, order),
        before={"state": was, "tracking_number": shipment.tracking_number},
        after={"state": ShipmentState.VOIDED},
    )
    return shipment


def _shipping_changed(order: Order, actor: str) -> None:
    """Record what the order's shipments now add up to, and let its status follow (the status machine)."""
    if Shipment.objects.filter(order=order).exclude(state=ShipmentState.VOIDED).exists():
        shipping = Shipping.FULL if _fully_shipped(order) else Shipping.PARTIAL
    else:
        shipping = Shipping.VOIDED
    order.shipping = shipping
    order.shipped_in_outbound = shipping != Shipping.VOIDED
    order.save(update_fields=["shipping", "shipped_in_outbound"])
    order_set_status(order=order, actor=actor)


@transaction.atomic
def shipment_mark_delivered(
    *, shipment: Shipment, delivered_at: dt.datetime | None = None, actor: str = ""
) -> Shipment:
    """Record delivery and, when the store switched it on, e-mail the buyer a delivery notice (once)."""
    shipment = Shipment.objects.select_for_update().select_related("order__store", "order__tenant").get(pk=shipment.pk)
    if shipment.state == ShipmentState.VOIDED:
        raise ValidationError(f"Shipment {shipment.pk} is voided and cannot be delivered.")
    if shipment.state == ShipmentState.DELIVERED:
        return shipment
    now = timezone.now()
    shipment.state = ShipmentState.DELIVERED
    shipment.delivered_at = delivered_at or now
    shipment.updated_at = now
    shipment.save(update_fields=["state", "delivered_at", "updated_at"])
    order = shipment.order
    order_event_add(
        order=order,
        actor=actor or "system",
        **event("shipment_delivered", shipment_id=shipment.pk),
        data={"shipment_id": shipment.pk, "delivered_at": shipment.delivered_at.isoformat()},
    )
    if store_settings_for(order).send_delivery_notice and shipment.notify_buyer and order.email:
        _email_enqueue(shipment=shipment, kind=EmailKind.DELIVERY_NOTICE)
    _webhook(shipment, "shipment.delivered")
    return shipment


def shipment_out_for_delivery_notify(*, shipment: Shipment, actor: str = "") -> None:
    """The carrier says the parcel is out for delivery: e-mail the buyer when the store switched that
    e-mail on (off by default). Once per shipment (the outbox dedupes on the key)."""
    shipment = Shipment.objects.select_related("order__store", "order__tenant").get(pk=shipment.pk)
    if shipment.state != ShipmentState.SHIPPED:
        return
    order = shipment.order
    if store_settings_for(order).send_out_for_delivery and shipment.notify_buyer and order.email:
        _email_enqueue(shipment=shipment, kind=EmailKind.OUT_FOR_DELIVERY)


def shipment_estimated_delivery_notify(*, shipment: Shipment, estimated_delivery: dt.date, actor: str = "") -> None:
    """The carrier moved the estimated delivery date: e-mail the buyer when the store switched that e-mail on
    (off by default). At most once per shipment (the outbox and the e-mail record dedupe on the key): a date
    that moves again is on the tracking page the e-mail links to."""
    shipment = Shipment.objects.select_related("order__store", "order__tenant").get(pk=shipment.pk)
    if shipment.state != ShipmentState.SHIPPED:
        return
    order = shipment.order
    if store_settings_for(order).send_estimated_delivery and shipment.notify_buyer and order.email:
        _email_enqueue(
            shipment=shipment, kind=EmailKind.ESTIMATED_DELIVERY, estimated_delivery=estimated_delivery.isoformat()
        )


def shipment_tracking_token(shipment: Shipment) -> str:
    """The shipment's tracking page token; a shipment from before tokens gets one now (once: the UPDATE only
    writes where none is set, and whoever lost the race reads the winner's)."""
    if shipment.tracking_token:
        return shipment.tracking_token
    Shipment.objects.filter(pk=shipment.pk, tracking_token__isnull=True).update(tracking_token=new_tracking_token())
    shipment.tracking_token = Shipment.objects.values_list("tracking_token", flat=True).get(pk=shipment.pk)
    return shipment.tracking_token


def _webhook(shipment: Shipment, event: str) -> None:
    """Tell the tenant's webhook subscribers, in the caller's transaction (the webhooks app delivers; the
    payload is the shipment as the API shows it)."""
    webhook_emit_object(obj=shipment, tenant=shipment.tenant_id, event=event)


def store_update_message(shipment: Shipment) -> OutboxMessage | None:
    """The shipment's latest store update (a corrected tracking number queues another)."""
    messages = OutboxMessage.objects.filter(ref=shipment_ref(shipment.pk), kind=OutboxKind.STORE_UPDATE)
    return messages.order_by("-id").first()


def store_update_retry(*, shipment: Shipment, deliver: bool = True) -> OutboxMessage:
    """The "retry now" action: a fresh set of attempts for the shipment's store update, sent at once (or,
    with `deliver` False, by the outbox workers: a batch does not wait for every store)."""
    message = store_update_message(shipment)
    if message is None:
        raise ValidationError(f"Shipment {shipment.pk} has no store update.")
    return outbox_retry_now(message=message, deliver=deliver)


# --- the store update handler -----------------------------------------------------------------------


def ship_notice_for(shipment: Shipment, *, notify_customer: bool, first_try: bool = False):
    from stores.connector.types import Address, ShipNotice, ShipNoticeItem

    order = shipment.order
    storefront = order.storefront.name if order.storefront_id else None
    ship_to = order.ship_to or {}
    recipient = Address(**{k: str(v) for k, v in ship_to.items() if k in Address.__slots__}) if ship_to else None
    items = [
        ShipNoticeItem(
            line_item_id=sl.order_line.line_item_id,
            sku=sl.order_line.sku,
            name=sl.order_line.name,
            quantity=sl.quantity,
        )
        for sl in shipment.lines.select_related("order_line").order_by("order_line__position", "pk")
    ]
    return ShipNotice(
        order_id=order.external_id,
        order_number=order.number,
        customer_code=order.customer_code,
        customer_notes=order.customer_notes,
        internal_notes=shipment.internal_notes,
        notes_to_customer=shipment.notes_to_buyer,
        notify_customer=notify_customer,
        label_create_date=shipment.created_at,
        ship_date=shipment.ship_date,
        carrier=shipment.carrier,
        service=shipment.service,
        tracking_number=shipment.tracking_number,
        tracking_url=shipment.tracking_url,
        package_count=1,  # an Outbound shipment is one package (one label, one tracking number)
        shipping_cost=shipment.carrier_fee,
        recipient=recipient,
        items=items,
        storefront=storefront,
        first_try=first_try,
    )


def operator_alert(
    subject: str, message: str, *, tenant_id: int | None = None, once_per: dt.timedelta | None = None
) -> OperatorAlert | None:
    """Tell the operators: an error line on the `outbound.alerts` logger, a mail to ADMINS (settings: the
    ADMINS variable) sent at once, and a row in the caller's transaction (counted in /metrics, listed in the
    admin's fleet view)."""
    from django.conf import settings
    from django.core.mail import mail_admins

    logging.getLogger("outbound.alerts").error("%s: %s", subject, message)
    if (
        once_per
        and OperatorAlert.objects.filter(subject=subject[:200], created_at__gte=timezone.now() - once_per).exists()
    ):
        return None  # told already within `once_per`: logged only, so a failing store is one mail an hour, not 500
    mail_admins(subject, message, fail_silently=True)
    return OperatorAlert.objects.create(
        subject=subject[:200], message=message, tenant_id=tenant_id, recipients=len(settings.ADMINS)
    )


def store_update_state_changed(message: OutboxMessage) -> None:
    """Mirror the row on its shipment and write the outcome into the order's history."""
    shipment_id = (message.payload or {}).get("shipment_id")
    if not shipment_id:
        return
    Shipment.objects.filter(pk=shipment_id).update(store_update_state=message.state)
    shipment = Shipment.objects.select_related("order").get(pk=shipment_id)
    if message.state == OutboxState.SENT:
        order_event_add(
            order=shipment.order,
            actor="outbox",
            **event("store_notified", shipment_id=shipment.pk, response_status=message.response_status),
            data={"shipment_id": shipment.pk, "message_id": message.pk},
        )
    elif message.state == OutboxState.FAILED:
        order_event_add(
            order=shipment.order,
            actor="outbox",
            **event("store_update_failed", shipment_id=shipment.pk, error=message.last_error),
            data={"shipment_id": shipment.pk, "message_id": message.pk, "attempts": message.attempts},
        )
        _webhook(shipment, "store_update.failed")
        store = shipment.order.store
        operator_alert(
            f"Store updates failing for good: {store.name} (store {store.pk})",
            f"The store update of order {shipment.order.number} (outbox message {message.pk}, tenant "
            f"{message.tenant_id}) gave up after {message.attempts} attempt(s): {message.last_error}",
            tenant_id=message.tenant_id,
            once_per=dt.timedelta(hours=1),
        )


def _remember_the_store_answer(shipment: Shipment, updated_at) -> None:
    """Keep the order's updated_at the store answered our write with (a datetime, read by the platform's
    connector): its webhooks for changes up to then are echoes of this write and cost no fetch (hooks.services)."""
    if updated_at is not None:
        Shipment.objects.filter(pk=shipment.pk).update(store_order_updated_at=updated_at)


def store_update_send(message: OutboxMessage) -> tuple[int, str]:
    from stores.connector import client_for_store
    from stores.connector.errors import StoreError, StoreRateLimited
    from stores.connector.transport import RATE_LIMITED_RETRY
    from stores.crypto import CredentialError

    shipment = Shipment.objects.select_related("order__store", "order__storefront").get(
        pk=message.payload["shipment_id"]
    )
    if shipment.state == ShipmentState.VOIDED:
        raise PermanentDeliveryError("The shipment was voided before the store was told about it.")
    # The first try of this update (claimed once, never failed; put off by the store's call limit at most,
    # whose 429 did nothing): nothing of it can be at the store yet but a shipment the store would update,
    # not add (writeback.py).
    first_try = message.attempts <= 1 and (not message.last_error or message.response_status == 429)
    notice = ship_notice_for(
        shipment, notify_customer=bool(message.payload.get("notify_customer")), first_try=first_try
    )
    # One HTTP attempt per outbox attempt: the outbox owns back-off, and a long in-client retry loop
    # would only hold the lease.
    try:
        with client_for_store(shipment.order.store, max_attempts=1, connect_timeout=10.0, read_timeout=30.0) as client:
            result = client.ship_notify(notice)
        _remember_the_store_answer(shipment, result.order_updated_at)
    except CredentialError:
        # A server configuration error, not the store's: fixing CREDENTIAL_KEYS heals it, so the notice is
        # kept and retried with the outbox's back-off while an operator is told. No key is ever named.
        operator_alert(
            "Store passwords cannot be decrypted",
            f"Outbox message {message.pk} (store {shipment.order.store_id}): the encryption key set on the "
            "server (CREDENTIAL_KEYS) is wrong or missing the key this password was saved with.",
        )
        raise TransientDeliveryError(
            "The store's password cannot be read: the encryption key configured on the server (CREDENTIAL_KEYS) "
            "is wrong. An operator has been alerted; Outbound will try again once the configuration is fixed."
        ) from None
    except StoreError as exc:
        if isinstance(exc, StoreRateLimited) or exc.status == 429:
            # The store's call limit (every worker now waits for it, pacing.py): this row comes back after the
            # store's Retry-After, without the outbox's back-off and without spending an attempt.
            retry_after = getattr(exc, "retry_after", RATE_LIMITED_RETRY)
            raise DeferredDelivery(exc.message, retry_after=retry_after, status=429) from None
        error = PermanentDeliveryError if exc.permanent else TransientDeliveryError
        raise error(exc.message, status=exc.status)
    return result.status_code, result.body_excerpt


# --- the operators' tracking-number correction ------------------------------------------------------


@transaction.atomic
def shipment_correct_tracking_number(*, shipment: Shipment, tracking_number: str, actor: str) -> Shipment:
    """Replace a mistyped tracking number (the admin's "Correct tracking number" action; the portal and the API
    would call it too). The number goes through the one rule (shipments.tracking_numbers); the tracking link
    follows it; the store is sent the corrected shipment through the outbox (an update still waiting sends the
    new number when it goes, else a new update is queued); carrier tracking follows the new number (the
    tracking app listens, shipments.changes); the order's history records old and new.

    The store keeps the old number as well as the new one: neither road can remove a shipment it was told of
    (docs/custom-store-v1.md#shipnotify-repeats), as with a void."""
    order = Order.objects.select_for_update().select_related("store").get(pk=shipment.order_id)
    order_check_writable(order=order)
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if shipment.state == ShipmentState.VOIDED:
        raise ValidationError(
            gettext("Shipment %(id)s is voided: ship the order again instead.") % {"id": shipment.pk}, code="voided"
        )
    try:
        new = tracking_number_clean(tracking_number)
    except ValidationError as exc:
        raise ValidationError({"tracking_number": exc.messages}) from None
    if not new:
        raise ValidationError({"tracking_number": [gettext("Enter the corrected tracking number.")]})
    if new == shipment.tracking_number:
        raise ValidationError({"tracking_number": [gettext("This is already the shipment's tracking number.")]})
    old = shipment.tracking_number
    shipment.tracking_number = new
    shipment.tracking_url = tracking_url_for(shipment.carrier, new)
    shipment.updated_at = timezone.now()
    shipment.save(update_fields=["tracking_number", "tracking_url", "updated_at"])
    message = _store_update_requeue(shipment)
    order_event_add(
        order=order,
        actor=actor or "system",
        **event("tracking_corrected", shipment_id=shipment.pk, old=old, new=new),
        data={"shipment_id": shipment.pk, "old": old, "new": new, "message_id": message.pk if message else None},
    )
    tracking_number_changed(shipment)
    return shipment


def _store_update_requeue(shipment: Shipment) -> OutboxMessage | None:
    """The store update that will carry the corrected number: the one still waiting (it reads the shipment
    when it is sent), or a new one after the previous ones (sent, failed, being sent with the old number)."""
    previous = list(
        OutboxMessage.objects.filter(ref=shipment_ref(shipment.pk), kind=OutboxKind.STORE_UPDATE).order_by("id")
    )
    if previous and previous[-1].state == OutboxState.PENDING:
        return previous[-1]
    payload = previous[-1].payload if previous else {}
    return outbox_enqueue(
        tenant=shipment.order.tenant,
        kind=OutboxKind.STORE_UPDATE,
        ref=shipment_ref(shipment.pk),
        dedupe_key=f"store_update:{shipment.pk}:{len(previous) + 1}",
        payload={"shipment_id": shipment.pk, "notify_customer": bool(payload.get("notify_customer"))},
    )
