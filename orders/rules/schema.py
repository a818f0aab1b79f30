"""The shape of a rule's conditions and actions (JSON), checked before a rule is stored: a malformed rule is
refused with the condition's or action's field named, never stored. `validate` answers the errors; the
services turn them into a ValidationError."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

TEXT_OPS = ("is", "is_not", "in", "not_in", "contains", "starts_with")
NUMBER_OPS = ("lt", "lte", "gt", "gte", "eq", "between")
BOOL_OPS = ("is",)
ID_OPS = ("is", "in", "not_in")

# field -> (its operators, the kind of its value)
FIELDS: dict[str, tuple[tuple[str, ...], str]] = {
    "store": (ID_OPS, "id"),
    "storefront": (TEXT_OPS, "text"),
    "shipping_method": (TEXT_OPS, "text"),
    "country": (TEXT_OPS, "text"),
    "state": (TEXT_OPS, "text"),
    "postal_code": (TEXT_OPS, "text"),
    "residential": (BOOL_OPS, "bool"),
    "weight": (NUMBER_OPS, "number"),
    "item_count": (NUMBER_OPS, "number"),
    "order_total": (NUMBER_OPS, "number"),
    "sku": (("is", "is_not", "matches", "not_matches"), "text"),
    "product": (ID_OPS, "id"),
    "tag": (("has", "has_not"), "id"),
    "buyer_note": (BOOL_OPS, "bool"),
    "gift": (BOOL_OPS, "bool"),
}
WEIGHT_UNITS = {"lb": "Pounds", "oz": "Ounces", "kg": "Kilograms", "g": "Grams"}

# action type -> (its key, the kind of its value)
ACTIONS: dict[str, tuple[str, str]] = {
    "preset": ("preset", "id"),
    "add_tags": ("tags", "ids"),
    "remove_tags": ("tags", "ids"),
    "hold": ("until", "date"),
    "package": ("package", "id"),
    "assign": ("user", "id"),
}
LIST_OPS = ("in", "not_in", "between")
MAX_CONDITIONS = 50
MAX_ACTIONS = 20


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _number(value) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _value_error(kind: str, op: str, value) -> str | None:
    """What is wrong with a condition's value, or None."""
    values = value if op in LIST_OPS else [value]
    if op in LIST_OPS and (not isinstance(value, list) or not value):
        return "a non-empty list"
    if op == "between" and len(value) != 2:
        return "a list of two numbers [from, to]"
    for one in values:
        if kind == "id" and not _is_id(one):
            return "an id (a whole number)" if op not in LIST_OPS else "a list of ids"
        if kind == "number" and _number(one) is None:
            return "a number"
        if kind == "bool" and not isinstance(one, bool):
            return "true or false"
        if kind == "text" and (not isinstance(one, str) or not one.strip() or len(one) > 200):
            return "text (1 to 200 characters)"
    return None


def condition_errors(index: int, condition) -> list[str]:
    where = f"condition {index + 1}"
    if not isinstance(condition, dict):
        return [f"{where}: an object with field, op and value"]
    field = condition.get("field")
    if field not in FIELDS:
        return [f"{where}: field: “{field}” is not a field a rule can test ({', '.join(FIELDS)})"]
    ops, kind = FIELDS[field]
    op = condition.get("op")
    if op not in ops:
        return [f"{where} ({field}): op: “{op}” is not one of {', '.join(ops)}"]
    if "value" not in condition:
        return [f"{where} ({field}): value: missing"]
    wanted = _value_error(kind, op, condition["value"])
    if wanted:
        return [f"{where} ({field}): value: expected {wanted}"]
    unknown = set(condition) - {"field", "op", "value", "unit"}
    if unknown:
        return [f"{where} ({field}): unknown key(s) {', '.join(sorted(unknown))}"]
    if "unit" in condition and (field != "weight" or condition["unit"] not in WEIGHT_UNITS):
        return [f"{where} ({field}): unit: expected one of {', '.join(WEIGHT_UNITS)} (weight only)"]
    return []


def action_errors(index: int, action) -> list[str]:
    where = f"action {index + 1}"
    if not isinstance(action, dict):
        return [f"{where}: an object with a type"]
    kind = action.get("type")
    if kind not in ACTIONS:
        return [f"{where}: type: “{kind}” is not an action ({', '.join(ACTIONS)})"]
    key, value_kind = ACTIONS[kind]
    value = action.get(key)
    if value_kind == "id" and not _is_id(value):
        return [f"{where} ({kind}): {key}: expected an id (a whole number)"]
    if value_kind == "ids" and (not isinstance(value, list) or not value or not all(_is_id(v) for v in value)):
        return [f"{where} ({kind}): {key}: expected a non-empty list of ids"]
    if value_kind == "date" and value is not None:
        try:
            dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            return [f"{where} ({kind}): until: expected a date (YYYY-MM-DD) or null (hold for review)"]
    if kind == "hold" and not isinstance(action.get("reason", ""), str):
        return [f"{where} ({kind}): reason: expected text"]
    unknown = set(action) - {"type", key, "reason"}
    if unknown:
        return [f"{where} ({kind}): unknown key(s) {', '.join(sorted(unknown))}"]
    return []


def validate(conditions, actions) -> dict[str, list[str]]:
    """{"conditions": [...], "actions": [...]} of what is wrong (empty when the rule is well formed)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(conditions, list):
        errors["conditions"] = ["expected a list of conditions"]
    elif len(conditions) > MAX_CONDITIONS:
        errors["conditions"] = [f"at most {MAX_CONDITIONS} conditions"]
    else:
        found = [e for i, c in enumerate(conditions) for e in condition_errors(i, c)]
        if found:
            errors["conditions"] = found
    if not isinstance(actions, list) or not actions:
        errors["actions"] = ["expected a non-empty list of actions"]
    elif len(actions) > MAX_ACTIONS:
        errors["actions"] = [f"at most {MAX_ACTIONS} actions"]
    else:
        found = [e for i, a in enumerate(actions) for e in action_errors(i, a)]
        if found:
            errors["actions"] = found
    return errors


def referenced(conditions: list[dict], actions: list[dict]) -> dict[str, set[int]]:
    """The ids a well-formed rule names, by kind (stores, products, tags, presets, packages, users): the
    services check each is the tenant's."""
    found: dict[str, set[int]] = {k: set() for k in ("store", "product", "tag", "preset", "package", "user")}
    for c in conditions:
        if c["field"] in ("store", "product", "tag"):
            found[c["field"]].update(c["value"] if isinstance(c["value"], list) else [c["value"]])
    for a in actions:
        if a["type"] in ("add_tags", "remove_tags"):
            found["tag"].update(a["tags"])
        elif a["type"] in ("preset", "package"):
            found[a["type"]].add(a[a["type"]])
        elif a["type"] == "assign":
            found["user"].add(a["user"])
    return found
