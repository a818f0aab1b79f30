"""Translatable labels for the codes other apps store (their model choices are English-only)."""

import functools
import re

from django.utils.translation import get_language, gettext, ngettext, pgettext_lazy
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
    "queued": _("Queued"),
    "running": _("Running"),
    "succeeded": _("Succeeded"),
    "failed": _("Failed"),
    "skipped": pgettext_lazy("import run state", "Skipped"),
    # shipments and store updates
    "delivered": _("Delivered"),
    "voided": _("Voided"),
    "pending": _("Pending"),
    "sending": _("Sending"),
    "sent": _("Sent"),
    # roles
    "owner": _("Owner"),
    "admin": _("Admin"),
    "member": _("Member"),
    "viewer": _("Viewer"),
    # import triggers
    "schedule": _("Schedule"),
    "manual": _("Manual"),
    "api": _("API"),
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


_IMPORT_RUN_ACTOR = re.compile(r"import run (\d+)")


def actor_label(actor: str) -> str:
    """Who an order's history names (orders.models.OrderEvent.actor), in the reader's language: Outbound's own
    workers are kept in English words ("import run 12", "outbox", "UPS tracking"); a person's or an API
    key's name stays as it is."""
    run = _IMPORT_RUN_ACTOR.fullmatch(actor)
    if run:
        return gettext("import run %(n)s") % {"n": run.group(1)}
    system = {"outbox": _("outbox"), "import": _("import"), "webhook": _("webhook")}  # their own words
    if actor in system:
        return str(system[actor])
    carrier = actor.removesuffix(" tracking")
    if carrier != actor and carrier in {*Carrier.values, *Carrier.labels}:  # tracking.services: the carrier's name
        return gettext("%(carrier)s tracking") % {"carrier": carrier}
    return actor


SKIP_REASON_LABELS = {"no_ship_to": _("no ship-to address"), "unmapped_status": _("store status not mapped")}


def skip_reason_label(code: str) -> str:
    return SKIP_REASON_LABELS.get(code) or code.replace("_", " ").capitalize()


# --- messages stored in English ----------------------------------------------------------------------
# A worker words a store's error when it happens, in English, and keeps the words (import runs, store
# updates). Each sentence that is one of the catalogue's own messages is worded again in the reader's
# language, its parameters read back from the English text; anything else (what the store itself said)
# stays as it was.


def _sentence_pattern(template: str) -> re.Pattern | None:
    """A regular expression matching `template` with its %(name)s parameters as groups (None if unfit)."""
    if len(template) < 25 or not template.endswith((".", ")")) or " " not in template or "\x04" in template:
        return None
    names = re.findall(r"%\((\w+)\)s", template)
    if len(names) != len(set(names)) or re.search(r"%(?!\(\w+\)s)", template.replace("%%", "")):
        return None
    pattern = re.escape(template)
    for name in names:
        pattern = pattern.replace(re.escape(f"%({name})s"), f"(?P<{name}>.+?)", 1)
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _plural_msgids(language: str) -> list[tuple[str, str]]:
    """(singular, plural) English msgids of the project's own catalogue for `language`. The catalogue
    Django loads keeps only the singular of a plural entry, so the compiled file is read for them."""
    import struct
    from pathlib import Path

    from django.conf import settings

    pairs = []
    for base in settings.LOCALE_PATHS:
        path = Path(base) / language / "LC_MESSAGES" / "django.mo"
        if not path.exists():
            continue
        data = path.read_bytes()
        order = "<" if struct.unpack("<I", data[:4])[0] == 0x950412DE else ">"
        count, originals = struct.unpack(order + "2I", data[8:16])
        for i in range(count):
            length, offset = struct.unpack(order + "2I", data[originals + 8 * i : originals + 8 * i + 8])
            original = data[offset : offset + length].decode("utf-8", "replace")
            if "\0" in original:
                singular, plural = original.split("\0")[:2]
                pairs.append((singular, plural))
    return pairs


@functools.lru_cache(maxsize=8)
def _stored_sentence_patterns(language: str) -> tuple:
    """((pattern, English template, words in the active language from the groups), …), longest first."""
    from django.utils.translation import trans_real

    catalog = trans_real.translation(language)._catalog
    patterns = []
    for msgid in catalog.keys():
        if isinstance(msgid, str) and (pattern := _sentence_pattern(msgid)):
            patterns.append((pattern, msgid, lambda params, msgid=msgid: gettext(msgid) % params))
    for singular, plural in _plural_msgids(language):
        for template, count in ((singular, 1), (plural, 2)):
            if pattern := _sentence_pattern(template):
                patterns.append(
                    (
                        pattern,
                        template,
                        lambda params, s=singular, p=plural, c=count: (
                            ngettext(s, p, int(params["n"]) if str(params.get("n", "")).isdigit() else c) % params
                        ),
                    )
                )
    patterns.sort(key=lambda p: -len(p[1]))
    return tuple(patterns)


def stored_text(text: str) -> str:
    """A message a worker stored in English, in the active language where the catalogue knows its words."""
    language = get_language() or "en"
    if not text or language.split("-")[0] == "en":
        return text
    for pattern, template, words in _stored_sentence_patterns(language):
        if template.split(" ", 1)[0] in text:
            text = pattern.sub(lambda m, words=words: words(m.groupdict()), text)
    return text
