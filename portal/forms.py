"""Portal forms. Labels and errors in plain words, ready for translation."""

from __future__ import annotations

import copy
import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from api.models import ApiKey
from shipments.models import Shipment
from shipments.tracking_numbers import TRACKING_INPUT_MAX, tracking_number_clean
from stores.connector.registry import connection_types
from stores.forms import WriteOnlyPasswordForm
from stores.models import DEFAULT_ENDPOINT_PATH, Platform, RestAuth, Road, Role, Store, StoreSettings
from stores.services import store_credentials_check

from .labels import STATE_LABELS, WEIGHT_UNIT_LABELS, carrier_choices, status_choices

ROLE_CHOICES = [(code, STATE_LABELS[code]) for code in Role.values]


class DateInput(forms.DateInput):
    """A browser date picker: its value is ISO whatever the page's language (a French 30/11/2026 would
    leave it empty)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def _store_limit(name: str) -> int:
    """A form's limit is the column's: one source."""
    return Store._meta.get_field(name).max_length


def platform_choices() -> list[tuple[str, str]]:
    """Every platform with a registered connector, by its display name (AmeriCommerce first)."""
    types = connection_types()
    return [(key, types[key].label) for key in Platform.values if key in types]


class ConnectStoreForm(forms.Form):
    platform = forms.ChoiceField(
        label=_("Platform"),
        choices=platform_choices,
        initial=Platform.AMERICOMMERCE,
        required=False,
        help_text=_(
            "AmeriCommerce: through its ShipStation add-on. Any other cart that "
            "serves a ShipStation Custom Store page: Custom Store (any cart)."
        ),
    )
    name = forms.CharField(
        label=_("Store name"),
        max_length=_store_limit("name"),
        help_text=_("How the store is called in Outbound, e.g. “Acme US”."),
    )
    url = forms.URLField(
        label=_("Store URL"),
        max_length=_store_limit("url"),
        assume_scheme="https",
        validators=Store._meta.get_field("url").validators,
        help_text=_(
            "The address of your AmeriCommerce site, e.g. https://shop.example.com. For "
            "another cart: the full address of its ShipStation Custom Store page, "
            "exactly as your cart gives it."
        ),
    )
    username = forms.CharField(
        label=_("Username"),
        max_length=_store_limit("username"),
        help_text=_("The administrator user you created in step 3."),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    endpoint_path = forms.CharField(
        label=_("XML endpoint path"),
        max_length=_store_limit("endpoint_path"),
        initial=DEFAULT_ENDPOINT_PATH,
        required=False,
        help_text=_("AmeriCommerce only: change this if your store's ShipStation page lives elsewhere."),
    )

    def clean_platform(self) -> str:
        return self.cleaned_data.get("platform") or Platform.AMERICOMMERCE

    def unsaved_store(self) -> Store:
        data = self.cleaned_data
        store = Store(platform=data["platform"], name=data["name"], url=data["url"], username=data["username"])
        # A platform without an endpoint-path convention (any cart) uses the URL as given: no path.
        default_path = store.connection.endpoint_path
        store.endpoint_path = (data["endpoint_path"] or default_path) if default_path is not None else ""
        store.set_password(data["password"])
        return store


def _api_token_field(required: bool = True):
    return forms.CharField(
        label=_("API token"),
        max_length=500,
        required=required,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "The token string from Tools › Apps & Addons › API Apps & Integrations › Tokens (the magnifying "
            "glass next to it). Write-only: we never show it again."
        ),
    )


class ConnectRestForm(forms.Form):
    """The REST road with an API token made in the store's admin console (AmeriCommerce only)."""

    name = forms.CharField(
        label=_("Store name"),
        max_length=_store_limit("name"),
        help_text=_("How the store is called in Outbound, e.g. “Acme US”."),
    )
    url = forms.URLField(
        label=_("Store URL"),
        max_length=_store_limit("url"),
        assume_scheme="https",
        validators=Store._meta.get_field("url").validators,
        help_text=_(
            "The address of your AmeriCommerce site, e.g. https://shop.example.com. Outbound adds /api/v1 itself."
        ),
    )
    api_token = _api_token_field()

    def unsaved_store(self) -> Store:
        data = self.cleaned_data
        store = Store(
            platform=Platform.AMERICOMMERCE,
            road=Road.REST,
            rest_auth=RestAuth.TOKEN,
            name=data["name"],
            url=data["url"],
        )
        store.set_api_token(data["api_token"])
        return store


class ConnectOAuthForm(forms.Form):
    """The REST road through the deployment's OAuth app: the store's address, then one button."""

    name = forms.CharField(
        label=_("Store name"),
        max_length=_store_limit("name"),
        help_text=_("How the store is called in Outbound, e.g. “Acme US”."),
    )
    url = forms.URLField(
        label=_("Store URL"),
        max_length=_store_limit("url"),
        assume_scheme="https",
        validators=Store._meta.get_field("url").validators,
        help_text=_("The address of your AmeriCommerce site, e.g. https://shop.example.com."),
    )


class SwitchToRestForm(forms.Form):
    api_token = _api_token_field()


class SwitchToXmlForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=_store_limit("username"),
        help_text=_("The administrator user the ShipStation add-on signs in as."),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Write-only. Leave blank to use the password saved before, if any."),
    )
    endpoint_path = forms.CharField(
        label=_("XML endpoint path"),
        max_length=_store_limit("endpoint_path"),
        required=False,
        initial=DEFAULT_ENDPOINT_PATH,
        help_text=_("Change this if your store's ShipStation page lives elsewhere."),
    )

    def __init__(self, *args, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        self.store = store
        if not store.has_password:
            self.fields["password"].help_text = _("The password of that user.")

    def clean(self):
        """The XML road needs its password, typed now or saved before: the store service's rule."""
        cleaned = super().clean()
        candidate = copy.copy(self.store)
        candidate.road = Road.XML
        try:
            store_credentials_check(store=candidate, password=cleaned.get("password"))
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned


class ImportSinceForm(forms.Form):
    since = forms.DateField(
        label=_("Import orders modified since"),
        widget=DateInput(),
        help_text=_("The first import fetches every order changed in the store since this day."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["since"].initial = (timezone.now() - dt.timedelta(days=30)).date()

    def clean_since(self):
        since = self.cleaned_data["since"]
        if since > timezone.now().date():
            raise forms.ValidationError(_("Pick a day in the past."))
        return since

    def since_datetime(self) -> dt.datetime:
        return dt.datetime.combine(self.cleaned_data["since"], dt.time.min, tzinfo=dt.UTC)


class StoreConnectionForm(WriteOnlyPasswordForm):
    DUPLICATE_LINK = "portal:store_settings"

    class Meta:
        model = Store
        fields = [
            "name",
            "url",
            "endpoint_path",
            "username",
            "password",
            "import_interval_minutes",
            "is_active",
            "reconcile_every_hours",
            "reconcile_days",
        ]
        labels = {
            "name": _("Store name"),
            "url": _("Store URL"),
            "endpoint_path": _("XML endpoint path"),
            "username": _("Username"),
            "import_interval_minutes": _("Import every (minutes)"),
            "is_active": _("Import on schedule"),
            "reconcile_every_hours": _("Reconciliation sweep every (hours)"),
            "reconcile_days": _("Reconciliation sweep covers (days)"),
        }
        help_texts = {
            "url": _("The store's address, e.g. https://shop.example.com"),
            "endpoint_path": _("Path of the ShipStation add-on's XML page on the store."),
            "reconcile_every_hours": _(
                "Compares the store with Outbound and imports any order earlier imports missed. 0: only when you ask."
            ),
            "reconcile_days": _("How many days back each sweep compares."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the store's own road's settings: the other road's are set when switching roads.
        if self.instance.road == Road.REST:
            for name in ("endpoint_path", "username", "password"):
                del self.fields[name]
            self.fields["url"].help_text = _("The address of your AmeriCommerce site; Outbound adds /api/v1.")
            if self.instance.rest_auth != RestAuth.TOKEN:
                del self.fields["api_token"]
            return
        del self.fields["api_token"]
        if self.instance.connection.endpoint_path is None:
            # Any cart: the store URL is the endpoint itself, so there is no path to set.
            del self.fields["endpoint_path"]
            self.fields["url"].label = _("Endpoint URL")
            self.fields["url"].help_text = _("The full address of the store's ShipStation Custom Store page.")


class BrandingForm(forms.ModelForm):
    class Meta:
        model = StoreSettings
        fields = ["company_name", "logo_url", "accent_colour", "website", "phone", "reply_to"]
        labels = {
            "company_name": _("Company name"),
            "logo_url": _("Logo URL"),
            "accent_colour": _("Accent colour"),
            "website": _("Website"),
            "phone": _("Phone"),
            "reply_to": _("Reply-to address"),
        }
        widgets = {"accent_colour": forms.TextInput(attrs={"type": "color"})}


class NotificationsForm(forms.ModelForm):
    class Meta:
        model = StoreSettings
        fields = [
            "send_shipment_confirmation",
            "send_delivery_notice",
            "send_out_for_delivery",
            "send_estimated_delivery",
            "buyer_language",
            "copy_to_merchant",
        ]
        labels = {
            "send_shipment_confirmation": _("Send shipment confirmation e-mails"),
            "send_delivery_notice": _("Send delivery notice e-mails"),
            "send_out_for_delivery": _("Send “out for delivery” e-mails (from carrier tracking)"),
            "send_estimated_delivery": _("Send “estimated delivery changed” e-mails (from carrier tracking)"),
            "buyer_language": _("Language of the buyer e-mails"),
            "copy_to_merchant": _("Send a blind copy to"),
        }
        help_texts = {"copy_to_merchant": _("Send a blind copy of each buyer e-mail here.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buyer_language"].choices = [("en", _("English")), ("fr", _("French"))]
        self.fields["buyer_language"].required = False  # a form without it (an older page, a script) keeps it

    def clean_buyer_language(self):
        return self.cleaned_data.get("buyer_language") or self.instance.buyer_language or "en"


class ProductHandlingForm(forms.ModelForm):
    class Meta:
        model = StoreSettings
        fields = ["store_location_overwrites", "default_weight_unit", "currency"]
        labels = {
            "store_location_overwrites": _("The store's warehouse location overwrites the one set in Outbound"),
            "default_weight_unit": _("Default weight unit"),
            "currency": _("Store currency"),
        }
        help_texts = {
            "store_location_overwrites": _("Off: a location set in Outbound is kept when the store sends another one."),
            "currency": _(
                "Three letters, for example USD or EUR. The REST road's orders arrive without a currency: "
                "this one is written on them."
            ),
        }

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        unit = self.fields["default_weight_unit"]
        unit.choices = [(code, WEIGHT_UNIT_LABELS.get(code, name)) for code, name in unit.choices]


def _choose_then_statuses():
    return [("", _("Choose…"))] + status_choices()


class UnmappedAddForm(forms.Form):
    # Starts at "Choose…": a quick map must be a decision, never the first status in the list.
    outbound_status = forms.ChoiceField(label=_("Map to"), choices=_choose_then_statuses)


def _id_filter(label, invalid_choice):
    """A filter by the id of one of the tenant's objects (its choices are set by the form)."""
    return forms.TypedChoiceField(
        label=label, required=False, coerce=int, empty_value=None, error_messages={"invalid_choice": invalid_choice}
    )


class OrderFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Order number, customer, e-mail or SKU"), "type": "search"}),
    )
    # A store or storefront not in the choices (deleted, another workspace's, garbage) is refused, not dropped.
    store = _id_filter(
        _("Store"),
        _(
            "The store filter names no store of this workspace (deleted, or not yours): no order is listed. "
            "Choose a store, or “All stores”."
        ),
    )
    storefront = _id_filter(
        _("Storefront"),
        _(
            "The storefront filter names no storefront of this workspace (deleted, or not yours): no order "
            "is listed. Choose a storefront, or “All storefronts”."
        ),
    )
    tag = _id_filter(
        _("Tag"),
        _("The tag filter names no tag of this workspace (deleted, or not yours): no order is listed."),
    )
    assignee = _id_filter(
        _("Marked for"),
        _("The person filter names no member of this workspace: no order is listed."),
    )
    shipping_preset = _id_filter(
        _("Shipping preset"),
        _("The shipping preset filter names no preset of this workspace (deleted, or not yours): no order is listed."),
    )
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("“From” is not a date: no order is listed.")},
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("“To” is not a date: no order is listed.")},
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("", _("Default")),
            ("oldest", _("Oldest first")),
            ("newest", _("Newest first")),
            ("service", _("Requested service")),
            ("storefront", _("Storefront")),
            ("total", _("Total, highest first")),
        ],
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            # An inverted range matches nothing: say so, and list the orders without the dates.
            cleaned.pop("date_from")
            self.add_error("date_to", _("“To” is before “From”: no order can match; swap the dates."))
        return cleaned

    def __init__(self, *args, stores=(), storefronts=(), tags=(), members=(), presets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", _("All tags"))] + [(t.pk, t.name) for t in tags]
        self.fields["assignee"].choices = [("", _("Anyone"))] + [(u.pk, u.get_username()) for u in members]
        self.fields["shipping_preset"].choices = [("", _("Any preset"))] + [(p.pk, p.name) for p in presets]
        self.fields["store"].choices = [("", _("All stores"))] + [(s.pk, s.name) for s in stores]
        self.fields["storefront"].choices = [("", _("All storefronts"))] + [
            (f.pk, f"{f.store.name} · {f.name}") for f in storefronts
        ]


def _shipment_field(name: str):
    return Shipment._meta.get_field(name)


class HoldForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the hold"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Waiting for the buyer's answer")}),
    )


class OutboundNotesForm(forms.Form):
    outbound_notes = forms.CharField(
        label=_("Internal notes (Outbound)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Seen only by your team; an import never changes them."),
    )


class ShipForm(forms.Form):
    # Limits are the columns' own, so a value the form accepts is one the database can hold.
    carrier = forms.ChoiceField(label=_("Carrier"), choices=carrier_choices)
    # Optional, as on the batch form, the CSV import and the API: both roads send an empty service as is.
    service = forms.CharField(
        label=_("Service"),
        max_length=_shipment_field("service").max_length,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Priority Mail")}),
    )
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=TRACKING_INPUT_MAX)
    ship_date = forms.DateField(label=_("Ship date"), widget=DateInput())
    carrier_fee = forms.DecimalField(
        label=_("Carrier fee"),
        min_value=0,
        max_digits=_shipment_field("carrier_fee").max_digits,
        decimal_places=_shipment_field("carrier_fee").decimal_places,
        required=False,
        initial=0,
    )
    notes_to_buyer = forms.CharField(
        label=_("Notes to the buyer"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the store with the shipment update."),
    )
    notify_buyer = forms.BooleanField(label=_("E-mail the buyer a shipment confirmation"), required=False, initial=True)

    def __init__(self, *args, lines=(), remaining=None, emails_on=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ship_date"].initial = timezone.now().date()
        # The box follows the store's setting: ticked only when Outbound e-mails shipment confirmations.
        self.fields["notify_buyer"].initial = emails_on
        if not emails_on:
            self.fields["notify_buyer"].label = _("Ask the store to e-mail the buyer")
            self.fields["notify_buyer"].help_text = _(
                "Outbound's shipment confirmation e-mails are switched off for this store (store settings › "
                "Notifications). Tick this to let the store send its own notice."
            )
        self.lines = list(lines)
        remaining = remaining or {}
        self.line_fields = []
        for line in self.lines:
            left = remaining.get(line.pk, line.quantity)
            name = f"qty_{line.pk}"
            self.fields[name] = forms.IntegerField(
                label=_("Quantity of %(sku)s") % {"sku": line.sku or line.name},
                min_value=0,
                max_value=max(left, 0),
                initial=max(left, 0),
                required=False,
                error_messages={"max_value": _("Only %(left)s left to ship on this line.") % {"left": left}},
            )
            self.line_fields.append((line, self[name], left))

    def clean_ship_date(self):
        day = self.cleaned_data["ship_date"]
        if day > timezone.now().date() + dt.timedelta(days=7):
            raise forms.ValidationError(_("The ship date is more than a week away; check the date."))
        return day

    def clean(self):
        cleaned = super().clean()
        if any(self.has_error(f"qty_{line.pk}") for line in self.lines):
            return cleaned  # the quantity's own error says what is wrong; "choose an item" would contradict it
        if self.lines and not any(cleaned.get(f"qty_{line.pk}") for line in self.lines):
            raise forms.ValidationError(_("Choose at least one item to ship."))
        return cleaned

    def clean_tracking_number(self):
        return tracking_number_clean(self.cleaned_data.get("tracking_number"))

    def line_quantities(self) -> dict[int, int]:
        return {line.pk: q for line in self.lines if (q := self.cleaned_data.get(f"qty_{line.pk}"))}


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=ApiKey._meta.get_field("name").max_length,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Warehouse WMS")}),
    )
    read_only = forms.BooleanField(label=_("Read-only (cannot post shipments or start imports)"), required=False)
