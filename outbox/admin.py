"""The operators' view of the outbox. Actions call services; no logic lives here."""

from __future__ import annotations

from django.contrib import admin

from stores.admin_display import run_action, truncated

from .models import OutboxMessage, OutboxState
from .services import outbox_retry_now


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "state",
        "tenant",
        "ref",
        "attempts",
        "max_attempts",
        "next_attempt_at",
        "response_status",
        "short_error",
        "sent_at",
    ]
    list_filter = ["state", "kind", "tenant"]
    list_select_related = ["tenant"]
    search_fields = ["dedupe_key", "ref", "last_error"]
    raw_id_fields = ["tenant"]
    readonly_fields = [
        "tenant",
        "kind",
        "ref",
        "payload",
        "dedupe_key",
        "state",
        "attempts",
        "max_attempts",
        "next_attempt_at",
        "lease_until",
        "leased_by",
        "last_error",
        "response_status",
        "response_body",
        "sent_at",
        "created_at",
        "updated_at",
    ]
    show_full_result_count = False
    actions = ["retry_now"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the outbox is the record of what was sent; a failed row is retried, never erased

    @admin.display(description="last error")
    def short_error(self, obj):
        return truncated(obj.last_error)

    @admin.action(description="Retry now")
    def retry_now(self, request, queryset):
        queryset = queryset.filter(state__in=[OutboxState.FAILED, OutboxState.PENDING])
        run_action(self, request, queryset, lambda m: outbox_retry_now(message=m), "message(s) retried")
