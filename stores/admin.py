from django.contrib import admin

from .crypto import CredentialError
from .forms import StatusMappingForm, StoreAdminForm
from .models import Membership, StatusMapping, Store, Storefront, StoreSettings, Tenant
from .services import status_mapping_set, store_create, store_delete, store_settings_update, store_update


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_active", "daily_label_limit", "created_at"]
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
        (
            "Notifications",
            {
                "fields": [
                    "send_shipment_confirmation",
                    "send_delivery_notice",
                    "send_out_for_delivery",
                    "send_estimated_delivery",
                    "buyer_language",
                    "copy_to_merchant",
                ]
            },
        ),
        ("Product handling", {"fields": ["store_location_overwrites", "default_weight_unit", "currency"]}),
    ]


class StorefrontInline(admin.TabularInline):
    model = Storefront
    extra = 0
    fields = ["name", "shipped_status", "currency"]

    def get_fields(self, request, obj=None):
        # A platform whose storefronts apply no shipped status of their own (any cart) has none to record.
        if obj is not None and not obj.connection.storefront_shipped_status:
            return ["name", "currency"]
        return super().get_fields(request, obj)


def _oauth_detail(store: Store, name: str):
    """A detail of the store's OAuth set (in its encrypted document), or why it cannot be shown."""
    try:
        return getattr(store, name) if store.has_oauth_tokens else None
    except CredentialError:
        return "unreadable: no key in CREDENTIAL_KEYS decrypts it"


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    form = StoreAdminForm
    list_display = [
        "name",
        "tenant",
        "platform",
        "road",
        "url",
        "is_active",
        "import_interval_minutes",
    ]
    # The orders app adds the import state's columns, filters and fields (orders/admin.py).
    list_filter = ["platform", "road", "is_active", "needs_reconnect", "tenant"]
    list_select_related = ["tenant"]
    search_fields = ["name", "url", "username", "tenant__name"]
    readonly_fields = [
        "needs_reconnect",
        "reconnect_reason",
        "oauth_expiry",
        "oauth_granted_scope",
    ]
    fieldsets = [
        (None, {"fields": ["tenant", "name", "platform", "is_active"]}),
        (
            "Connection",
            {
                "fields": ["road", "url"],
                "description": "The road: the ShipStation add-on's XML page (username and password), or "
                "the REST API (an API token, or the OAuth app when connected from the "
                "portal). Switching keeps the store's orders and import watermark. "
                "Secrets are write-only: blank keeps the saved one.",
            },
        ),
        ("ShipStation add-on (XML road)", {"fields": ["endpoint_path", "username", "password"]}),
        (
            "REST API",
            {
                "fields": [
                    "rest_auth",
                    "api_token",
                    "needs_reconnect",
                    "reconnect_reason",
                    "oauth_expiry",
                    "oauth_granted_scope",
                ]
            },
        ),
        (
            "Import",
            {
                "fields": ["import_interval_minutes"],
                "description": "The import engine's bookkeeping (watermark, last import, claim, schedule) is "
                'shown in the "Import state" block below.',
            },
        ),
        (
            "Reconciliation sweep",
            {"fields": ["reconcile_every_hours", "reconcile_days"]},
        ),
    ]
    inlines = [StorefrontInline, StatusMappingInline, StoreSettingsInline]
    # The apps above add their actions on stores from their own admin module (orders: import now, reconcile
    # now): this app imports none of them.
    actions: list = []

    @admin.display(description="OAuth token expiry")
    def oauth_expiry(self, obj):
        return _oauth_detail(obj, "oauth_expires_at")

    @admin.display(description="OAuth scope")
    def oauth_granted_scope(self, obj):
        return _oauth_detail(obj, "oauth_scope")

    def get_readonly_fields(self, request, obj=None):
        # A store's orders, shipments and keys belong to its tenant: a store never moves to another one.
        return [*super().get_readonly_fields(request, obj), *(["tenant"] if obj is not None else [])]

    def save_model(self, request, obj, form, change):
        """Through the services, like the portal and the API: a new store gets its mapping and settings."""
        if change:
            store_update(store=obj, password=form.new_password(), api_token=form.new_api_token(), **form.store_fields())
            return
        fields = form.store_fields()
        created = store_create(
            tenant=form.cleaned_data["tenant"],
            password=form.new_password() or "",
            api_token=form.new_api_token() or "",
            **{name: fields.pop(name) for name in ("name", "url", "username")},
            **fields,
        )
        obj.pk = created.pk  # the admin goes on with its own instance (inlines, log entry)
        obj.refresh_from_db()
        obj._state.adding = False

    def delete_model(self, request, obj):
        """Through the service, like the portal: the store's shipments go first and its webhooks are removed."""
        store_delete(store=obj, typed_name=obj.name)  # the admin's confirmation page stands for the typed name

    def delete_queryset(self, request, queryset):
        for store in queryset:
            store_delete(store=store, typed_name=store.name)

    def get_deleted_objects(self, objs, request):
        """The confirmation page lists what goes with the store, and the service deletes it: Django's own check
        would refuse a store with shipments (a shipment line protects the order line it ships, and shipments
        are never deleted by hand in the admin), while store_delete deletes them first (its before-delete
        hooks). Deleting the store itself still needs the permission to delete stores."""
        deleted, counts, _perms_needed, _protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), []

    def save_formset(self, request, form, formset, change):
        """The inlines through the services: settings by store_settings_update, the mapping by
        status_mapping_update (which also brings in the orders skipped for a status mapped now); storefronts
        as the admin saves them. The formset's bookkeeping is kept for the admin's change message."""
        if formset.model not in (StoreSettings, StatusMapping):
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if not inline_form.has_changed() or inline_form in formset.deleted_forms:
                continue
            if formset.model is StoreSettings:
                fields = {name: inline_form.cleaned_data[name] for name in inline_form._meta.fields or ()}
                fields = {name: value for name, value in fields.items() if name in inline_form.changed_data}
                saved = store_settings_update(store=form.instance, **fields)
            else:
                # status_mapping_set's announcement brings in the orders skipped for a status mapped now
                lists = {name: inline_form.cleaned_data[name] for name in StatusMapping.FIELDS}
                saved, _started = status_mapping_set(store=form.instance, lists=lists, user=request.user)
            if inline_form.instance.pk:
                formset.changed_objects.append((saved, inline_form.changed_data))
            else:
                formset.new_objects.append(saved)
