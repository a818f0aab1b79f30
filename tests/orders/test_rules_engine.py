"""Issue 30 acceptance: the rules' one pure evaluation, table-tested over every condition and action, all/any,
and "a person's choice wins" (as orders/status_machine.py is in test_status_machine.py). No database."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

import pytest

from orders.rules.engine import Current, Facts, RuleFieldMissing, compile_rules, evaluate
from orders.rules.schema import FIELDS, validate

BASE = Facts(
    store_id=1,
    storefront="Outlet",
    shipping_method="USPS Ground Advantage",
    country="US",
    state="TX",
    postal_code="78701",
    residential=True,
    weight_grams=Decimal("453.59237") * Decimal("0.5"),  # 0.5 lb
    item_count=2,
    order_total=Decimal("40.00"),
    skus=("GIFT-CARD-1", "MUG"),
    buyer_note=False,
    gift=True,
)


@dataclass
class R:
    id: int
    conditions: list
    actions: list = field(default_factory=lambda: [{"type": "add_tags", "tags": [9]}])
    match: str = "all"
    name: str = ""
    store_id: int | None = None
    override_manual: bool = False

    def __post_init__(self):
        self.name = self.name or f"rule {self.id}"


def matches(condition: dict, facts: Facts = BASE, tags: frozenset = frozenset()) -> bool:
    (rule,) = compile_rules([R(1, [condition])], {5: (1, "MUG"), 6: (2, "MUG")})
    return rule.test(facts, set(tags))


# (condition, matches BASE?)
CONDITIONS = [
    ({"field": "store", "op": "is", "value": 1}, True),
    ({"field": "store", "op": "in", "value": [2, 3]}, False),
    ({"field": "store", "op": "not_in", "value": [2, 3]}, True),
    ({"field": "storefront", "op": "is", "value": "outlet"}, True),
    ({"field": "storefront", "op": "is_not", "value": "Outlet"}, False),
    ({"field": "shipping_method", "op": "contains", "value": "ground"}, True),
    ({"field": "shipping_method", "op": "starts_with", "value": "UPS"}, False),
    ({"field": "shipping_method", "op": "in", "value": ["USPS Ground Advantage", "X"]}, True),
    ({"field": "country", "op": "is", "value": "US"}, True),
    ({"field": "country", "op": "not_in", "value": ["US", "CA"]}, False),
    ({"field": "state", "op": "in", "value": ["TX", "OK"]}, True),
    ({"field": "postal_code", "op": "starts_with", "value": "787"}, True),
    ({"field": "postal_code", "op": "starts_with", "value": "100"}, False),
    ({"field": "residential", "op": "is", "value": True}, True),
    ({"field": "residential", "op": "is", "value": False}, False),
    ({"field": "weight", "op": "lt", "value": 1}, True),
    ({"field": "weight", "op": "lt", "value": 8, "unit": "oz"}, False),
    ({"field": "weight", "op": "lte", "value": 8, "unit": "oz"}, True),
    ({"field": "weight", "op": "gt", "value": "0.2", "unit": "kg"}, True),
    ({"field": "weight", "op": "between", "value": [100, 300], "unit": "g"}, True),
    ({"field": "item_count", "op": "eq", "value": 2}, True),
    ({"field": "item_count", "op": "gte", "value": 3}, False),
    ({"field": "order_total", "op": "gt", "value": 39.99}, True),
    ({"field": "order_total", "op": "between", "value": [50, 10]}, True),
    ({"field": "sku", "op": "is", "value": "mug"}, True),
    ({"field": "sku", "op": "is_not", "value": "MUG"}, False),
    ({"field": "sku", "op": "matches", "value": "GIFT-*"}, True),
    ({"field": "sku", "op": "matches", "value": "GIFT-?"}, False),
    ({"field": "sku", "op": "not_matches", "value": "TEE-*"}, True),
    ({"field": "product", "op": "is", "value": 5}, True),
    ({"field": "product", "op": "in", "value": [6]}, False),  # the same SKU in another store
    ({"field": "product", "op": "not_in", "value": [6]}, True),
    ({"field": "tag", "op": "has", "value": 4}, False),
    ({"field": "tag", "op": "has_not", "value": 4}, True),
    ({"field": "buyer_note", "op": "is", "value": True}, False),
    ({"field": "gift", "op": "is", "value": True}, True),
]
# Each text field takes the six text operators; each number field the six number operators.
TEXT_VALUES = {"storefront": "Outlet", "shipping_method": "USPS Ground Advantage", "country": "US", "state": "TX"}
TEXT_VALUES["postal_code"] = "78701"
for _field, _value in TEXT_VALUES.items():
    CONDITIONS += [
        ({"field": _field, "op": "is", "value": _value.lower()}, True),
        ({"field": _field, "op": "is_not", "value": _value}, False),
        ({"field": _field, "op": "in", "value": ["zz", _value]}, True),
        ({"field": _field, "op": "not_in", "value": [_value]}, False),
        ({"field": _field, "op": "contains", "value": _value[1:]}, True),
        ({"field": _field, "op": "starts_with", "value": "zz"}, False),
    ]
for _field, _value in {"weight": Decimal("0.5"), "item_count": 2, "order_total": Decimal(40)}.items():
    CONDITIONS += [
        ({"field": _field, "op": "lt", "value": str(_value)}, False),
        ({"field": _field, "op": "lte", "value": str(_value)}, True),
        ({"field": _field, "op": "gt", "value": str(_value)}, False),
        ({"field": _field, "op": "gte", "value": str(_value)}, True),
        ({"field": _field, "op": "eq", "value": str(_value)}, True),
        ({"field": _field, "op": "between", "value": [0, str(_value - 1)]}, False),
    ]


@pytest.mark.parametrize(("condition", "expected"), CONDITIONS, ids=lambda v: str(v))
def test_every_condition(condition, expected):
    assert not validate([condition], [{"type": "add_tags", "tags": [1]}])
    assert matches(condition) is expected


def test_the_table_covers_every_field_and_operator():
    covered = {(c["field"], c["op"]) for c, _ in CONDITIONS}
    wanted = {(f, op) for f, (ops, _) in FIELDS.items() for op in ops}
    assert wanted == covered


def test_a_tag_condition_sees_the_tags_earlier_rules_added():
    rules = compile_rules(
        [
            R(1, [{"field": "gift", "op": "is", "value": True}], [{"type": "add_tags", "tags": [4]}]),
            R(2, [{"field": "tag", "op": "has", "value": 4}], [{"type": "preset", "preset": 7}]),
        ]
    )
    out = evaluate(rules, BASE)
    assert out.tags == {4} and out.preset == 7 and out.matched == [1, 2]
    assert out.choices["preset"] == {"by": "rule", "rule": 2, "name": "rule 2"}


@pytest.mark.parametrize(
    ("match", "conditions", "expected"),
    [
        ("all", [("country", "US"), ("state", "TX")], True),
        ("all", [("country", "US"), ("state", "CA")], False),
        ("any", [("country", "CA"), ("state", "TX")], True),
        ("any", [("country", "CA"), ("state", "CA")], False),
        ("all", [], True),
        ("any", [], True),
        ("all", [("country", "US")], True),
        ("any", [("country", "CA")], False),
        ("all", [("country", "US"), ("state", "TX"), ("storefront", "Outlet")], True),
        ("all", [("country", "US"), ("state", "TX"), ("storefront", "Main")], False),
        ("any", [("country", "CA"), ("state", "CA"), ("storefront", "Outlet")], True),
        ("any", [("country", "CA"), ("state", "CA"), ("storefront", "Main")], False),
    ],
)
def test_all_and_any(match, conditions, expected):
    rule = R(1, [{"field": f, "op": "is", "value": v} for f, v in conditions], match=match)
    assert evaluate(compile_rules([rule]), BASE).matched == ([1] if expected else [])


ALWAYS = [{"field": "country", "op": "is", "value": "US"}]


@pytest.mark.parametrize(
    ("actions", "attribute", "expected"),
    [
        ([{"type": "preset", "preset": 3}], "preset", 3),
        ([{"type": "package", "package": 8}], "package", 8),
        ([{"type": "assign", "user": 12}], "assignee", 12),
        ([{"type": "add_tags", "tags": [1, 2]}], "tags", {1, 2}),
        ([{"type": "add_tags", "tags": [1, 2]}, {"type": "remove_tags", "tags": [1]}], "tags", {2}),
        ([{"type": "hold", "until": "2026-12-24", "reason": "customs"}], "hold", "2026-12-24"),
        ([{"type": "hold", "until": None}], "hold", None),
    ],
)
def test_every_action(actions, attribute, expected):
    out = evaluate(compile_rules([R(1, ALWAYS, actions)]), BASE)
    if attribute == "hold":
        assert out.hold["until"] == expected and out.hold["rule"] == 1
        assert out.choices["hold"]["rule"] == 1
    else:
        assert getattr(out, attribute) == expected


def test_an_order_already_on_hold_gets_no_new_hold():
    out = evaluate(compile_rules([R(1, ALWAYS, [{"type": "hold", "until": None}])]), BASE, Current(on_hold=True))
    assert out.hold is None


def test_a_later_rule_replaces_an_earlier_rules_choice_and_tags_add_up():
    rules = compile_rules(
        [
            R(1, ALWAYS, [{"type": "preset", "preset": 1}, {"type": "add_tags", "tags": [1]}]),
            R(2, ALWAYS, [{"type": "preset", "preset": 2}, {"type": "add_tags", "tags": [2]}]),
        ]
    )
    out = evaluate(rules, BASE)
    assert (out.preset, out.tags, out.choices["preset"]["rule"]) == (2, {1, 2}, 2)


PERSON = {"by": "person", "actor": "alice"}


@pytest.mark.parametrize("override", [False, True])
def test_a_persons_choice_wins_unless_the_rule_overrides(override):
    current = Current(
        preset=5,
        package=6,
        assignee=7,
        tags=frozenset({1}),
        choices={
            "preset": PERSON,
            "package": PERSON,
            "assignee": PERSON,
            "tags": {"1": PERSON, "2": {**PERSON, "removed": True}},
        },
    )
    actions = [
        {"type": "preset", "preset": 50},
        {"type": "package", "package": 60},
        {"type": "assign", "user": 70},
        {"type": "remove_tags", "tags": [1]},
        {"type": "add_tags", "tags": [2]},
    ]
    out = evaluate(compile_rules([R(1, ALWAYS, actions, override_manual=override)]), BASE, current)
    if override:
        assert (out.preset, out.package, out.assignee, out.tags) == (50, 60, 70, {2})
        assert out.choices["preset"]["by"] == "rule"
    else:
        assert (out.preset, out.package, out.assignee, out.tags) == (5, 6, 7, {1})
        assert out.choices["preset"] == PERSON and not out.changes(current)


def test_re_applying_starts_from_people_not_from_the_rules_last_choices():
    current = Current(
        preset=5, tags=frozenset({1, 3}), choices={"preset": {"by": "rule", "rule": 9}, "tags": {"1": {"by": "rule"}}}
    )
    out = evaluate(compile_rules([R(1, [{"field": "country", "op": "is", "value": "CA"}])]), BASE, current)
    assert out.preset is None and out.tags == {3}  # tag 3 was set before rules (kept), tag 1 by a rule (gone)
    assert set(out.changes(current)) == {"preset", "tags"}


def test_the_product_default_preset_when_nothing_chose_one():
    out = evaluate([], BASE, product_presets={"MUG": 4})
    assert out.preset == 4 and out.choices["preset"] == {"by": "product", "sku": "MUG"}
    out = evaluate(compile_rules([R(1, ALWAYS, [{"type": "preset", "preset": 3}])]), BASE, product_presets={"MUG": 4})
    assert out.preset == 3


MAPPED = {"USPS Ground Advantage": (8, "USPS Ground Advantage")}


@pytest.mark.parametrize(
    ("who", "current", "rules", "products", "preset", "by"),
    [
        # (the source that chose, the order's choices, the rules, the product defaults) → (preset, by)
        ("mapping", Current(), [], {}, 8, "mapping"),
        ("product", Current(), [], {"MUG": 4}, 4, "product"),
        ("rule", Current(), [R(1, ALWAYS, [{"type": "preset", "preset": 3}])], {"MUG": 4}, 3, "rule"),
        (
            "person",
            Current(preset=5, choices={"preset": PERSON}),
            [R(1, ALWAYS, [{"type": "preset", "preset": 3}])],
            {"MUG": 4},
            5,
            "person",
        ),
        # A rule that does not match leaves the choice to the product, then to the mapping.
        ("mapping", Current(), [R(1, [{"field": "country", "op": "is", "value": "CA"}])], {"CUP": 4}, 8, "mapping"),
        # A preset the mapping chose last time is not a person's: re-applying computes it afresh.
        (
            "rule",
            Current(preset=8, choices={"preset": {"by": "mapping"}}),
            [R(1, ALWAYS, [{"type": "preset", "preset": 3}])],
            {},
            3,
            "rule",
        ),
    ],
)
def test_the_preset_precedence_person_rule_product_then_method_mapping(who, current, rules, products, preset, by):
    out = evaluate(compile_rules(rules), BASE, current, product_presets=products, method_presets=MAPPED)
    assert (out.preset, out.choices["preset"]["by"]) == (preset, by), who


@pytest.mark.parametrize("override", [False, True])
def test_a_persons_choice_of_nothing_is_kept_too(override):
    """ "No preset" and "nobody" chosen by hand: no rule, product default or mapping fills them in."""
    current = Current(choices={"preset": PERSON, "assignee": PERSON})
    actions = [{"type": "preset", "preset": 3}, {"type": "assign", "user": 7}]
    rules = compile_rules([R(1, ALWAYS, actions, override_manual=override)])
    out = evaluate(rules, BASE, current, product_presets={"MUG": 4}, method_presets=MAPPED)
    if override:
        assert (out.preset, out.assignee) == (3, 7)
    else:
        assert (out.preset, out.assignee, out.choices["preset"]) == (None, None, PERSON)
        assert not out.changes(current)
    out = evaluate([], BASE, current, product_presets={"MUG": 4}, method_presets=MAPPED)
    assert (out.preset, out.choices["preset"]) == (None, PERSON)


def test_the_method_mapping_chooses_by_the_requested_method_only():
    out = evaluate([], BASE, method_presets=MAPPED)
    assert out.choices["preset"] == {"by": "mapping", "method": "USPS Ground Advantage", "to": "USPS Ground Advantage"}
    assert out.changes(Current()) == {"preset": (None, 8)}
    assert evaluate([], replace(BASE, shipping_method="UPS Ground"), method_presets=MAPPED).preset is None
    assert evaluate([], replace(BASE, shipping_method=""), method_presets=MAPPED).preset is None
    # A method with surrounding spaces is the same method (the mapping is keyed by the stripped method).
    assert evaluate([], replace(BASE, shipping_method=" USPS Ground Advantage "), method_presets=MAPPED).preset == 8


def test_a_rule_of_another_store_does_not_apply():
    out = evaluate(compile_rules([R(1, ALWAYS, store_id=2)]), BASE)
    assert out.matched == []


@pytest.mark.parametrize(
    ("field_name", "facts"),
    [
        ("weight", replace(BASE, weight_grams=None)),
        ("country", replace(BASE, country="")),
        ("residential", replace(BASE, residential=None)),
    ],
)
def test_a_condition_over_a_field_the_order_lacks_raises_with_the_field(field_name, facts):
    condition = {"field": field_name, "op": "is", "value": True if field_name == "residential" else "US"}
    if field_name == "weight":
        condition = {"field": "weight", "op": "lt", "value": 1}
    with pytest.raises(RuleFieldMissing) as raised:
        evaluate(compile_rules([R(1, [condition], name="Light")]), facts)
    assert raised.value.field == field_name and "Light" in str(raised.value)


@pytest.mark.parametrize(
    ("conditions", "actions", "named"),
    [
        ([{"field": "wieght", "op": "lt", "value": 1}], [{"type": "preset", "preset": 1}], "field: “wieght”"),
        ([{"field": "weight", "op": "below", "value": 1}], [{"type": "preset", "preset": 1}], "(weight): op"),
        ([{"field": "weight", "op": "lt", "value": "heavy"}], [{"type": "preset", "preset": 1}], "(weight): value"),
        ([{"field": "weight", "op": "lt"}], [{"type": "preset", "preset": 1}], "(weight): value: missing"),
        ([{"field": "gift", "op": "is", "value": "yes"}], [{"type": "preset", "preset": 1}], "(gift): value"),
        ([{"field": "tag", "op": "has", "value": "vip"}], [{"type": "preset", "preset": 1}], "(tag): value"),
        ([{"field": "store", "op": "in", "value": []}], [{"type": "preset", "preset": 1}], "(store): value"),
        ([{"field": "sku", "op": "is", "value": "A", "unit": "lb"}], [{"type": "preset", "preset": 1}], "unit"),
        ([{"field": "sku", "op": "is", "value": "A", "code": "x"}], [{"type": "preset", "preset": 1}], "code"),
        ("country = US", [{"type": "preset", "preset": 1}], "conditions"),
        ([], [], "actions"),
        ([], [{"type": "ship"}], "type: “ship”"),
        ([], [{"type": "preset", "preset": "small"}], "(preset): preset"),
        ([], [{"type": "add_tags", "tags": []}], "(add_tags): tags"),
        ([], [{"type": "hold", "until": "tomorrow"}], "(hold): until"),
    ],
)
def test_a_malformed_rule_is_refused_with_the_field_named(conditions, actions, named):
    errors = validate(conditions, actions)
    assert errors and any(named in e for found in errors.values() for e in found), errors
