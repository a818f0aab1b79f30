"""The operators' view of carrier accounts and followed shipments. Writes go through tracking.services;
credentials are write-only here as everywhere."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from .models import CarrierAccount, ShipmentTracking, TrackingEvent
from .selectors import tracking_failing
from .services import carrier_account_create, carrier_account_test, carrier_account_update


class CarrierAccountAdminForm(forms.ModelForm):
    client_id = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only. Leave blank to keep the saved credentials.",
    )
    client_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only. Leave blank to keep the saved credentials.",
    )

    class Meta:
        model = CarrierAccount
        fields = ["tenant", "carrier", "name", "test_mode", "server_url", "is_active"]


@admin.register(CarrierAccount)
class CarrierAccountAdmin(admin.ModelAdmin):
    form = CarrierAccountAdminForm
    list_display = ["__str__", "tenant", "carrier", "test_mode", "is_active", "last_test_ok", "last_tested_at"]
    list_filter = ["carrier", "test_mode", "is_active"]
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
        try:
            if change:
                carrier_account_update(
                    account=obj,
                    name=data["name"],
                    client_id=data.get("client_id") or "",
                    client_secret=data.get("client_secret") or "",
                    test_mode=data["test_mode"],
                    is_active=data["is_active"],
                    server_url=data["server_url"],
                )
            else:
                created = carrier_account_create(
                    tenant=data["tenant"],
                    carrier=data["carrier"],
                    name=data["name"],
                    client_id=data.get("client_id") or "",
                    client_secret=data.get("client_secret") or "",
                    test_mode=data["test_mode"],
                    server_url=data["server_url"],
                )
                obj.pk = created.pk
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)

    @admin.action(description="Test the credentials with the carrier")
    def test_credentials(self, request, queryset):
        for account in queryset:
            outcome, detail = carrier_account_test(account=account)
            self.message_user(
                request,
                f"{account}: {outcome}{f' ({detail})' if detail else ''}",
                messages.SUCCESS if outcome == "ok" else messages.WARNING,
            )


class TrackingEventInline(admin.TabularInline):
    model = TrackingEvent
    fk_name = "shipment"
    extra = 0
    can_delete = False
    fields = readonly_fields = ["occurred_at", "state", "code", "description", "location"]

    def has_add_permission(self, request, obj=None):
        return False


class CarrierAnswersFilter(admin.SimpleListFilter):
    """Shipments whose last carrier request failed (tracking.selectors.tracking_failing)."""

    title = "carrier answers"
    parameter_name = "answers"

    def lookups(self, request, model_admin):
        return [("failing", "Failing (the last request failed)"), ("answering", "Answering")]

    def queryset(self, request, queryset):
        if self.value() == "failing":
            return queryset.filter(pk__in=tracking_failing().values("pk"))
        if self.value() == "answering":
            return queryset.filter(failures=0)
        return queryset


@admin.register(ShipmentTracking)
class ShipmentTrackingAdmin(admin.ModelAdmin):
    list_display = [
        "shipment",
        "tenant",
        "account",
        "state",
        "next_poll_at",
        "polls",
        "failures",
        "last_error",
        "stopped_reason",
    ]
    list_filter = [CarrierAnswersFilter, "state"]
    raw_id_fields = ["shipment", "account"]
    readonly_fields = [
        "tenant",
        "shipment",
        "account",
        "state",
        "status_text",
        "last_polled_at",
        "polls",
        "failures",
        "last_error",
        "stopped_reason",
        "exception_at",
        "out_for_delivery_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [*readonly_fields, "next_poll_at"]

    def has_add_permission(self, request):
        return False
