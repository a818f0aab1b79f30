"""Translatable labels for the codes other apps store (their model choices are English-only)."""

import functools
import re

from django.utils.translation import get_language, gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

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
    "skipped": pgettext_lazy("import run state", "Skipped"),
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


# --- messages stored in English ----------------------------------------------------------------------
# A worker words a store's error when it happens, in English, and keeps the words (import runs, store
# updates). Each sentence that is one of the catalogue's own messages is worded again in the reader's
# language, its parameters read back from the English text; anything else (what the store itself said)
# stays as it was.


@functools.lru_cache(maxsize=8)
def _stored_sentence_patterns(language: str) -> tuple:
    from django.utils.translation import trans_real

    catalog = trans_real.translation(language)._catalog
    patterns = []
    for msgid in catalog.keys():
        if not isinstance(msgid, str) or len(msgid) < 25 or not msgid.endswith((".", ")")) or " " not in msgid:
            continue
        names = re.findall(r"%\((\w+)\)s", msgid)
        if len(names) != len(set(names)) or re.search(r"%(?!\(\w+\)s)", msgid.replace("%%", "")):
            continue
        pattern = re.escape(msgid)
        for name in names:
            pattern = pattern.replace(re.escape(f"%({name})s"), f"(?P<{name}>.+?)", 1)
        try:
            patterns.append((re.compile(pattern), msgid))
        except re.error:
            continue
    patterns.sort(key=lambda p: -len(p[1]))
    return tuple(patterns)


def stored_text(text: str) -> str:
    """A message a worker stored in English, in the active language where the catalogue knows its words."""
    language = get_language() or "en"
    if not text or language.split("-")[0] == "en":
        return text
    for pattern, msgid in _stored_sentence_patterns(language):
        if msgid.split(" ", 1)[0] in text:
            text = pattern.sub(lambda m, msgid=msgid: gettext(msgid) % m.groupdict(), text)
    return text
