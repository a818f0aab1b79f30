"""The carriers layer's forms (portal and admin): carrier accounts (credentials write-only, never rendered
back), ship-from locations and package presets."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import PRESET_FIELDS, SHIP_FROM_FIELDS, CarrierCode, PackagePreset, ShipFrom


class CarrierAccountForm(forms.Form):
    carrier = forms.ChoiceField(label=_("Carrier"), choices=CarrierCode.choices)
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        required=False,
        help_text=_("For you: which account this is (e.g. “Warehouse UPS”)."),
    )
    client_id = forms.CharField(
        label=_("Client ID"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("FedEx: the API key."),
    )
    client_secret = forms.CharField(
        label=_("Client secret"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("FedEx: the secret key."),
    )
    account_number = forms.CharField(
        label=_("Account number"),
        max_length=50,
        required=False,
        help_text=_("The carrier account that labels are billed to (UPS: the shipper number)."),
    )
    test_mode = forms.BooleanField(label=_("Test mode (the carrier's test servers)"), required=False)
    use_for_labels = forms.BooleanField(label=_("Use for labels (rates and buying)"), required=False)
    ship_from = forms.ModelChoiceField(
        label=_("Ships from"),
        queryset=ShipFrom.objects.none(),
        required=False,
        empty_label=_("The store's default ship-from"),
    )

    def __init__(self, *args, tenant=None, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.fields["ship_from"].queryset = ShipFrom.objects.for_tenant(tenant).order_by("name", "pk")
        if editing:
            del self.fields["carrier"]
            help_text = _("Saved and never shown. Leave both blank to keep them; type both to replace them.")
            self.fields["client_id"].help_text = help_text
        else:
            self.fields["client_id"].required = True
            self.fields["client_secret"].required = True


class ShipFromForm(forms.ModelForm):
    class Meta:
        model = ShipFrom
        fields = list(SHIP_FROM_FIELDS)


class PackagePresetForm(forms.ModelForm):
    class Meta:
        model = PackagePreset
        fields = list(PRESET_FIELDS)
