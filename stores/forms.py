"""Forms shared by the admin and the portal."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import statuses
from .models import RestAuth, Road, StatusMapping, Store


class WriteOnlyPasswordForm(forms.ModelForm):
    """A store form whose password is write-only: never rendered back, blank keeps the current one.

    The admin and the portal both edit stores through subclasses of this one.
    """

    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Write-only: we never show it. Leave blank to keep the current password."),
    )

    api_token = forms.CharField(
        label=_("API token"),
        required=False,
        strip=True,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Write-only: we never show it. Leave blank to keep the current token."),
    )

    # Settings a form may leave out (a form or script that predates them): the store keeps its value.
    KEPT_WHEN_LEFT_OUT = ("reconcile_every_hours", "reconcile_days", "road", "rest_auth")
    # The secrets of each road: a form for one road only (the portal's) drops the other road's.
    ROAD_SECRETS = {"xml": ("password",), "rest": ("api_token",)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.KEPT_WHEN_LEFT_OUT:
            if name in self.fields:
                self.fields[name].required = False

    def _post_clean(self):
        for name in self.KEPT_WHEN_LEFT_OUT:
            if name in self.fields and self.cleaned_data.get(name) in (None, ""):
                self.cleaned_data[name] = getattr(self.instance, name)
        super()._post_clean()

    def store_fields(self) -> dict:
        """The edited settings, for stores.services.store_create / store_update (the password apart)."""
        return {
            name: self.cleaned_data[name]
            for name in self._meta.fields
            if name not in ("tenant", "password", "api_token") and name in self.cleaned_data
        }

    def new_password(self) -> str | None:
        return self.cleaned_data.get("password") or None

    def new_api_token(self) -> str | None:
        return self.cleaned_data.get("api_token") or None

    def save(self, commit: bool = True) -> Store:
        store = super().save(commit=False)
        if self.cleaned_data.get("password"):
            store.set_password(self.cleaned_data["password"])
        if self.cleaned_data.get("api_token"):
            store.set_api_token(self.cleaned_data["api_token"])
        if commit:
            store.save()
            self._save_m2m()
        return store


class StoreAdminForm(WriteOnlyPasswordForm):
    class Meta:
        model = Store
        fields = [
            "tenant",
            "name",
            "platform",
            "road",
            "rest_auth",
            "url",
            "endpoint_path",
            "username",
            "password",
            "api_token",
            "is_active",
            "import_interval_minutes",
            "reconcile_every_hours",
            "reconcile_days",
        ]

    def clean(self):
        cleaned = super().clean()
        road = cleaned.get("road") or self.instance.road or Road.XML
        rest_auth = cleaned.get("rest_auth") or self.instance.rest_auth or RestAuth.TOKEN
        if road == Road.XML and not self.instance.has_password and not cleaned.get("password"):
            self.add_error("password", "Enter the store administrator's password.")
        if (
            road == Road.REST
            and rest_auth == RestAuth.TOKEN
            and not self.instance.has_api_token
            and not cleaned.get("api_token")
        ):
            self.add_error("api_token", "Enter the API token made in the store's admin console.")
        if road == Road.REST and rest_auth == RestAuth.OAUTH and not self.instance.has_oauth_tokens:
            self.add_error(
                "rest_auth",
                "A store connects to the OAuth app from the portal (Connect with "
                "AmeriCommerce); choose API token here.",
            )
        return cleaned


class StatusMappingForm(forms.ModelForm):
    class Meta:
        model = StatusMapping
        fields = StatusMapping.FIELDS
        # A text box, not a line: a store's whole list of statuses is read at a glance (line breaks separate
        # entries like commas, stores.statuses).
        widgets = {
            name: forms.Textarea(attrs={"rows": 1, "cols": 80, "class": "status-list"}) for name in StatusMapping.FIELDS
        }
        labels = {
            "awaiting_payment": _("Awaiting Payment"),
            "awaiting_shipment": _("Awaiting Shipment"),
            "shipped": pgettext_lazy("order status", "Shipped"),
            "cancelled": _("Cancelled"),
            "on_hold": _("On Hold"),
        }
        help_texts = {
            name: _("Store statuses separated by commas; case does not matter.") for name in StatusMapping.FIELDS
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if statuses.is_case_sensitive(self.instance.status_key()):
            for name in StatusMapping.FIELDS:
                self.fields[name].help_text = _(
                    "Store statuses separated by commas, typed exactly as the store sends them: case matters."
                )
