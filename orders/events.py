"""An order's history as data: each event is a kind and its parameters, worded when it is read.

Writers call `event(kind, **params)` (or pass `kind` and `params` to `order_event_add`); the one map
below turns a kind into a translatable sentence, so the portal shows every event, old or new, in
the reader's language. Parameters that are codes (order statuses, carriers, e-mail kinds) stay codes
and are labelled by the reader's `label` function. The English sentence is also stored in
`OrderEvent.message` for the admin and for events that predate parameters (see `legacy_params`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils import translation
from django.utils.translation import gettext_lazy as _

# kind → sentence. A kind with variants is keyed "kind:variant" (see `_key`).
TEMPLATES = {
    "imported": _("Imported from the store with status “%(store_status)s”."),
    "imported:plain": _("Imported from the store."),
    "updated": _("Updated from the store (store status “%(store_status)s”)."),
    "status": _("Status %(from)s → %(to)s."),
    "status:reason": _("Status %(from)s → %(to)s: %(reason)s."),
    "status:stays": _("Status stays %(from)s: %(reason)s."),
    "status:store": _("Updated from the store (store status “%(store_status)s”): status %(from)s → %(to)s."),
    "status:store_reason": _(
        "Updated from the store (store status “%(store_status)s”). Status %(from)s → %(to)s: %(reason)s."
    ),
    "status:store_stays": _(
        "Updated from the store (store status “%(store_status)s”). Status stays %(from)s: %(reason)s."
    ),
    "notes": _("Notes edited."),
    "recovered": _(
        "Recovered by reconciliation: earlier imports had missed this order as the store last "
        "modified it (%(modified_at)s UTC)."
    ),
    "shipment_created": _("Shipment %(shipment_id)s created: %(summary)s via %(carrier)s %(tracking_number)s."),
    "shipment_voided": _("Shipment %(shipment_id)s voided."),
    "shipment_voided:told": _(
        "Shipment %(shipment_id)s voided. The store still shows it and its tracking number "
        "(a void cannot be sent to the store); the re-shipment will send the new tracking."
    ),
    "tracking_corrected": _(
        "Shipment %(shipment_id)s: tracking number corrected from “%(old)s” to “%(new)s”; the store is sent "
        "the new one and carrier tracking follows it."
    ),
    "attention_cleared": _("Marked as handled: %(attention)s"),
    "shipment_delivered": _("Shipment %(shipment_id)s delivered."),
    "shipment_out_for_delivery": _("Shipment %(shipment_id)s is out for delivery, says %(carrier)s."),
    "shipment_exception": _("%(carrier)s reports a problem with shipment %(shipment_id)s: %(description)s"),
    "shipment_returned": _("%(carrier)s is returning shipment %(shipment_id)s to the sender: %(description)s"),
    "store_notified": _("Store notified of shipment %(shipment_id)s (HTTP %(response_status)s)."),
    "store_update_failed": _("Store update for shipment %(shipment_id)s failed: %(error)s"),
    "email_sent": _("%(email)s e-mailed to %(to)s for shipment %(shipment_id)s."),
    "email_failed": _("%(email)s for shipment %(shipment_id)s was not sent: %(error)s"),
    # Issue 30: choices by the automation rules ("rule_set:<what>") and by people ("choice:<what>").
    "rule_set:preset": _("Shipping preset “%(value)s” chosen by rule “%(rule)s”."),
    "rule_set:preset_mapped": _("Shipping preset “%(value)s” chosen by the method mapping %(rule)s."),
    "rule_set:preset_product": _("Shipping preset “%(value)s”: the default of product %(rule)s."),
    "rule_set:package": _("Package “%(value)s” chosen by rule “%(rule)s”."),
    "rule_set:assignee": _("Marked for %(value)s by rule “%(rule)s”."),
    "rule_set:tag_added": _("Tag “%(value)s” added by rule “%(rule)s”."),
    "rule_set:tag_removed": _("Tag “%(value)s” removed by the rules."),
    "rule_set:hold": _("Held by rule “%(rule)s” (until: %(value)s)."),
    "rule_set:preset_cleared": _("Shipping preset “%(value)s” cleared: no rule chooses it now."),
    "rule_set:package_cleared": _("Package “%(value)s” cleared: no rule chooses it now."),
    "rule_set:assignee_cleared": _("No longer marked for %(value)s: no rule marks it now."),
    "rules_skipped": _("The automation rules skipped this order: %(reason)s."),
    "choice:preset": _("Shipping preset set to “%(value)s”."),
    "choice:preset_cleared": _("Shipping preset cleared."),
    "choice:assignee": _("Marked for %(value)s."),
    "choice:assignee_cleared": _("No longer marked for anyone."),
    "choice:tag_added": _("Tag “%(value)s” added."),
    "choice:tag_removed": _("Tag “%(value)s” removed."),
}

# Why a status moved, when Outbound moved it (`reason(code, **params)`); a reason typed by a person
# (a hold reason) is kept as typed.
REASONS = {
    "put_on_hold": _("put on hold"),
    "hold_released": _("hold released"),
    "operator_override": _("operator override"),
    "shipment": _("shipment %(shipment_id)s"),
    "shipment_voided": _("shipment %(shipment_id)s voided"),
}

# Why the status machine (orders.models.status_transition) moved a status or kept it. Parameters named
# in STATUS_PARAMS hold order status codes, worded by the reader's label function.
STATUS_REASONS = {
    "imported": _("imported from the store"),
    "store": _("the store says %(store)s"),
    "unmapped": _("the store's status is not in any mapping list"),
    "shipped_outside": _("shipped outside Outbound (the store says Shipped and Outbound never shipped it)"),
    "partial_echo": _(
        "the store shows Shipped after Outbound's partial shipment, but units are still to ship (partially shipped)"
    ),
    "void_echo": _(
        "the store still shows the old shipment and tracking (a void cannot be sent to it); "
        "the re-shipment will send the new tracking"
    ),
    "fully_shipped": _("Outbound shipped every unit; the store's %(store)s does not reopen the order"),
    "cancelled_after_partial": _(
        "the store cancelled the order after Outbound shipped part of it; flagged for attention"
    ),
    "cancelled_after_full": _("the store cancelled the order after Outbound shipped all of it; flagged for attention"),
    "cancelled_after_outside": _("the store cancelled an order it had marked shipped; flagged for attention"),
    "outbound_hold": _("the order is held in Outbound; the store's %(store)s does not release it"),
    "not_allowed": _("the store's %(store)s cannot move an order from %(current)s to %(target)s"),
    "all_shipped": _("every shippable unit is shipped"),
    "reopened": _("a shipment was voided and units are left to ship"),
    "all_voided": _(
        "every shipment was voided; the store still shows the old shipment and tracking until "
        "the re-shipment sends the new tracking"
    ),
    "shipments": _("the shipments leave it as it is"),
    "requested": "%(note)s",
    "refused": _("an order cannot move from %(current)s to %(target)s"),
    "contradicts_shipments": _("%(target)s contradicts what Outbound shipped"),
}
STATUS_PARAMS = ("store", "current", "target")

# Parameters holding codes, which the reader's label function words.
CODE_PARAMS = ("from", "to", "status", "carrier", "email")

Label = Callable[[str, str], str]


# A "rules_applied" event's items: [what, value, rule] each (orders.rules.loading.choice_events).
RULE_ITEM = ("what", "value", "rule")


def rule_items(items: list[dict]) -> list[list]:
    """What the rules chose, as an event parameter: [[what, value, rule], …]."""
    return [[item[k] for k in RULE_ITEM] for item in items]


def rules_applied(items: list[dict]) -> dict:
    """The history event of what the rules chose for one order (one line, whatever they chose)."""
    return event("rules_applied", items=rule_items(items))


def rule_words(params: dict, memo: dict | None = None, *, label: Label | None = None) -> str:
    """The sentences of what the rules chose (an "imported" line's `rules` and `rules_skipped` parameters) in
    the active language; `memo` keeps each choice's sentence across calls (an import page words the same few
    choices for many orders)."""
    said = []
    for item in params.get("rules") or ():
        key = tuple(item)
        text = memo.get(key) if memo is not None else None
        if text is None:
            text = describe("rule_set", dict(zip(RULE_ITEM, item, strict=False)), label=label)
            if memo is not None:
                memo[key] = text
        said.append(text)
    if params.get("rules_skipped"):
        said.append(describe("rules_skipped", {"reason": params["rules_skipped"]}, label=label))
    return " ".join(said)


def with_rules(imported: dict, chosen: dict, memo: dict) -> dict:
    """An "imported" event (`event("imported", …)`) with what the rules chose for the order added (`chosen`:
    its `rules` or `rules_skipped` parameters, {} for nothing), worded in the active language through `memo`."""
    if not chosen:
        return imported
    message = f"{imported['message']} {rule_words(chosen, memo)}"
    return {**imported, "params": {**imported["params"], **chosen}, "message": message}


def reason(code: str, **params) -> dict:
    return {"code": code, "params": params}


def event(kind: str, **params) -> dict:
    """The fields of one history event: its kind, its parameters and the English sentence."""
    return {"kind": kind, "params": params, "message": describe(kind, params, language="en")}


def _key(kind: str, params: dict) -> str:
    if kind == "imported" and params.get("store_status") is None:
        return "imported:plain"
    if kind in ("status", "updated") and "from" in params:
        stays = params.get("from") == params.get("to")
        if params.get("store_status") is not None:
            if params.get("reason"):
                return "status:store_stays" if stays else "status:store_reason"
            return "status:store"
        if params.get("reason"):
            return "status:stays" if stays else "status:reason"
        return "status"
    if kind in ("rule_set", "choice"):
        return f"{kind}:{params.get('what')}"
    if kind == "shipment_voided" and params.get("store_told"):
        return "shipment_voided:told"
    return kind


def _english_label(name: str, code: str) -> str:
    from django.apps import apps

    where = {
        "from": ("orders", "Order", "status"),
        "to": ("orders", "Order", "status"),
        "status": ("orders", "Order", "status"),
        "carrier": ("shipments", "Shipment", "carrier"),
        "email": ("shipments", "EmailSend", "kind"),
    }.get(name)
    if where:
        try:
            field = apps.get_model(where[0], where[1])._meta.get_field(where[2])
            return str(dict(field.flatchoices).get(code, code))
        except LookupError:
            pass
    return code


def reason_text(code: str, params: dict, label: Label | None = None) -> str:
    """A status reason (orders.events.reason or a status machine code) in the active language."""
    template = REASONS.get(code) or STATUS_REASONS.get(code)
    if template is None:
        return str(code)
    label = label or _english_label
    values = {
        k: (label("status", str(v)) if k in STATUS_PARAMS and v is not None else v) for k, v in (params or {}).items()
    }
    if "note" in values:
        values["note"] = _reason_text(values["note"], label)
    try:
        return str(template) % values
    except (KeyError, TypeError, ValueError):
        return str(code)


def _reason_text(value, label: Label | None = None) -> str:
    if isinstance(value, dict):
        return reason_text(value.get("code", ""), value.get("params", {}), label)
    return str(value or "")


def describe(
    kind: str, params: dict, *, label: Label | None = None, fallback: str = "", language: str | None = None
) -> str:
    """The sentence for one event, in the active language (or `language`); `fallback` if it cannot be made."""
    if language:
        with translation.override(language):
            return describe(kind, params, label=label, fallback=fallback)
    if kind == "rules_applied":  # one line per order: each choice the rules made, worded in turn
        return rule_words({"rules": params.get("items") or []}, label=label)
    if kind == "imported" and ("rules" in params or "rules_skipped" in params):
        # A new order's one history line holds what the rules chose for it at import (orders.importing.rules).
        plain = {k: v for k, v in params.items() if k not in ("rules", "rules_skipped")}
        return f"{describe(kind, plain, label=label, fallback=fallback)} {rule_words(params, label=label)}".strip()
    template = TEMPLATES.get(_key(kind, params))
    if template is None:
        return fallback or kind
    label = label or _english_label
    values = {k: (label(k, str(v)) if k in CODE_PARAMS and v is not None else v) for k, v in params.items()}
    if "reason" in values:
        values["reason"] = _reason_text(values["reason"], label)
    try:
        return (str(template) % values).replace(" .", ".")
    except (KeyError, TypeError, ValueError):
        return fallback or kind


# Events written before they carried parameters: their `data` and English `message` hold enough.
_LEGACY = {
    "status": re.compile(r"^Status .+? → .+?: (?P<reason>.+)$"),
    "shipment_created": re.compile(r"^Shipment \d+ created: (?P<summary>.*) via (?P<rest>.+?)\.$"),
    "store_notified": re.compile(r"\(HTTP (?P<response_status>\d+)\)"),
    "store_update_failed": re.compile(r" failed: (?P<error>.*)$", re.S),
    "email_sent": re.compile(r" e-mailed for shipment \d+: sent to (?P<to>.*)$", re.S),
    "email_failed": re.compile(r" was not sent: (?P<error>.*)$", re.S),
}
_LEGACY_REASONS = [
    (re.compile(r"^put on hold$"), "put_on_hold"),
    (re.compile(r"^hold released$"), "hold_released"),
    (re.compile(r"^operator override$"), "operator_override"),
    (re.compile(r"^shipment (?P<shipment_id>\d+)$"), "shipment"),
    (re.compile(r"^shipment (?P<shipment_id>\d+) voided$"), "shipment_voided"),
]


def legacy_params(kind: str, data: dict, message: str) -> dict:
    """Parameters for an event stored before events had them; empty when they cannot be recovered."""
    params = {
        k: v
        for k, v in (data or {}).items()
        if k in ("store_status", "status", "from", "to", "shipment_id", "email", "attempts")
    }
    match = _LEGACY.get(kind) and _LEGACY[kind].search(message or "")
    if match:
        found = match.groupdict()
        if kind == "status":
            text = found["reason"].rstrip(".")
            for pattern, code in _LEGACY_REASONS:
                if m := pattern.match(text):
                    params["reason"] = reason(code, **m.groupdict())
                    break
            else:
                params["reason"] = text
        elif kind == "shipment_created":
            carrier, tracking = _legacy_carrier(found["rest"])
            params.update(summary=found["summary"], carrier=carrier, tracking_number=tracking)
        else:
            params.update(found)
    return params


def _legacy_carrier(text: str) -> tuple[str, str]:
    """'DHL Express 123' → ('DHL', '123'): the longest carrier label the text starts with."""
    from django.apps import apps

    choices = apps.get_model("shipments", "Shipment")._meta.get_field("carrier").flatchoices
    for code, label in sorted(choices, key=lambda c: -len(str(c[1]))):
        if text == label or text.startswith(f"{label} "):
            return code, text[len(label) :].strip()
    return text, ""


def render(order_event, *, label: Label | None = None) -> str:
    """An OrderEvent in the active language; the stored message when its sentence cannot be made."""
    params = order_event.params or legacy_params(order_event.kind, order_event.data, order_event.message)
    return describe(order_event.kind, params, label=label, fallback=order_event.message)
