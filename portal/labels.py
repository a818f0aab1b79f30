"""Translatable labels for the codes other apps store (their model choices are English-only)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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
    "reconcile": _("Reconciliation sweep"),
}


def status_choices():
    return list(STATUS_LABELS.items())


def label_for(code: str, fallback: str = "") -> str:
    return STATUS_LABELS.get(code) or STATE_LABELS.get(code) or fallback or code
