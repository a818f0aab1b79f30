"""The forms of issue 30's pages: tags, shipping presets, rules (conditions and actions as JSON, checked by
orders.rules.schema through the services), and an order's choices. They validate; services write."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orders.models import Confirmation, RuleMatch, TagColor
from orders.rules.schema import ACTIONS, FIELDS


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


class JSONListField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "code"})

    def prepare_value(self, value):
        return value if isinstance(value, str) else json.dumps(value or [], indent=1, ensure_ascii=False)

    def to_python(self, value):
        text = super().to_python(value).strip() or "[]"
        try:
            return json.loads(text)
        except ValueError as error:
            raise forms.ValidationError(_("Not JSON: %(error)s") % {"error": error}) from None


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    store = forms.TypedChoiceField(label=_("Store"), coerce=int, required=False, empty_value=None)
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    match = forms.ChoiceField(label=_("When"), choices=RuleMatch.choices, initial=RuleMatch.ALL)
    conditions = JSONListField(label=_("Conditions"), required=False)
    actions = JSONListField(label=_("Actions"))
    override_manual = forms.BooleanField(
        label=_("Override a person's choice"), required=False, help_text=_("Otherwise a person's choice wins.")
    )

    def __init__(self, *args, stores=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.stores = {s.pk: s for s in stores}
        # Worded when the form is made, in the reader's language.
        self.fields["conditions"].help_text = gettext('A list of {"field", "op", "value"}. Fields: %(fields)s.') % {
            "fields": ", ".join(FIELDS)
        }
        self.fields["actions"].help_text = gettext('A list of {"type", …}. Types: %(types)s.') % {
            "types": ", ".join(ACTIONS)
        }
        self.fields["store"].choices = [("", _("Every store"))] + [(s.pk, s.name) for s in stores]

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["store"] = self.stores.get(data["store"])
        return data
