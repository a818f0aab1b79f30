from django.contrib import admin

from stores.admin_display import truncated

from .models import ApiKey, IdempotencyRecord, WebhookDelivery, WebhookSubscription
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


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["url", "tenant", "is_active", "created_at"]
    list_filter = ["is_active"]
    list_select_related = ["tenant"]
    search_fields = ["url", "tenant__name"]
    raw_id_fields = ["tenant", "created_by"]
    exclude = ["secret_encrypted"]  # the signing secret is shown once, at creation, never after


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event", "subscription", "state", "attempts", "response_status", "short_error", "created_at"]
    list_filter = ["state", "event"]
    list_select_related = ["subscription"]
    raw_id_fields = ["subscription"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # deliveries are written by the events they report

    @admin.display(description="error")
    def short_error(self, obj):
        return truncated(obj.error)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ["key", "tenant", "method", "path", "status_code", "created_at"]
    list_select_related = ["tenant"]
    raw_id_fields = ["tenant"]
    show_full_result_count = False
