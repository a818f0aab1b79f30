"""The pack station in the operators' admin: products' barcodes (added and removed through the services)
and the scans, read only."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError

from .models import ProductBarcode, ScanEvent
from .services import barcode_add, barcode_remove


@admin.register(ProductBarcode)
class ProductBarcodeAdmin(admin.ModelAdmin):
    list_display = ("code", "product", "store", "created_at")
    search_fields = ("code", "product__sku")
    raw_id_fields = ("product",)
    fields = ("product", "code")

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        try:
            saved = barcode_add(product=obj.product, code=obj.code)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), level="error")
            return
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        barcode_remove(barcode=obj)

    def delete_queryset(self, request, queryset):
        for barcode in queryset:
            barcode_remove(barcode=barcode)


@admin.register(ScanEvent)
class ScanEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "order", "user_label", "code", "result")
    list_filter = ("result",)
    search_fields = ("order__number", "code", "user_label")
    raw_id_fields = ("order", "session", "user", "line")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
