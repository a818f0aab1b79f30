"""The operators' view of carrier accounts, ship-from locations and package presets. Every save and delete
goes through carriers.services; credentials are write-only here as everywhere."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from .forms import ShipFromForm
from .models import PRESET_FIELDS, SHIP_FROM_FIELDS, CarrierAccount, PackagePreset, ShipFrom, StoreShipping
from .services import (
    carrier_account_create,
    carrier_account_delete,
    carrier_account_test,
    carrier_account_update,
    package_preset_create,
    package_preset_delete,
    package_preset_update,
    ship_from_create,
    ship_from_delete,
    ship_from_update,
    store_default_ship_from_set,
)


class CarrierAccountAdminForm(forms.ModelForm):
    client_id = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only. Leave blank to keep the saved credentials. FedEx: the API key.",
    )
    client_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only. Leave blank to keep the saved credentials. FedEx: the secret key.",
    )

    class Meta:
        model = CarrierAccount
        fields = [
            "tenant",
            "carrier",
            "name",
            "account_number",
            "test_mode",
            "server_url",
            "is_active",
            "use_for_labels",
            "ship_from",
        ]

    def clean(self):
        data = super().clean()
        tenant = data.get("tenant") or getattr(self.instance, "tenant", None)
        ship_from = data.get("ship_from")
        if ship_from is not None and tenant is not None and ship_from.tenant_id != tenant.pk:
            self.add_error("ship_from", "This location belongs to another tenant.")
        return data


def _saved_through(modeladmin, request, obj, call) -> None:
    """Run a service for the admin's save; its refusal becomes the admin's error message."""
    try:
        created = call()
    except ValidationError as exc:
        modeladmin.message_user(request, " ".join(exc.messages), messages.ERROR)
    else:
        obj.pk = created.pk


@admin.register(CarrierAccount)
class CarrierAccountAdmin(admin.ModelAdmin):
    form = CarrierAccountAdminForm
    list_display = [
        "__str__",
        "tenant",
        "carrier",
        "test_mode",
        "is_active",
        "use_for_labels",
        "ship_from",
        "last_test_ok",
        "last_tested_at",
    ]
    list_filter = ["carrier", "test_mode", "is_active", "use_for_labels"]
    raw_id_fields = ["ship_from"]
    readonly_fields = [
        "last_test_ok",
        "last_test_outcome",
        "last_test_message",
        "last_tested_at",
        "created_at",
        "updated_at",
    ]
    actions = ["test_credentials"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, *(["tenant", "carrier"] if obj else [])]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        common = {
            "name": data["name"],
            "client_id": data.get("client_id") or "",
            "client_secret": data.get("client_secret") or "",
            "test_mode": data["test_mode"],
            "server_url": data["server_url"],
            "account_number": data.get("account_number") or "",
            "use_for_labels": data["use_for_labels"],
            "ship_from": data.get("ship_from"),
        }
        if change:
            _saved_through(
                self,
                request,
                obj,
                lambda: carrier_account_update(account=obj, is_active=data["is_active"], **common),
            )
        else:
            _saved_through(
                self,
                request,
                obj,
                lambda: carrier_account_create(tenant=data["tenant"], carrier=data["carrier"], **common),
            )

    def delete_model(self, request, obj):
        carrier_account_delete(account=obj)

    def delete_queryset(self, request, queryset):
        for account in queryset:
            carrier_account_delete(account=account)

    @admin.action(description="Test the credentials with the carrier")
    def test_credentials(self, request, queryset):
        for account in queryset:
            outcome, detail = carrier_account_test(account=account)
            self.message_user(
                request,
                f"{account}: {outcome}{f' ({detail})' if detail else ''}",
                messages.SUCCESS if outcome == "ok" else messages.WARNING,
            )


class _ThroughServices(admin.ModelAdmin):
    """Saves and deletes of a tenant's row through its services (`fields_of`, `create`, `update`, `delete`)."""

    fields_of: tuple[str, ...] = ()
    instance_arg = ""

    def create(self, **kwargs):  # pragma: no cover - set by subclasses
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in self.fields_of if name in form.cleaned_data}
        if change:
            _saved_through(self, request, obj, lambda: type(self).update(**{self.instance_arg: obj}, **values))
        else:
            _saved_through(self, request, obj, lambda: type(self).create(tenant=form.cleaned_data["tenant"], **values))

    def delete_model(self, request, obj):
        type(self).delete(**{self.instance_arg: obj})

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            type(self).delete(**{self.instance_arg: obj})

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *(["tenant"] if obj else [])]


class ShipFromAdminForm(ShipFromForm):
    """The portal's form (time zones listed, working days as check boxes) with the tenant."""

    class Meta(ShipFromForm.Meta):
        fields = ["tenant", *SHIP_FROM_FIELDS]


@admin.register(ShipFrom)
class ShipFromAdmin(_ThroughServices):
    form = ShipFromAdminForm
    list_display = ["name", "tenant", "city", "postal_code", "country", "time_zone", "cutoff_time"]
    search_fields = ["name", "city", "postal_code"]
    fields = ["tenant", *SHIP_FROM_FIELDS]
    fields_of = SHIP_FROM_FIELDS
    instance_arg = "ship_from"
    create, update, delete = (
        staticmethod(ship_from_create),
        staticmethod(ship_from_update),
        staticmethod(ship_from_delete),
    )


class PackagePresetAdminForm(forms.ModelForm):
    class Meta:
        model = PackagePreset
        fields = ["tenant", *PRESET_FIELDS]

    def _get_validation_exclusions(self):
        # The one-default constraint is the service's to keep: a new default takes the flag from the others.
        return {*super()._get_validation_exclusions(), "is_default"}


@admin.register(PackagePreset)
class PackagePresetAdmin(_ThroughServices):
    form = PackagePresetAdminForm
    list_display = ["name", "tenant", "length", "width", "height", "dimension_unit", "empty_weight", "is_default"]
    search_fields = ["name"]
    fields = ["tenant", *PRESET_FIELDS]
    fields_of = PRESET_FIELDS
    instance_arg = "preset"
    create, update, delete = (
        staticmethod(package_preset_create),
        staticmethod(package_preset_update),
        staticmethod(package_preset_delete),
    )


@admin.register(StoreShipping)
class StoreShippingAdmin(admin.ModelAdmin):
    """A store's default ship-from, set through carriers.services."""

    list_display = ["store", "default_ship_from", "updated_at"]
    raw_id_fields = ["store", "default_ship_from"]
    fields = ["store", "default_ship_from"]

    def get_readonly_fields(self, request, obj=None):
        return ["store"] if obj else []

    def save_model(self, request, obj, form, change):
        _saved_through(
            self,
            request,
            obj,
            lambda: store_default_ship_from_set(
                store=form.cleaned_data.get("store") or obj.store,
                ship_from=form.cleaned_data.get("default_ship_from"),
            ),
        )

    def delete_model(self, request, obj):
        store_default_ship_from_set(store=obj.store, ship_from=None)

    def delete_queryset(self, request, queryset):
        for row in queryset:
            store_default_ship_from_set(store=row.store, ship_from=None)
