"""The list filters the fleet page links to (ops.fleet): each list shows exactly the rows the page counts."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outbox.admin import OutboxMessageAdmin
from shipments.models import OperatorAlert
from stores.admin import StoreAdmin
from webhooks.admin import WebhookSubscriptionAdmin

from . import fleet


class _FleetFilter(admin.SimpleListFilter):
    title = _("fleet")
    parameter_name = "fleet"
    fleet_choices: dict = {}

    def lookups(self, request, model_admin):
        return [(value, label) for value, (label, _q) in self.fleet_choices.items()]

    def queryset(self, request, queryset):
        chosen = self.fleet_choices.get(self.value())
        if chosen is None:
            return queryset
        return queryset.filter(pk__in=chosen[1](timezone.now()).values("pk"))


class StoreFleetFilter(_FleetFilter):
    fleet_choices = {
        "failing": (_("Failing"), lambda now: fleet.stores_failing()),
        "stale": (_("Stale"), fleet.stores_stale),
    }


class OutboxFleetFilter(_FleetFilter):
    fleet_choices = {
        "dead": (_("Dead (gave up)"), lambda now: fleet.outbox_dead()),
        "old": (_("Due long ago, unsent"), fleet.outbox_old),
    }


class WebhookFleetFilter(_FleetFilter):
    fleet_choices = {"failing": (_("Failing (last 24 hours)"), fleet.webhook_endpoints_failing)}


class AlertFleetFilter(_FleetFilter):
    fleet_choices = {"recent": (_("Last 24 hours"), fleet.operator_alerts_recent)}


StoreAdmin.list_filter = [*StoreAdmin.list_filter, StoreFleetFilter]
OutboxMessageAdmin.list_filter = [*OutboxMessageAdmin.list_filter, OutboxFleetFilter]
WebhookSubscriptionAdmin.list_filter = [*WebhookSubscriptionAdmin.list_filter, WebhookFleetFilter]


@admin.register(OperatorAlert)
class OperatorAlertAdmin(admin.ModelAdmin):
    """Read only: an alert is a record of what was sent."""

    list_display = ["created_at", "subject", "tenant", "recipients"]
    list_filter = [AlertFleetFilter, "tenant"]
    search_fields = ["subject", "message"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
