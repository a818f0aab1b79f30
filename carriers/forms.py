"""The carriers layer's forms (portal and admin): carrier accounts (credentials write-only, never rendered
back), ship-from locations and package presets."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import shipdates
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


WEEKDAY_CHOICES = [
    ("1", _("Monday")),
    ("2", _("Tuesday")),
    ("3", _("Wednesday")),
    ("4", _("Thursday")),
    ("5", _("Friday")),
    ("6", _("Saturday")),
    ("7", _("Sunday")),
]


class ShipFromForm(forms.ModelForm):
    """A location, and its ship dates: its time zone (a list of IANA names), its daily cutoff and its working
    days (check boxes). Left out of a post, each keeps the location's value (a new one: 17:00, Monday to
    Friday, America/New_York)."""

    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        help_text=_("Where the place is: its cutoff is on that clock."),
    )
    cutoff_time = forms.TimeField(
        label=_("Daily cutoff"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("A label bought at or after this time ships on the next working day."),
    )
    working_days = forms.MultipleChoiceField(
        label=_("Working days"),
        required=False,
        choices=WEEKDAY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The days parcels leave. A label bought on another day ships on the next of these."),
    )
    # Set by the portal's form, which shows the days: none ticked there is an error, not "keep them".
    working_days_shown = forms.CharField(widget=forms.HiddenInput, required=False, initial="1")

    class Meta:
        model = ShipFrom
        fields = list(SHIP_FROM_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(name, name) for name in shipdates.time_zone_names()]
        self.initial["working_days"] = list(self.instance.working_days or shipdates.DEFAULT_WORKING_DAYS)
        self.initial.setdefault("time_zone", self.instance.time_zone or shipdates.DEFAULT_TIME_ZONE)
        self.initial.setdefault("cutoff_time", self.instance.cutoff_time or shipdates.DEFAULT_CUTOFF)

    def clean_time_zone(self):
        return self.cleaned_data.get("time_zone") or self.instance.time_zone or shipdates.DEFAULT_TIME_ZONE

    def clean_cutoff_time(self):
        return self.cleaned_data.get("cutoff_time") or self.instance.cutoff_time or shipdates.DEFAULT_CUTOFF

    def clean_working_days(self):
        days = self.cleaned_data.get("working_days")
        if not days:
            if self.is_bound and self.data.get(self.add_prefix("working_days_shown")):
                raise forms.ValidationError(_("Choose at least one working day."))
            return self.instance.working_days or shipdates.DEFAULT_WORKING_DAYS
        return shipdates.normal_days(days)


class PackagePresetForm(forms.ModelForm):
    class Meta:
        model = PackagePreset
        fields = list(PRESET_FIELDS)
