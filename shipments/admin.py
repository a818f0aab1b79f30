"""The operators' view of shipments and the outbox. Actions call services; no logic lives here."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from stores.admin_display import truncated

from .models import EmailSend, OutboxMessage, OutboxState, Shipment, ShipmentLine
from .outbox import outbox_retry_now
from .services import shipment_mark_delivered, shipment_void, store_update_retry


def _run(modeladmin, request, queryset, action, done: str) -> None:
    ok = 0
    for obj in queryset:
        try:
            action(obj)
            ok += 1
        except ValidationError as exc:
            modeladmin.message_user(request, f"{obj}: {' '.join(exc.messages)}", messages.WARNING)
    if ok:
        modeladmin.message_user(request, f"{ok} {done}.", messages.SUCCESS)


class ShipmentLineInline(admin.TabularInline):
    model = ShipmentLine
    extra = 0
    raw_id_fields = ["order_line"]
    readonly_fields = ["order_line", "quantity"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class OutboxMessageInline(admin.TabularInline):
    model = OutboxMessage
    extra = 0
    fields = ["kind", "state", "attempts", "next_attempt_at", "last_error", "response_status", "sent_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["id", "order", "tenant", "carrier", "tracking_number", "state", "store_update_state",
                    "ship_date", "created_at"]
    list_filter = ["state", "store_update_state", "carrier", "tenant"]
    list_select_related = ["order", "tenant"]
    search_fields = ["tracking_number", "order__number", "order__external_id"]
    raw_id_fields = ["order", "tenant", "created_by_user"]
    readonly_fields = ["state", "delivered_at", "voided_at", "store_update_state", "tracking_url", "created_at",
                       "updated_at", "created_by_user", "created_by_label"]
    inlines = [ShipmentLineInline, OutboxMessageInline]
    show_full_result_count = False
    date_hierarchy = "created_at"
    actions = ["mark_delivered", "void", "retry_store_update"]

    def has_add_permission(self, request):
        # Shipments are made by shipment_create (portal, API), which checks quantities and writes the outbox.
        return False

    @admin.action(description="Mark delivered")
    def mark_delivered(self, request, queryset):
        actor = request.user.get_username()
        _run(self, request, queryset, lambda s: shipment_mark_delivered(shipment=s, actor=actor),
             "shipment(s) marked delivered")

    @admin.action(description="Void")
    def void(self, request, queryset):
        _run(self, request, queryset, lambda s: shipment_void(shipment=s, user=request.user), "shipment(s) voided")

    @admin.action(description="Retry store update now")
    def retry_store_update(self, request, queryset):
        _run(self, request, queryset, lambda s: store_update_retry(shipment=s), "store update(s) retried")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "state", "tenant", "shipment", "attempts", "max_attempts", "next_attempt_at",
                    "response_status", "short_error", "sent_at"]
    list_filter = ["state", "kind", "tenant", ("shipment__order__store", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["tenant", "shipment"]
    search_fields = ["dedupe_key", "last_error"]
    raw_id_fields = ["tenant", "shipment"]
    readonly_fields = ["tenant", "kind", "shipment", "payload", "dedupe_key", "state", "attempts", "max_attempts",
                       "next_attempt_at", "lease_until", "leased_by", "last_error", "response_status",
                       "response_body", "sent_at", "created_at", "updated_at"]
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
        _run(self, request, queryset, lambda m: outbox_retry_now(message=m), "message(s) retried")


@admin.register(EmailSend)
class EmailSendAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "to", "state", "shipment", "sent_at", "created_at"]
    list_filter = ["state", "kind"]
    list_select_related = ["shipment"]
    search_fields = ["to", "dedupe_key"]
    raw_id_fields = ["tenant", "shipment"]
    readonly_fields = ["tenant", "shipment", "kind", "dedupe_key", "to", "subject", "state", "error", "sent_at",
                       "created_at"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False
