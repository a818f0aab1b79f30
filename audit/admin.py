"""The operators' view of the audit trail: every tenant's entries, filterable, exported as CSV. Read only for
everyone, superusers included: no add, change or delete permission (the model refuses them too)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .export import audit_csv_response
from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "tenant_name", "actor_name", "by_operator", "action", "target_label", "via", "ip")
    list_filter = ("action", "via", "by_operator", "created_at")
    search_fields = ("tenant_name", "actor_name", "target_label", "=tenant_id", "=ip")
    date_hierarchy = "created_at"
    actions = ["export_csv"]
    list_select_related = False
    show_full_result_count = False
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Export selected entries as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        return audit_csv_response(queryset.order_by("-created_at", "-id"))
