"""Labels in the operators' admin, read only: purchases (an uncertain one is found here by state), batches
with their orders, and end-of-day manifests. Money moves only through the portal, the API and the workers
(labels/services.py); nothing here buys, voids or releases."""

from __future__ import annotations

from django.contrib import admin

from .models import LabelBatch, LabelBatchItem, LabelPurchase, Manifest


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LabelPurchase)
class LabelPurchaseAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "state", "tenant", "order", "carrier", "price", "currency", "matched")
    list_filter = ("state", "carrier", "matched", "refund_state")
    search_fields = ("tracking_number", "reference", "order__number", "tenant__name")
    list_select_related = ("tenant", "order")
    raw_id_fields = ("order", "shipment", "manifest", "created_by", "account", "package", "ship_from")
    date_hierarchy = "created_at"


class LabelBatchItemInline(admin.TabularInline):
    model = LabelBatchItem
    fields = ("position", "order", "carrier", "service", "price", "currency", "state", "problem", "error")
    readonly_fields = fields
    raw_id_fields = ("order",)
    can_delete = False
    extra = 0
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LabelBatch)
class LabelBatchAdmin(ReadOnlyAdmin):
    list_display = ("pk", "created_at", "tenant", "mode", "state", "total_price", "currency", "finished_at")
    list_filter = ("state", "mode")
    search_fields = ("tenant__name", "key")
    list_select_related = ("tenant",)
    raw_id_fields = ("shipping_preset", "package", "created_by")
    inlines = [LabelBatchItemInline]


@admin.register(Manifest)
class ManifestAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "tenant", "carrier", "ship_date", "state", "label_count", "carrier_number")
    list_filter = ("state", "carrier")
    search_fields = ("carrier_number", "tenant__name")
    list_select_related = ("tenant",)
    exclude = ("document",)
    raw_id_fields = ("ship_from", "account", "created_by")
