"""The operators' view of real time: each store's webhook counters and state, and the calls that reached
no store (unknown or revoked tokens)."""

from django.contrib import admin
from django.utils.timesince import timesince

from orders.models import import_state_of

from .models import HookCounter, HookStats, PendingFetch
from .selectors import realtime_state


@admin.register(HookStats)
class HookStatsAdmin(admin.ModelAdmin):
    list_display = [
        "store",
        "real_time",
        "last_event_at",
        "last_checked",
        "events_received",
        "events_coalesced",
        "events_echoed",
        "events_malformed",
        "events_dropped",
        "orders_fetched",
        "orders_imported",
        "orders_unchanged",
        "orders_skipped",
        "orders_not_found",
        "orders_unreadable",
    ]
    list_select_related = ["store", "store__tenant", "store__realtime", "store__import_state"]
    search_fields = ["store__name", "store__tenant__name"]
    readonly_fields = [f.name for f in HookStats._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # written by the receiver

    @admin.display(description="real time")
    def real_time(self, obj):
        state = realtime_state(store=obj.store, stats=obj)  # the row is the store's stats
        text = "on" if state.on else f"off ({state.reason})"
        if state.missed_by_events:
            text += f"; events stopped: the schedule imported {state.missed_by_events} changed orders since"
        return text

    @admin.display(description="last checked")
    def last_checked(self, obj):
        at = import_state_of(obj.store).last_checked_at
        return f"{timesince(at)} ago" if at else "never"


@admin.register(HookCounter)
class HookCounterAdmin(admin.ModelAdmin):
    list_display = ["name", "count", "last_at"]
    readonly_fields = ["name", "count", "last_at"]

    def has_add_permission(self, request):
        return False


@admin.register(PendingFetch)
class PendingFetchAdmin(admin.ModelAdmin):
    list_display = ["store", "order_id", "received_at"]
    list_select_related = ["store"]
    raw_id_fields = ["store"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False
