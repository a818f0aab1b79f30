"""The store's shipping-method table (requested method → carrier + service): its add and edit forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shipments.models import ShippingMethodMapping

from .labels import carrier_choices

_field = ShippingMethodMapping._meta.get_field


class ShippingMethodMappingForm(forms.Form):
    carrier = forms.ChoiceField(label=_("Carrier"), choices=carrier_choices)
    service = forms.CharField(
        label=_("Service"),
        max_length=_field("service").max_length,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Priority Mail")}),
    )


class ShippingMethodMappingAddForm(ShippingMethodMappingForm):
    requested_method = forms.CharField(
        label=_("Requested shipping method"),
        max_length=_field("requested_method").max_length,
        help_text=_("Exactly as the store names it on its orders, e.g. “USPS Priority Mail”."),
    )
    field_order = ["requested_method", "carrier", "service"]
