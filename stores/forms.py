"""Forms shared by the admin and the portal."""

from __future__ import annotations

import copy

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import statuses
from .models import RestAuth, Road, StatusMapping, Store
from .selectors import store_same_site
from .services import store_connection_test, store_credentials_check


def duplicate_store_error(existing: Store, link: str) -> str:
    """The words every entry point (portal wizard, admin, API) uses to refuse connecting a store twice, with a
    link to the store already connected."""
    return format_html(
        _(
            'This store is already connected as “{name}”: <a href="{link}">open it</a>. Connecting it twice '
            "would import every order twice."
        ),
        name=existing.name,
        link=link,
    )


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

    # Where the refusal of a second connection to the same store links to (the admin's page, the portal's).
    DUPLICATE_LINK = "admin:stores_store_change"

    def clean(self):
        """A store already connected in the tenant (the same site, by either road) is refused, with a link."""
        cleaned = super().clean()
        tenant = cleaned.get("tenant") or (self.instance.tenant if self.instance.tenant_id else None)
        if tenant is not None and cleaned.get("url"):
            platform = cleaned.get("platform") or self.instance.platform
            same = store_same_site(tenant=tenant, url=cleaned["url"], platform=platform, exclude_pk=self.instance.pk)
            if same is not None:
                self.add_error("url", duplicate_store_error(same, reverse(self.DUPLICATE_LINK, args=[same.pk])))
        return cleaned

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
        """The store the form describes, unsaved (a connection test's candidate): stores are saved by
        stores.services (store_create, store_update), never by a form."""
        if commit:
            raise TypeError("Save a store through stores.services (store_create, store_update).")
        store = super().save(commit=False)
        if self.cleaned_data.get("password"):
            store.set_password(self.cleaned_data["password"])
        if self.cleaned_data.get("api_token"):
            store.set_api_token(self.cleaned_data["api_token"])
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
        """Each road needs its credential: the store service's rule, its refusal shown on the fields."""
        cleaned = super().clean()
        candidate = copy.copy(self.instance)  # the saved store, on the road the form chose
        candidate.road = cleaned.get("road") or self.instance.road or Road.XML
        candidate.rest_auth = cleaned.get("rest_auth") or self.instance.rest_auth or RestAuth.TOKEN
        try:
            store_credentials_check(
                store=candidate, password=cleaned.get("password"), api_token=cleaned.get("api_token")
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned

    # A change of any of these can break the connection: the store is tested before it is saved.
    CONNECTION_FIELDS = ("platform", "road", "rest_auth", "url", "endpoint_path", "username")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved_connection = [getattr(self.instance, name) for name in self.CONNECTION_FIELDS]

    def _reaches_the_store_otherwise(self) -> bool:
        """A new store, a new secret, or a connection setting whose value changed (a field left out of the
        post keeps the saved value, so it is compared by value, not by changed_data)."""
        if not self.instance.pk or self.cleaned_data.get("password") or self.cleaned_data.get("api_token"):
            return True
        return [getattr(self.instance, name) for name in self.CONNECTION_FIELDS] != self._saved_connection

    def _post_clean(self):
        """After the model's own checks: test the connection the form describes (as the portal does), unless
        nothing that reaches the store changed. A failure is a form error and nothing is saved."""
        super()._post_clean()
        if self.errors or not self._reaches_the_store_otherwise():
            return
        candidate = copy.copy(self.instance)  # the typed values; the saved store stays as it is
        if candidate.connection.endpoint_path is None:
            candidate.endpoint_path = ""
        if self.cleaned_data.get("password"):
            candidate.set_password(self.cleaned_data["password"])
        if self.cleaned_data.get("api_token"):
            candidate.set_api_token(self.cleaned_data["api_token"])
        result = store_connection_test(store=candidate)
        if not result.ok:
            self.add_error(
                None,
                _("The connection test failed, so nothing was saved: %(detail)s") % {"detail": result.message},
            )


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
