"""The operators' view of followed shipments (carrier accounts: carriers/admin.py)."""

from __future__ import annotations

from django.contrib import admin

from .models import ShipmentTracking, TrackingEvent
from .selectors import tracking_failing


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
