"""The carrier account form (portal and admin): credentials are write-only, never rendered back."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import TrackedCarrier


class CarrierAccountForm(forms.Form):
    carrier = forms.ChoiceField(label=_("Carrier"), choices=TrackedCarrier.choices)
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
    )
    client_secret = forms.CharField(
        label=_("Client secret"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    test_mode = forms.BooleanField(label=_("Test mode (the carrier's test servers)"), required=False)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            del self.fields["carrier"]
            help_text = _("Saved and never shown. Leave both blank to keep them; type both to replace them.")
            self.fields["client_id"].help_text = help_text
        else:
            self.fields["client_id"].required = True
            self.fields["client_secret"].required = True
