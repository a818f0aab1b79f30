"""The operators' view of webhook subscriptions and their delivery log."""

from django.contrib import admin

from stores.admin_display import truncated

from .models import WebhookDelivery, WebhookSubscription


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
