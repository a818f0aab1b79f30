"""The rules' one pure evaluation: rules compiled once per run into Python predicates (no `eval`: each
condition becomes a closure over its parsed value), evaluated per order against what a rule reads of it
(`Facts`) and the choices it holds (`Current`). Table-tested in tests/orders/test_rules_engine.py, as the
status machine is.

Outcome: the order's choices from the rules, applied in order (a later rule replaces an earlier rule's
preset, package or person; tags add up), starting from the choices people made, which a rule keeps unless
it says "override manual". The choices a rule made last time are not a start: re-applying computes them
afresh, so an edited rule changes exactly the orders it now matches or no longer matches.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .schema import WEIGHT_UNITS, _number

GRAMS = {"Pounds": Decimal("453.59237"), "Ounces": Decimal("28.349523125"), "Grams": Decimal(1), "Kilograms": 1000}
PERSON = "person"
RULE = "rule"
PRODUCT = "product"
MAPPING = "mapping"
CHOICE_FIELDS = ("preset", "package", "assignee")
NONE: dict = {}  # (read only: a missing choice)


class RuleFieldMissing(Exception):
    """A condition reads a field the order does not have (no weight, no ship-to country): the order is
    skipped by the rules with this reason, the others go on."""

    def __init__(self, rule: CompiledRule, field_name: str):
        self.rule, self.field = rule, field_name
        super().__init__(f"rule “{rule.name}” tests {field_name}, which the order does not have")


@dataclass(slots=True)
class Facts:
    """What a rule reads of an order (made once per order and only read: not frozen, as a frozen dataclass's
    construction costs twice as much, once for each order an import evaluates)."""

    store_id: int
    storefront: str = ""
    shipping_method: str = ""
    country: str = ""
    state: str = ""
    postal_code: str = ""
    residential: bool | None = True
    weight_grams: Decimal | None = None
    item_count: int = 0
    order_total: Decimal = Decimal(0)
    skus: tuple[str, ...] = ()
    buyer_note: bool = False
    gift: bool = False
    # The texts as the conditions compare them (casefolded; a postal code without spaces) and the numbers as
    # decimals: made once per order, not once per condition that reads them.
    folded: dict = field(init=False, repr=False, compare=False)
    skus_folded: frozenset = field(init=False, repr=False, compare=False)
    numbers: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.folded = {
            "storefront": self.storefront.strip().casefold(),
            "shipping_method": self.shipping_method.strip().casefold(),
            "country": self.country.casefold(),
            "state": self.state.casefold(),
            "postal_code": self.postal_code.strip().casefold().replace(" ", ""),
        }
        self.skus_folded = frozenset(s.casefold() for s in self.skus)
        self.numbers = {"item_count": Decimal(self.item_count), "order_total": Decimal(self.order_total)}


@dataclass(frozen=True)
class Current:
    """The choices an order holds, and who made each (`choices`, as stored on the order)."""

    preset: int | None = None
    package: int | None = None
    assignee: int | None = None
    tags: frozenset[int] = frozenset()
    on_hold: bool = False
    choices: dict = field(default_factory=dict)


NO_CURRENT = Current()  # (read only) a new order's: no choices, no tags, not held


@dataclass
class Outcome:
    preset: int | None
    package: int | None
    assignee: int | None
    tags: set[int]
    hold: dict | None  # {"until": "YYYY-MM-DD" | None, "reason": …, "rule": id, "name": …}, a new hold
    choices: dict
    matched: list[int] = field(default_factory=list)  # the ids of the rules that matched

    def changes(self, current: Current) -> dict:
        """{what: (before, after)} of what the outcome changes."""
        found = {}
        for name in CHOICE_FIELDS:
            if getattr(self, name) != getattr(current, name):
                found[name] = (getattr(current, name), getattr(self, name))
        if self.tags != set(current.tags):
            found["tags"] = (set(current.tags), self.tags)
        if self.hold is not None:
            found["hold"] = (None, self.hold)
        return found


@dataclass(frozen=True)
class CompiledRule:
    id: int
    name: str
    store_id: int | None
    test: Callable[[Facts, set[int]], bool]
    actions: tuple[dict, ...]
    override_manual: bool = False


# --- compiling -----------------------------------------------------------------------------------------


def _text(field_name: str, op: str, value) -> Callable[[str], bool]:
    if op in ("in", "not_in"):
        wanted = frozenset(v.strip().casefold() for v in value)
        return (lambda x: x in wanted) if op == "in" else (lambda x: x not in wanted)
    v = value.strip().casefold()
    if field_name == "postal_code":
        v = v.replace(" ", "")
    return {
        "is": lambda x: x == v,
        "is_not": lambda x: x != v,
        "contains": lambda x: v in x,
        "starts_with": lambda x: x.startswith(v),
    }[op]


def _numeric(op: str, value) -> Callable[[Decimal], bool]:
    if op == "between":
        low, high = sorted(_number(v) for v in value)
        return lambda x: low <= x <= high
    v = _number(value)
    return {
        "lt": lambda x: x < v,
        "lte": lambda x: x <= v,
        "gt": lambda x: x > v,
        "gte": lambda x: x >= v,
        "eq": lambda x: x == v,
    }[op]


def _condition(rule_ref: list, c: dict, product_skus: dict[int, tuple[int, str]]) -> Callable[[Facts, set[int]], bool]:
    """One condition as a predicate over (facts, the order's tags as the rules left them so far)."""
    name, op, value = c["field"], c["op"], c["value"]

    def missing() -> None:
        raise RuleFieldMissing(rule_ref[0], name)

    if name in ("storefront", "shipping_method", "country", "state", "postal_code"):
        test = _text(name, op, value)
        if name in ("country", "state", "postal_code"):

            def address_part(f: Facts, tags: set[int]) -> bool:
                if not getattr(f, name):
                    missing()
                return test(f.folded[name])

            return address_part
        return lambda f, tags: test(f.folded[name])
    if name in ("residential", "buyer_note", "gift"):

        def flag(f: Facts, tags: set[int]) -> bool:
            got = getattr(f, name)
            if got is None:
                missing()
            return got is value

        return flag
    if name == "weight":
        test = _numeric(op, value)
        per_unit = GRAMS[WEIGHT_UNITS[c.get("unit", "lb")]]

        def weight(f: Facts, tags: set[int]) -> bool:
            if f.weight_grams is None:
                missing()
            return test(f.weight_grams / per_unit)

        return weight
    if name in ("item_count", "order_total"):
        test = _numeric(op, value)
        return lambda f, tags: test(f.numbers[name])
    if name == "store":
        ids = frozenset(value if isinstance(value, list) else [value])
        return (lambda f, tags: f.store_id not in ids) if op == "not_in" else (lambda f, tags: f.store_id in ids)
    if name == "sku":
        if op in ("matches", "not_matches"):
            pattern = re.compile(fnmatch.translate(value.strip()), re.IGNORECASE)
            hit = lambda f: any(pattern.match(s) for s in f.skus)  # noqa: E731
        else:
            v = value.strip().casefold()
            hit = lambda f: v in f.skus_folded  # noqa: E731
        return (lambda f, tags: hit(f)) if op in ("is", "matches") else (lambda f, tags: not hit(f))
    if name == "product":
        ids = value if isinstance(value, list) else [value]
        pairs = frozenset((product_skus[i][0], product_skus[i][1].casefold()) for i in ids if i in product_skus)
        hit = lambda f: any((f.store_id, s) in pairs for s in f.skus_folded)  # noqa: E731
        return (lambda f, tags: not hit(f)) if op == "not_in" else (lambda f, tags: hit(f))
    if name == "tag":
        return (lambda f, tags: value in tags) if op == "has" else (lambda f, tags: value not in tags)
    raise ValueError(f"unknown field {name}")  # the schema refused it before it was stored


def compile_rule(rule, product_skus: dict[int, tuple[int, str]] | None = None) -> CompiledRule:
    """`rule`: anything with id, name, store_id, match, conditions, actions, override_manual (a Rule row).
    `product_skus`: {product id: (store id, sku)} of the products the rules name."""
    ref: list = []
    tests = [_condition(ref, c, product_skus or {}) for c in rule.conditions]
    if not tests:
        test = lambda f, tags: True  # noqa: E731  (a rule without conditions matches every order)
    elif len(tests) == 1:
        test = tests[0]  # one call per order, not a generator's
    elif len(tests) == 2:
        a, b = tests
        if rule.match == "any":
            test = lambda f, tags: a(f, tags) or b(f, tags)  # noqa: E731
        else:
            test = lambda f, tags: a(f, tags) and b(f, tags)  # noqa: E731
    elif rule.match == "any":
        test = lambda f, tags: any(t(f, tags) for t in tests)  # noqa: E731
    else:
        test = lambda f, tags: all(t(f, tags) for t in tests)  # noqa: E731
    compiled = CompiledRule(
        id=rule.id,
        name=rule.name,
        store_id=rule.store_id,
        test=test,
        actions=tuple(rule.actions),
        override_manual=rule.override_manual,
    )
    ref.append(compiled)
    return compiled


def compile_rules(rules: Iterable, product_skus: dict[int, tuple[int, str]] | None = None) -> list[CompiledRule]:
    return [compile_rule(r, product_skus) for r in rules]


# --- evaluating ----------------------------------------------------------------------------------------


def _by_person(choices: dict, name: str) -> bool:
    return (choices.get(name) or {}).get("by") == PERSON


def _base(current: Current) -> tuple[dict, dict, set[int]]:
    """The start of an evaluation: the choices people made (and the product's), none of the rules'."""
    if not current.choices and not current.tags:  # a new order (every order an import evaluates): nothing yet
        return dict.fromkeys(CHOICE_FIELDS), {}, set()
    values = {name: (getattr(current, name) if _by_person(current.choices, name) else None) for name in CHOICE_FIELDS}
    # A person's choice of nothing ("no preset", "nobody") is a choice too: kept like any other.
    choices = {name: current.choices[name] for name in CHOICE_FIELDS if _by_person(current.choices, name)}
    tag_choices = {k: v for k, v in (current.choices.get("tags") or {}).items() if v.get("by") == PERSON}
    tags = {t for t in current.tags if (current.choices.get("tags") or {}).get(str(t), {}).get("by") != RULE}
    tags |= {int(k) for k, v in tag_choices.items() if not v.get("removed")}
    tags -= {int(k) for k, v in tag_choices.items() if v.get("removed")}
    if tag_choices:
        choices["tags"] = tag_choices
    return values, choices, tags


def evaluate(
    rules: Sequence[CompiledRule],
    facts: Facts,
    current: Current | None = None,
    *,
    product_presets: dict[str, int] | None = None,
    method_presets: dict[str, tuple[int, str]] | None = None,
) -> Outcome:
    """The order's choices after the rules (in order), then the product default preset when nothing chose
    one (`product_presets`: {sku: preset id}, the first line's that has one), then the store's method
    mapping when still nothing did (`method_presets`: {requested method: (preset id, "UPS Ground")}, the
    preset of the carrier and service the order's requested method maps to). Precedence: a person, a rule,
    a product default, the method mapping. Raises RuleFieldMissing."""
    current = current or NO_CURRENT
    values, choices, tags = _base(current)
    tag_choices = dict(choices.get("tags") or {})
    hold = None
    matched = []
    for rule in rules:
        if rule.store_id is not None and rule.store_id != facts.store_id:
            continue
        if not rule.test(facts, tags):
            continue
        matched.append(rule.id)
        by = {"by": RULE, "rule": rule.id, "name": rule.name}
        for action in rule.actions:
            kind = action["type"]
            if kind in ("preset", "package", "assign"):
                name = "assignee" if kind == "assign" else kind
                if not rule.override_manual and (choices.get(name) or NONE).get("by") == PERSON:
                    continue
                values[name] = action["user" if kind == "assign" else kind]
                choices[name] = by
            elif kind in ("add_tags", "remove_tags"):
                adding = kind == "add_tags"
                for tag in action["tags"]:
                    if not rule.override_manual and (tag_choices.get(str(tag)) or NONE).get("by") == PERSON:
                        continue
                    if adding:
                        tags.add(tag)
                        tag_choices[str(tag)] = by
                    else:
                        tags.discard(tag)
                        tag_choices.pop(str(tag), None)
            elif kind == "hold" and not current.on_hold and hold is None:
                hold = {"until": action.get("until"), "reason": action.get("reason", ""), **by}
    if values["preset"] is None and "preset" not in choices and product_presets:
        for sku in facts.skus:
            if sku in product_presets:
                values["preset"] = product_presets[sku]
                choices["preset"] = {"by": PRODUCT, "sku": sku}
                break
    if values["preset"] is None and "preset" not in choices and method_presets:
        method = facts.shipping_method.strip()
        if method in method_presets:
            values["preset"], to = method_presets[method]
            choices["preset"] = {"by": MAPPING, "method": method, "to": to}
    if tag_choices:
        choices["tags"] = {k: v for k, v in tag_choices.items() if v.get("by") == PERSON or int(k) in tags}
    else:
        choices.pop("tags", None)
    if hold is not None:
        choices["hold"] = {k: hold[k] for k in ("by", "rule", "name")}
    elif "hold" in current.choices:
        choices["hold"] = current.choices["hold"]
    return Outcome(
        preset=values["preset"],
        package=values["package"],
        assignee=values["assignee"],
        tags=tags,
        hold=hold,
        choices=choices,
        matched=matched,
    )


def weight_grams(weight: Decimal | None, unit: str) -> Decimal | None:
    if weight is None or unit not in GRAMS:
        return None
    return Decimal(weight) * GRAMS[unit]


def hold_until(hold: dict) -> dt.date | None:
    return dt.date.fromisoformat(hold["until"]) if hold.get("until") else None
