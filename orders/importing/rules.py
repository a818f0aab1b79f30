"""The automation rules' part of an import page (issue 30, docs/rules.md): a new order's choices by the rules,
compiled once per run (ImportContext.rules), into its row; its tags into the page's bulk statement and what
they chose into the order's one "imported" history line (rules_history). `ruled` is {order id: (tag ids,
history params)} of the page's new orders."""

from __future__ import annotations

import datetime as dt

from stores.connector.types import ExportOrder

from ..actions import HOLDABLE
from ..events import rule_items
from ..models import OrderStatus, StatusDecision
from ..rules.engine import NO_CURRENT, RuleFieldMissing, evaluate, hold_until
from ..rules.loading import RuleSet, choice_events, facts_of, outcome_fields

# Every order row carries the rules' columns (a bulk statement's rows share their keys); an update writes
# only ORDER_IMPORT_FIELDS, so a held order's choices are never touched by an import.
NO_CHOICES = {
    "shipping_preset_id": None,
    "package_id": None,
    "assignee_id": None,
    "hold_until": None,
    "hold_reason": "",
    "choices": {},
    "rules_error": "",
}


def apply_rules(
    rule_set: RuleSet, ruled: dict, export: ExportOrder, order: dict, lines: list[dict], decision: StatusDecision
) -> None:
    """A new order's choices by the rules (compiled once per run), into its row; a rule that cannot read
    the order skips it with the reason kept on the order and in its history, and the page goes on."""
    try:
        outcome = evaluate(
            rule_set.rules,
            facts_of(order, lines, export.source),
            product_presets=rule_set.product_presets.get(order["store_id"]),
            method_presets=rule_set.method_presets.get(order["store_id"]),
        )
    except RuleFieldMissing as error:
        order["rules_error"] = str(error)[:300]
        ruled[export.order_id] = (set(), {"rules_skipped": order["rules_error"]})
        return
    order.update(outcome_fields(outcome))
    history = choice_events(rule_set, outcome, NO_CURRENT)
    if outcome.hold is not None and decision.status in HOLDABLE:
        order["status"] = OrderStatus.ON_HOLD
        order["hold_reason"] = (outcome.hold["reason"] or f"rule “{outcome.hold['name']}”")[:200]
        order["hold_until"] = hold_until(outcome.hold)
    elif outcome.hold is not None:  # a hold the order cannot take
        history = [h for h in history if h["what"] != "hold"]
        outcome.choices.pop("hold", None)
    if outcome.tags or history:
        ruled[export.order_id] = (outcome.tags, {"rules": rule_items(history)} if history else {})


def rules_history(ruled: dict, order_id: str) -> dict:
    """The parameters a new order's "imported" history line adds for the rules ({} when they chose nothing):
    `rules` ([[what, value, rule], …], orders.events words them) or `rules_skipped` (the reason)."""
    found = ruled.get(order_id)
    return found[1] if found else {}


def tag_rows(ruled: dict, ids: dict[str, int], now: dt.datetime) -> list[dict]:
    """The OrderTag rows of what the rules chose for the page's new orders."""
    return [
        {"order_id": ids[order_id], "tag_id": t, "created_at": now}
        for order_id, (tag_ids, _history) in ruled.items()
        if order_id in ids
        for t in sorted(tag_ids)
    ]
