from django.contrib import admin, messages

from .forms import StatusMappingForm, StoreAdminForm
from .models import Membership, StatusMapping, Store, Storefront, StoreSettings, Tenant


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "created_at"]
    list_filter = ["role", "tenant"]
    list_select_related = ["user", "tenant"]
    search_fields = ["user__username", "user__email", "tenant__name"]
    raw_id_fields = ["user", "tenant"]


class StatusMappingInline(admin.StackedInline):
    model = StatusMapping
    form = StatusMappingForm
    can_delete = False
    extra = 0


class StoreSettingsInline(admin.StackedInline):
    model = StoreSettings
    can_delete = False
    extra = 0
    fieldsets = [
        ("Branding", {"fields": ["company_name", "logo_url", "accent_colour", "website", "phone", "reply_to"]}),
        ("Notifications", {"fields": ["send_shipment_confirmation", "send_delivery_notice", "copy_to_merchant"]}),
        ("Product handling", {"fields": ["store_location_overwrites", "default_weight_unit"]}),
    ]


class StorefrontInline(admin.TabularInline):
    model = Storefront
    extra = 0
    fields = ["name", "shipped_status"]

    def get_fields(self, request, obj=None):
        # A platform whose storefronts apply no shipped status of their own (any cart) has none to record.
        if obj is not None and not obj.connection.storefront_shipped_status:
            return ["name"]
        return super().get_fields(request, obj)


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    form = StoreAdminForm
    list_display = [
        "name",
        "tenant",
        "platform",
        "url",
        "is_active",
        "import_interval_minutes",
        "last_import_at",
        "last_import_ok",
        "needs_attention",
        "orders_recovered",
    ]
    list_filter = ["platform", "is_active", "needs_attention", "last_import_ok", "tenant"]
    list_select_related = ["tenant"]
    search_fields = ["name", "url", "username", "tenant__name"]
    readonly_fields = [
        "import_watermark",
        "last_import_at",
        "last_import_ok",
        "last_import_message",
        "consecutive_failures",
        "needs_attention",
        "import_running_since",
        "last_reconcile_at",
        "orders_recovered",
    ]
    fieldsets = [
        (None, {"fields": ["tenant", "name", "platform", "is_active"]}),
        ("Connection", {"fields": ["url", "endpoint_path", "username", "password"]}),
        (
            "Import",
            {
                "fields": [
                    "import_interval_minutes",
                    "import_watermark",
                    "last_import_at",
                    "last_import_ok",
                    "last_import_message",
                    "consecutive_failures",
                    "needs_attention",
                    "import_running_since",
                ]
            },
        ),
        ("Reconciliation sweep", {"fields": ["reconcile_every_hours", "reconcile_days", "last_reconcile_at",
                                             "orders_recovered"]}),
    ]
    inlines = [StorefrontInline, StatusMappingInline, StoreSettingsInline]
    actions = ["import_now", "reconcile_now"]

    @admin.action(description="Import now")
    def import_now(self, request, queryset):
        from orders.services import import_request

        for store in queryset:
            run = import_request(store=store, trigger="manual", user=request.user)
            messages.success(request, f"{store.name}: import run {run.pk} {run.get_state_display().lower()}.")

    @admin.action(description="Reconcile now (compare the last days with the store, import what was missed)")
    def reconcile_now(self, request, queryset):
        from orders.services import reconcile_request

        for store in queryset:
            run = reconcile_request(store=store, user=request.user)
            what = "reconciliation sweep" if run.trigger == "reconcile" else "import (already under way; sweep later)"
            messages.success(request, f"{store.name}: {what} run {run.pk} {run.get_state_display().lower()}.")

    def save_related(self, request, form, formsets, change):
        from orders.services import skipped_orders_remap

        super().save_related(request, form, formsets, change)
        # A store added through the admin gets its mapping and settings like one made by store_create.
        StatusMapping.objects.get_or_create(store=form.instance)
        StoreSettings.objects.get_or_create(store=form.instance, defaults={"company_name": form.instance.name})
        if change:  # a mapping edited here brings in the orders skipped for a status mapped now
            skipped_orders_remap(store=form.instance, user=request.user)
