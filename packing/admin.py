"""The pack station in the operators' admin: products' barcodes (added and removed through the services)
and the scans, read only."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from .models import ProductBarcode, ScanEvent
from .services import barcode_add, barcode_check, barcode_remove


class ProductBarcodeForm(forms.ModelForm):
    class Meta:
        model = ProductBarcode
        fields = ["product", "code"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("product") is not None and cleaned.get("code"):
            barcode_check(product=cleaned["product"], code=cleaned["code"])  # the service's words on the form
        return cleaned


@admin.register(ProductBarcode)
class ProductBarcodeAdmin(admin.ModelAdmin):
    form = ProductBarcodeForm
    list_display = ("code", "product", "store", "created_at")
    search_fields = ("code", "product__sku")
    raw_id_fields = ("product",)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        saved = barcode_add(product=form.cleaned_data["product"], code=form.cleaned_data["code"])
        obj.pk, obj.code, obj.store_id, obj.tenant_id = saved.pk, saved.code, saved.store_id, saved.tenant_id

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
