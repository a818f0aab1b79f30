"""The forms of issue 30's pages: tags, shipping presets and the rule editor (conditions as rows of field,
operator and value, actions as fields; the rule they make is checked by orders.rules.schema through the
services, which names the field of a malformed condition). They validate; services write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orders.models import Confirmation, RuleMatch, TagColor
from orders.rules.schema import FIELDS, LIST_OPS


class TagForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    color = forms.ChoiceField(label=_("Colour"), choices=TagColor.choices, initial=TagColor.GREY)


class ShippingPresetForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    carrier_account = forms.TypedChoiceField(label=_("Carrier account"), coerce=int)
    service = forms.CharField(
        label=_("Service"), max_length=100, help_text=_("The carrier's service code, e.g. usps_ground_advantage.")
    )
    package = forms.TypedChoiceField(label=_("Package"), coerce=int, required=False, empty_value=None)
    confirmation = forms.ChoiceField(label=_("Confirmation"), choices=Confirmation.choices, required=False)
    insurance = forms.DecimalField(
        label=_("Insured value"), required=False, min_value=0, max_digits=10, decimal_places=2
    )

    def __init__(self, *args, accounts=(), packages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.accounts = {a.pk: a for a in accounts}
        self.packages = {p.pk: p for p in packages}
        self.fields["carrier_account"].choices = [(a.pk, str(a)) for a in accounts]
        self.fields["package"].choices = [("", _("None"))] + [(p.pk, p.name) for p in packages]

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["carrier_account"] = self.accounts[data["carrier_account"]]
        data["package"] = self.packages.get(data["package"])
        return data


# --- the rule editor: conditions as rows (field, operator, value), actions as fields --------------------------

FIELD_LABELS = {
    "store": _("Store"),
    "storefront": _("Storefront"),
    "shipping_method": _("Requested shipping method"),
    "country": _("Ship-to country"),
    "state": _("Ship-to state"),
    "postal_code": _("Ship-to postal code"),
    "residential": _("Residential address"),
    "weight": _("Weight"),
    "item_count": _("Item count"),
    "order_total": _("Order total"),
    "sku": _("SKU"),
    "product": _("Product (SKU)"),
    "tag": _("Tag"),
    "buyer_note": _("Buyer note present"),
    "gift": _("Gift"),
}
OP_LABELS = {
    "is": _("is"),
    "is_not": _("is not"),
    "in": _("is one of"),
    "not_in": _("is none of"),
    "contains": _("contains"),
    "starts_with": _("starts with"),
    "lt": _("less than"),
    "lte": _("at most"),
    "gt": _("more than"),
    "gte": _("at least"),
    "eq": _("equal to"),
    "between": _("between"),
    "matches": _("matches the pattern"),
    "not_matches": _("does not match the pattern"),
    "has": _("has"),
    "has_not": _("has not"),
}
UNIT_LABELS = {"lb": _("lb"), "oz": _("oz"), "kg": _("kg"), "g": _("g")}
MAX_ROWS = 50
YES = {"yes", "true", "1", "y", "oui", "o", "vrai"}
NO = {"no", "false", "0", "n", "non", "faux"}


@dataclass
class ConditionRow:
    """One row of the rule editor: what was typed (or what a stored condition reads as)."""

    index: int
    field: str = ""
    op: str = ""
    value: str = ""
    unit: str = "lb"


@dataclass
class Names:
    """The tenant's rows a condition may name, by name (the editor shows and reads names, stores ids)."""

    stores: dict[int, str]
    tags: dict[int, str]
    products: dict[int, str]  # id -> SKU: the products the rule names
    find_products: Callable[[str], dict[int, str]] = lambda sku: {}  # the workspace's products with a SKU

    def ids(self, kind: str, text: str) -> list[int] | None:
        if kind == "product":
            self.products.update(self.find_products(text.strip()))
        table = {"store": self.stores, "tag": self.tags, "product": self.products}[kind]
        wanted = text.strip().casefold()
        found = [pk for pk, name in table.items() if name.strip().casefold() == wanted]
        if not found and wanted.isdigit() and int(wanted) in table:
            found = [int(wanted)]
        return found or None

    def name(self, kind: str, pk) -> str:
        table = {"store": self.stores, "tag": self.tags, "product": self.products}[kind]
        return table.get(pk, str(pk))


def _parts(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def condition_of(row: ConditionRow, names: Names) -> tuple[dict | None, str | None]:
    """A row as the condition the rule stores ({"field", "op", "value"[, "unit"]}), or an error naming the
    row and its field when a name it gives is no row of the workspace. A value of the wrong kind is passed on
    as typed: the schema refuses it with the field named."""
    field, op, text = row.field, row.op, row.value.strip()
    kind = FIELDS[field][1] if field in FIELDS else "text"
    many = op in LIST_OPS
    where = f"condition {row.index + 1} ({field})"
    value: object = text
    if kind == "id":
        items = _parts(text) if many else [text]
        ids: list[int] = []
        for item in items:
            if not item:
                return None, f"{where}: value: missing"
            found = names.ids(field, item)
            if found is None:
                return None, gettext("%(where)s: no %(field)s named “%(name)s” in this workspace.") % {
                    "where": where,
                    "field": field,
                    "name": item,
                }
            ids += found
        if many:
            value = ids
        elif len(ids) > 1 and op == "is" and "in" in FIELDS[field][0]:
            op, value = "in", ids  # one SKU, a product in each of two stores
        else:
            value = ids[0]
    elif kind == "number":
        value = _parts(text) if many else text
    elif kind == "bool":
        low = text.casefold()
        value = True if low in YES else False if low in NO else text
    elif many:
        value = _parts(text)
    condition = {"field": field, "op": op, "value": value}
    if field == "weight":
        condition["unit"] = row.unit or "lb"
    return condition, None


def row_of(index: int, condition: dict, names: Names) -> ConditionRow:
    """A stored condition as the editor's row."""
    field, op, value = condition.get("field", ""), condition.get("op", ""), condition.get("value")
    kind = FIELDS[field][1] if field in FIELDS else "text"
    values = value if isinstance(value, list) else [value]
    if kind == "id":
        text = ", ".join(names.name(field, v) for v in values)
    elif kind == "bool":
        text = gettext("yes") if value is True else gettext("no") if value is False else str(value)
    else:
        text = ", ".join(str(v) for v in values)
    return ConditionRow(index, field, op, text, condition.get("unit", "lb"))


def rows_from_post(data, prefix: str = "cond") -> list[ConditionRow]:
    """The editor's rows as posted (`cond-0-field`, `cond-0-op`, …), the removed one left out, renumbered."""
    removed = data.get(f"{prefix}-remove", "")
    rows = []
    for i in range(MAX_ROWS):
        if f"{prefix}-{i}-field" not in data:
            continue
        if removed == str(i):
            continue
        rows.append(
            ConditionRow(
                len(rows),
                data.get(f"{prefix}-{i}-field", "").strip(),
                data.get(f"{prefix}-{i}-op", "").strip(),
                data.get(f"{prefix}-{i}-value", ""),
                data.get(f"{prefix}-{i}-unit", "lb").strip(),
            )
        )
    return rows


def conditions_from_rows(rows: list[ConditionRow], names: Names) -> tuple[list[dict], list[str]]:
    """The conditions of the filled rows (a row with no field is left out), and what is wrong with them."""
    conditions, errors = [], []
    for row in rows:
        if not row.field and not row.value.strip():
            continue
        row.index = len(conditions)
        condition, error = condition_of(row, names)
        if error:
            errors.append(error)
        conditions.append(condition or {"field": row.field, "op": row.op, "value": row.value})
    return conditions, errors


HOLD_CHOICES = [("", _("Do not hold")), ("review", _("Hold for review")), ("until", _("Hold until a date"))]


class RuleForm(forms.Form):
    """A rule's name, scope and actions. Its conditions are the editor's rows (`rows_from_post`), read by
    the view; `values(conditions)` gives the rule's fields for the services."""

    name = forms.CharField(label=_("Name"), max_length=100)
    store = forms.TypedChoiceField(label=_("Store"), coerce=int, required=False, empty_value=None)
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    match = forms.ChoiceField(label=_("When"), choices=RuleMatch.choices, initial=RuleMatch.ALL)
    preset = forms.TypedChoiceField(label=_("Apply the shipping preset"), coerce=int, required=False, empty_value=None)
    package = forms.TypedChoiceField(label=_("Set the package"), coerce=int, required=False, empty_value=None)
    assignee = forms.TypedChoiceField(label=_("Mark for"), coerce=int, required=False, empty_value=None)
    add_tags = forms.TypedMultipleChoiceField(
        label=_("Add the tags"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    remove_tags = forms.TypedMultipleChoiceField(
        label=_("Remove the tags"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    hold = forms.ChoiceField(label=_("Hold"), choices=HOLD_CHOICES, required=False)
    hold_until = forms.DateField(label=_("Hold until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    hold_reason = forms.CharField(label=_("Reason for the hold"), max_length=200, required=False)
    override_manual = forms.BooleanField(
        label=_("Override a person's choice"), required=False, help_text=_("Otherwise a person's choice wins.")
    )

    def __init__(self, *args, stores=(), names=None, **kwargs):
        super().__init__(*args, **kwargs)
        names = names or {}
        self.stores = {s.pk: s for s in stores}
        self.fields["store"].choices = [("", _("Every store"))] + [(s.pk, s.name) for s in stores]
        for name, kind, none in (
            ("preset", "preset", _("Keep")),
            ("package", "package", _("Keep")),
            ("assignee", "assignee", _("Keep")),
        ):
            self.fields[name].choices = [("", none)] + list(names.get(kind, {}).items())
        tags = list(names.get("tag", {}).items())
        self.fields["add_tags"].choices = tags
        self.fields["remove_tags"].choices = tags

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("hold") == "until" and not cleaned.get("hold_until"):
            self.add_error("hold_until", gettext("Choose the date the hold ends."))
        elif not self.errors and not self.actions():
            self.add_error(None, gettext("Choose what the rule does: at least one action."))
        return cleaned

    def actions(self) -> list[dict]:
        data = self.cleaned_data
        found: list[dict] = []
        if data.get("preset"):
            found.append({"type": "preset", "preset": data["preset"]})
        if data.get("package"):
            found.append({"type": "package", "package": data["package"]})
        if data.get("assignee"):
            found.append({"type": "assign", "user": data["assignee"]})
        if data.get("add_tags"):
            found.append({"type": "add_tags", "tags": list(data["add_tags"])})
        if data.get("remove_tags"):
            found.append({"type": "remove_tags", "tags": list(data["remove_tags"])})
        if data.get("hold"):
            until = data["hold_until"].isoformat() if data["hold"] == "until" and data.get("hold_until") else None
            found.append({"type": "hold", "until": until, "reason": data.get("hold_reason", "")})
        return found

    def values(self, conditions: list[dict]) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "store": self.stores.get(data["store"]),
            "enabled": data["enabled"],
            "match": data["match"],
            "override_manual": data["override_manual"],
            "conditions": conditions,
            "actions": self.actions(),
        }


def rule_initial(rule) -> dict:
    """A stored rule's fields as the form's initial values (its actions folded into the form's fields: the
    last preset, package and person, every tag added or removed, the first hold)."""
    initial = {
        "name": rule.name,
        "store": rule.store_id,
        "enabled": rule.enabled,
        "match": rule.match,
        "override_manual": rule.override_manual,
        "add_tags": [],
        "remove_tags": [],
    }
    for action in rule.actions:
        kind = action.get("type")
        if kind in ("preset", "package"):
            initial[kind] = action.get(kind)
        elif kind == "assign":
            initial["assignee"] = action.get("user")
        elif kind in ("add_tags", "remove_tags"):
            initial[kind] += list(action.get("tags") or [])
        elif kind == "hold" and "hold" not in initial:
            initial["hold"] = "until" if action.get("until") else "review"
            initial["hold_until"] = action.get("until")
            initial["hold_reason"] = action.get("reason", "")
    return initial


def initial_from_post(data) -> dict:
    """What was posted, as a form's initial values (an "add a condition" or "remove" click re-shows the form
    as typed, without its errors)."""
    initial = {}
    for name in ("name", "store", "match", "preset", "package", "assignee", "hold", "hold_until", "hold_reason"):
        if f"rule-{name}" in data:
            initial[name] = data.get(f"rule-{name}")
    for name in ("enabled", "override_manual"):
        initial[name] = bool(data.get(f"rule-{name}"))
    for name in ("add_tags", "remove_tags"):
        initial[name] = data.getlist(f"rule-{name}")
    return initial
