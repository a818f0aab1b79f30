"""Buyer e-mails: shipment confirmation, estimated delivery changed, out for delivery and delivery notice,
branded per store, in the store's buyer language, each linking to the buyer's tracking page
(docs/tracking-page.md).

Each is a subject / text / HTML template trio under templates/emails/. They travel through the
outbox (kind "email") and every send is recorded in an EmailSend row keyed by the event
("email:shipment_confirmation:<shipment id>"). The record is committed *before* the backend is called,
so a retried task finds it and does not send again: if a worker dies mid-send we would rather leave
the row failed for an operator than risk a second copy in the buyer's inbox.
"""

from __future__ import annotations

import datetime as dt
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from orders.events import event
from orders.services import order_event_add
from outbox.models import OutboxMessage, OutboxState
from outbox.services import PermanentDeliveryError, TransientDeliveryError

from .models import EmailKind, EmailSend, EmailSendState, Shipment
from .services import shipment_tracking_token, store_settings_for


def buyer_name(order) -> str:
    """Who the e-mail greets: the buyer (bill-to), else the ship-to person, else nobody (a neutral
    "Hello,"). A gift's recipient is not the one who reads the shipment notice."""
    for name in ((order.bill_to or {}).get("name"), (order.ship_to or {}).get("name"), order.ship_to_name):
        if name and str(name).strip():
            return str(name).strip()
    return ""


def tracking_page_url(shipment: Shipment) -> str:
    """The buyer's tracking page of this shipment (docs/tracking-page.md), absolute: PUBLIC_BASE_URL and
    /t/<token>/; blank without PUBLIC_BASE_URL (an e-mail needs a whole address: the carrier's link is left)."""
    if not settings.PUBLIC_BASE_URL:
        return ""
    return settings.PUBLIC_BASE_URL + reverse("trackpage:shipment", args=[shipment_tracking_token(shipment)])


def email_context(*, shipment: Shipment, estimated_delivery: dt.date | None = None) -> dict:
    order = shipment.order
    branding = store_settings_for(order)
    lines = [
        {
            "name": sl.order_line.name,
            "sku": sl.order_line.sku,
            "quantity": sl.quantity,
            "image_url": sl.order_line.image_url,
        }
        for sl in shipment.lines.select_related("order_line").order_by("order_line__position", "pk")
    ]
    return {
        "shipment": shipment,
        "order": order,
        "lines": lines,
        "buyer_name": buyer_name(order),
        "company_name": branding.display_name,
        "logo_url": branding.logo_url,
        "accent_colour": branding.accent_colour or "#1f6feb",
        "website": branding.website,
        "phone": branding.phone,
        "reply_to": branding.reply_to,
        "carrier_name": shipment.get_carrier_display(),
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
        "tracking_page_url": tracking_page_url(shipment),
        "estimated_delivery": estimated_delivery,
        "notes_to_buyer": shipment.notes_to_buyer,
    }


# The status a repeated message records: the e-mail went out on an earlier attempt (HTTP's 208,
# "already reported"). Its history event was written then, so none is written now.
ALREADY_SENT = 208


def email_language(shipment: Shipment, language: str | None = None) -> str:
    """The language a buyer e-mail is written in: the one asked for (the previews), else the store's setting."""
    known = {code for code, _ in settings.LANGUAGES}
    if language in known:
        return language
    chosen = store_settings_for(shipment.order).buyer_language
    return chosen if chosen in known else settings.LANGUAGE_CODE


def render_shipment_email(
    *, shipment: Shipment, kind: str, language: str | None = None, context: dict | None = None, **extra
) -> tuple[str, str, str]:
    """(subject, text, html) for one shipment, in the store's buyer language (or `language`); also the
    portal's previews (`context`: the branding being typed). `extra`: e.g. estimated_delivery."""
    if kind not in EmailKind.values:
        raise ValueError(f"Unknown e-mail kind {kind!r}")
    with translation.override(email_language(shipment, language)):
        context = context or email_context(shipment=shipment, **extra)
        subject = " ".join(render_to_string(f"emails/{kind}_subject.txt", context).split())
        text = render_to_string(f"emails/{kind}.txt", context)
        html = render_to_string(f"emails/{kind}.html", context)
    return subject, text, html


def _claim_send(*, message: OutboxMessage, shipment: Shipment, kind: str, to: str) -> EmailSend | None:
    """The send record for this event, marked sending; None when it was already sent."""
    key = message.dedupe_key or f"email:{kind}:{shipment.pk}"
    with transaction.atomic():
        record, created = EmailSend.objects.select_for_update().get_or_create(
            dedupe_key=key, defaults={"tenant_id": shipment.tenant_id, "shipment": shipment, "kind": kind, "to": to}
        )
        if created:
            return record
        if record.state == EmailSendState.SENT:
            return None
        if record.state == EmailSendState.SENDING:
            raise PermanentDeliveryError(
                "An earlier attempt was interrupted while sending this e-mail; it is not sent again so the "
                "buyer never receives two copies. Check the mail server's log."
            )
        record.state = EmailSendState.SENDING
        record.to = to
        record.save(update_fields=["state", "to"])
        return record


def email_state_changed(message: OutboxMessage) -> None:
    shipment_id = (message.payload or {}).get("shipment_id")
    if not shipment_id or message.state not in (OutboxState.SENT, OutboxState.FAILED):
        return
    shipment = Shipment.objects.select_related("order").get(pk=shipment_id)
    if message.state == OutboxState.SENT:
        if message.response_status == ALREADY_SENT:
            return
        order_event_add(
            order=shipment.order,
            actor="outbox",
            **event(
                "email_sent",
                email=message.payload.get("email"),
                shipment_id=shipment.pk,
                to=(shipment.order.email or "").strip(),
            ),
            data={"shipment_id": shipment.pk, "email": message.payload.get("email")},
        )
    else:
        order_event_add(
            order=shipment.order,
            actor="outbox",
            **event(
                "email_failed", email=message.payload.get("email"), shipment_id=shipment.pk, error=message.last_error
            ),
            data={"shipment_id": shipment.pk, "email": message.payload.get("email")},
        )


def email_send(message: OutboxMessage) -> tuple[int, str]:
    kind = message.payload.get("email", "")
    if kind not in EmailKind.values:
        raise PermanentDeliveryError(f"Unknown e-mail kind {kind!r}.")
    shipment = Shipment.objects.select_related("order__store", "order__tenant").get(pk=message.payload["shipment_id"])
    order = shipment.order
    to = (order.email or "").strip()
    if not to:
        raise PermanentDeliveryError(f"Order {order.number} has no e-mail address.")
    record = _claim_send(message=message, shipment=shipment, kind=kind, to=to)
    if record is None:
        return ALREADY_SENT, f"already sent to {to}"
    branding = store_settings_for(order)
    estimated = message.payload.get("estimated_delivery")
    subject, text, html = render_shipment_email(
        shipment=shipment, kind=kind, estimated_delivery=dt.date.fromisoformat(estimated) if estimated else None
    )
    from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]  # checked at start-up (config/settings.py)
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=formataddr((branding.display_name, from_address)),
        to=[to],
        bcc=[branding.copy_to_merchant] if branding.copy_to_merchant else [],
        reply_to=[branding.reply_to] if branding.reply_to else [],
        headers={"X-Outbound-Event": record.dedupe_key},
    )
    email.attach_alternative(html, "text/html")
    try:
        email.send(fail_silently=False)
    except Exception as exc:
        # The backend refused before accepting it: nothing reached the buyer, so a retry is safe.
        EmailSend.objects.filter(pk=record.pk).update(state=EmailSendState.FAILED, error=str(exc)[:2000])
        raise TransientDeliveryError(f"The mail server refused the e-mail: {exc}")
    EmailSend.objects.filter(pk=record.pk).update(
        state=EmailSendState.SENT, subject=subject[:300], sent_at=timezone.now(), error=""
    )
    return 250, f"sent to {to}"
