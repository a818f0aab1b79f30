from django.contrib import admin

from .models import ApiKey, IdempotencyRecord
from .services import api_key_revoke


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "tenant", "read_only", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["read_only"]
    list_select_related = ["tenant"]
    search_fields = ["name", "prefix", "tenant__name"]
    readonly_fields = ["tenant", "prefix", "read_only", "created_by", "created_at", "last_used_at", "revoked_at"]
    fields = ["name", *readonly_fields]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # keys are made where their plaintext can be shown once: the portal or the API

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for key in queryset:
            api_key_revoke(api_key=key)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ["key", "tenant", "method", "path", "status_code", "created_at"]
    list_select_related = ["tenant"]
    raw_id_fields = ["tenant"]
    show_full_result_count = False
