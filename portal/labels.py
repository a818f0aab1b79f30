"""Translatable labels for the codes other apps store (their model choices are English-only)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from orders.events import render
from shipments.models import Carrier

STATUS_LABELS = {
    "awaiting_payment": _("Awaiting Payment"),
    "awaiting_shipment": _("Awaiting Shipment"),
    "on_hold": _("On Hold"),
    "shipped": pgettext_lazy("order status", "Shipped"),
    "cancelled": _("Cancelled"),
}

STATE_LABELS = {
    # import runs
    "queued": _("Queued"), "running": _("Running"), "succeeded": _("Succeeded"), "failed": _("Failed"),
    # shipments and store updates
    "delivered": _("Delivered"), "voided": _("Voided"), "pending": _("Pending"), "sending": _("Sending"),
    "sent": _("Sent"),
    # roles
    "owner": _("Owner"), "admin": _("Admin"), "member": _("Member"), "viewer": _("Viewer"),
    # import triggers
    "schedule": _("Schedule"), "manual": _("Manual"), "api": _("API"),
}


def status_choices():
    return list(STATUS_LABELS.items())


def label_for(code: str, fallback: str = "") -> str:
    return STATUS_LABELS.get(code) or STATE_LABELS.get(code) or fallback or code


# Weight units, carriers and e-mail kinds: stored as codes (English words), shown translated.
WEIGHT_UNIT_LABELS = {"Pounds": _("Pounds"), "Ounces": _("Ounces"), "Grams": _("Grams")}
EMAIL_KIND_LABELS = {"shipment_confirmation": _("Shipment confirmation"), "delivery_notice": _("Delivery notice")}
# Carrier names are brands and stay as they are, except the one that is a word.
CARRIER_LABELS = {"Other": pgettext_lazy("carrier", "Other")}


def carrier_label(code: str) -> str:
    return CARRIER_LABELS.get(code) or dict(Carrier.choices).get(code, code)


def carrier_choices():
    return [(code, carrier_label(code)) for code in Carrier.values]


def weight_unit_label(code: str) -> str:
    return WEIGHT_UNIT_LABELS.get(code, code)


def event_code_label(name: str, code: str) -> str:
    """How orders.events words a code parameter of a history event, in the reader's language."""
    if name == "carrier":
        return carrier_label(code)
    if name == "email":
        return EMAIL_KIND_LABELS.get(code, code)
    return label_for(code)


def event_text(order_event) -> str:
    return render(order_event, label=event_code_label)

SKIP_REASON_LABELS = {"no_ship_to": _("no ship-to address"), "unmapped_status": _("store status not mapped")}


def skip_reason_label(code: str) -> str:
    return SKIP_REASON_LABELS.get(code) or code.replace("_", " ").capitalize()
