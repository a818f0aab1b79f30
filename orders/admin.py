from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.shortcuts import render

from stores import statuses
from stores.admin import StoreAdmin
from stores.admin_display import truncated

from .importing.mapping import SKIP_REASONS
from .models import (
    ImportRun,
    ImportState,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    Rule,
    ShippingPreset,
    SkippedOrder,
    StoreImportState,
    Tag,
    UnmappedStatus,
    import_state_of,
)
from .rules import services as rule_services
from .rules.services import product_defaults_set
from .services import (
    import_request,
    order_attention_clear,
    order_check_writable,
    order_set_notes,
    product_update,
    reconcile_request,
    unmapped_status_add_to_mapping,
)


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = [
        "sku",
        "name",
        "quantity",
        "unit_price",
        "unit_weight",
        "weight_unit",
        "options",
        "warehouse_location",
        "image_url",
        "is_adjustment",
        "is_shippable",
        "product_kind",
        "line_item_id",
    ]
    readonly_fields = fields


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "message", "actor"]
    readonly_fields = fields
    ordering = ["-created_at"]


@admin.action(description="Mark as handled (clear “needs attention”)")
def clear_attention(modeladmin, request, queryset):
    count = order_attention_clear(orders=queryset, actor=request.user.get_username())
    messages.success(request, f"{count} order(s) cleared.")


class OrderAdminForm(forms.ModelForm):
    """The two notes an operator may edit; a disconnected store's orders are read only (the service's words)."""

    class Meta:
        model = Order
        fields = ["notes_to_buyer", "outbound_notes"]

    def clean(self):
        cleaned = super().clean()
        if self.changed_data:
            order_check_writable(order=self.instance)
        return cleaned


NOTES = ("notes_to_buyer", "outbound_notes")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    form = OrderAdminForm
    list_display = [
        "number",
        "store",
        "storefront",
        "status",
        "shipping",
        "store_status",
        "needs_attention",
        "ship_to_name",
        "email",
        "order_date",
        "order_total",
        "is_gift",
    ]
    list_filter = ["status", "needs_attention", "shipping", "is_gift", "store__tenant", "store", "storefront"]
    actions = [clear_attention]
    list_select_related = ["store", "storefront"]
    search_fields = ["number", "external_id", "email", "ship_to_name", "customer_code", "lines__sku"]
    raw_id_fields = ["tenant", "store", "storefront"]
    show_full_result_count = False
    date_hierarchy = "order_date"
    inlines = [OrderLineInline, OrderEventInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "tenant",
                    "store",
                    "storefront",
                    "external_id",
                    "number",
                    "status",
                    "store_status",
                    "order_date",
                    "modified_at",
                    "shipping",
                    "needs_attention",
                    "attention_reason",
                ]
            },
        ),
        ("Customer", {"fields": ["customer_code", "email", "phone", "bill_to", "ship_to"]}),
        (
            "Shipping and payment",
            {
                "fields": [
                    "shipping_method",
                    "payment_method",
                    "currency",
                    "order_total",
                    "tax_amount",
                    "shipping_amount",
                    "discount_total",
                    "total_weight",
                    "weight_unit",
                    "total_weight_from_lines",
                    "requested_warehouse",
                    "source",
                ]
            },
        ),
        (
            "Gift and notes",
            {
                "fields": [
                    "is_gift",
                    "gift_message",
                    "customer_notes",
                    "internal_notes",
                    "notes_to_buyer",
                    "outbound_notes",
                    "hold_reason",
                ]
            },
        ),
        ("Custom fields", {"fields": ["custom_field_1", "custom_field_2", "custom_field_3"]}),
        # Issue 30, read only here: who chose each (`choices`: a rule, a person, a product, the method mapping).
        (
            "Shipping choices",
            {"fields": ["shipping_preset", "package", "assignee", "hold_until", "choices", "rules_error"]},
        ),
    ]

    def has_add_permission(self, request) -> bool:
        return False  # orders come from the store's import

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Order._meta.fields if f.name not in NOTES]

    def save_model(self, request, obj, form, change):
        """Through order_set_notes, like the portal and the API: the history says the notes were edited."""
        edited = {name: form.cleaned_data[name] for name in NOTES if name in form.changed_data}
        if edited:
            order_set_notes(order=obj, actor=request.user.get_username(), **edited)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "sku",
        "name",
        "store",
        "kind",
        "weight",
        "weight_unit",
        "warehouse_location",
        "location_set_in_outbound",
    ]
    list_filter = ["kind", "store__tenant", "store"]
    list_select_related = ["store"]
    search_fields = ["sku", "name", "warehouse_location"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False  # products come from the store's import

    # The store's import writes the rest; an operator sets what the portal and the API set, through
    # product_update (a location typed here is kept across imports, as one set anywhere in Outbound).
    fields = [
        "store",
        "sku",
        "name",
        "kind",
        "image_url",
        "warehouse_location",
        "location_set_in_outbound",
        "weight",
        "weight_unit",
        "length",
        "width",
        "height",
        "dimension_unit",
        "default_package",
        "default_shipping_preset",
        "hs_code",
        "country_of_origin",
        "customs_description",
        "updated_at",
    ]
    readonly_fields = ["store", "sku", "name", "kind", "image_url", "location_set_in_outbound", "updated_at"]
    raw_id_fields = ["store", "default_package", "default_shipping_preset"]

    def save_model(self, request, obj, form, change):
        data, changed = form.cleaned_data, form.changed_data
        dimensions = {k: data.get(k) for k in ("length", "width", "height", "dimension_unit") if k in changed}
        try:
            product_update(
                product=obj,
                set_weight="weight" in changed,
                weight=data.get("weight"),
                warehouse_location=data["warehouse_location"] if "warehouse_location" in changed else None,
                weight_unit=data["weight_unit"] if "weight_unit" in changed else None,
                dimensions=dimensions,
                **({"default_package": data.get("default_package")} if "default_package" in changed else {}),
            )
            defaults = {k: data.get(k) for k in PRODUCT_DEFAULTS if k in changed}
            if defaults:
                product_defaults_set(product=obj, **defaults)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))


@admin.action(description="Import now")
def import_now(modeladmin, request, queryset):
    for store in queryset:
        run = import_request(store=store, trigger="manual", user=request.user)
        _report_run(request, store, f"import run {run.pk}", run)


def _report_run(request, store, what: str, run) -> None:
    """A run that already failed (a refused password, a store that did not answer) is an error, not a success."""
    if run.state == ImportState.FAILED:
        messages.error(request, f"{store.name}: {what} failed: {run.error or 'no reason was given'}")
    else:
        messages.success(request, f"{store.name}: {what} {run.get_state_display().lower()}.")


@admin.action(description="Reconcile now (compare the last days with the store, import what was missed)")
def reconcile_now(modeladmin, request, queryset):
    for store in queryset:
        run = reconcile_request(store=store, user=request.user)
        what = "reconciliation sweep" if run.trigger == "reconcile" else "import (already under way; sweep later)"
        _report_run(request, store, f"{what} run {run.pk}", run)


# The import engine's bookkeeping of a store (orders.models.StoreImportState), shown on the store's admin page
# and list, read only: the engine writes it.
IMPORT_STATE_SHOWN = [
    "import_watermark",
    "import_pending_since",
    "last_import_at",
    "last_import_ok",
    "last_import_message",
    "consecutive_failures",
    "needs_attention",
    "import_running_since",
    "last_checked_at",
    "idle_checks",
    "next_import_at",
    "last_reconcile_at",
    "orders_recovered",
]


def _import_state_display(name: str):
    field = StoreImportState._meta.get_field(name)
    boolean = isinstance(field, models.BooleanField)

    @admin.display(description=field.verbose_name, boolean=boolean, ordering=f"import_state__{name}")
    def shown(modeladmin, obj):
        return getattr(import_state_of(obj), name)

    shown.__name__ = name
    return shown


# The store admin's actions, columns, filters and fields that are the import's: the stores app sits below this one
# and names none of them (each shown field is a method of the store admin, read from store.import_state).
StoreAdmin.actions = [*StoreAdmin.actions, import_now, reconcile_now]
for _name in IMPORT_STATE_SHOWN:
    setattr(StoreAdmin, _name, _import_state_display(_name))
StoreAdmin.list_display = [
    *StoreAdmin.list_display,
    "last_import_at",
    "last_import_ok",
    "needs_attention",
    "orders_recovered",
]
StoreAdmin.list_filter = [
    *StoreAdmin.list_filter[:-1],
    "import_state__needs_attention",
    "import_state__last_import_ok",
    StoreAdmin.list_filter[-1],
]
StoreAdmin.list_select_related = [*StoreAdmin.list_select_related, "import_state"]
StoreAdmin.readonly_fields = [*StoreAdmin.readonly_fields, *IMPORT_STATE_SHOWN]
StoreAdmin.fieldsets = [*StoreAdmin.fieldsets, ("Import state", {"fields": IMPORT_STATE_SHOWN})]


@admin.action(description="Import now (a new run for each selected run's store)")
def import_again(modeladmin, request, queryset):
    for store in {run.store for run in queryset.select_related("store")}:
        import_request(store=store, trigger="manual", user=request.user)
    messages.success(request, "Import queued.")


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "store",
        "trigger",
        "state",
        "pages_done",
        "pages_total",
        "orders_seen",
        "orders_created",
        "orders_updated",
        "orders_unchanged",
        "skipped_text",
        "recovered_count",
        "http_requests",
        "queued_at",
        "finished_at",
        "short_error",
    ]
    list_filter = ["state", "trigger", "store__tenant", "store"]
    list_select_related = ["store"]
    search_fields = ["store__name", "error"]
    raw_id_fields = ["store", "requested_by"]
    # The skipped counts are read as "reason: count", never as the JSON they are kept in.
    readonly_fields = [f.name if f.name != "skipped" else "skipped_text" for f in ImportRun._meta.fields]
    exclude = ["skipped"]
    show_full_result_count = False
    actions = [import_again]

    def has_add_permission(self, request) -> bool:
        return False  # runs are queued by the schedule, "Import now" or the API

    @admin.display(description="error")
    def short_error(self, obj):
        return truncated(obj.error)

    @admin.display(description="skipped")
    def skipped_text(self, run) -> str:
        """ "no ship-to address: 3, store status not mapped: 2" (a reason Outbound no longer knows: its code)."""
        counts = run.skipped if isinstance(run.skipped, dict) else {}
        known = list(SKIP_REASONS)
        # In the reasons' own order (PostgreSQL's jsonb keeps keys in its own): unknown codes last.
        order = sorted(counts, key=lambda r: (known.index(r) if r in known else len(known), r))
        return ", ".join(f"{SKIP_REASONS.get(r, r)}: {counts[r]}" for r in order if counts[r]) or "—"

    @admin.display(description="recovered")
    def recovered_count(self, run) -> int:
        """Orders a reconciliation sweep found that earlier runs had missed (their numbers: open the run)."""
        return len(run.recovered or [])


class AddToMappingForm(forms.Form):
    outbound_status = forms.ChoiceField(choices=statuses.OUTBOUND_STATUSES, label="Add to the list")


@admin.action(description="Add to a status mapping list and re-import")
def add_to_mapping(modeladmin, request, queryset):
    if "apply" in request.POST:
        form = AddToMappingForm(request.POST)
        if form.is_valid():
            for unmapped in queryset.select_related("store"):
                try:
                    unmapped_status_add_to_mapping(
                        unmapped=unmapped, outbound_status=form.cleaned_data["outbound_status"], user=request.user
                    )
                except Exception as exc:  # noqa: BLE001  (shown to the operator)
                    messages.error(request, f"{unmapped.status}: {exc}")
                else:
                    messages.success(request, f"“{unmapped.status}” added; its orders are being imported.")
            return None
    form = AddToMappingForm()
    return render(
        request,
        "admin/orders/add_to_mapping.html",
        {
            "form": form,
            "queryset": queryset,
            "opts": modeladmin.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        },
    )


@admin.register(UnmappedStatus)
class UnmappedStatusAdmin(admin.ModelAdmin):
    list_display = ["status", "store", "order_count", "first_seen_at", "last_seen_at"]
    list_filter = ["store__tenant", "store"]
    list_select_related = ["store"]
    search_fields = ["status"]
    readonly_fields = [f.name for f in UnmappedStatus._meta.fields]
    actions = [add_to_mapping]


@admin.register(SkippedOrder)
class SkippedOrderAdmin(admin.ModelAdmin):
    """Orders the import left out on purpose, with the reason: none goes missing without a word."""

    list_display = ["number", "store", "reason", "detail", "store_status", "modified_at", "seen_at"]
    list_filter = ["reason", "store__tenant", "store"]
    list_select_related = ["store"]
    search_fields = ["number", "external_id"]
    readonly_fields = [f.name for f in SkippedOrder._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# --- issue 30: tags, shipping presets, automation rules (written through orders.rules.services) -------------

PRODUCT_DEFAULTS = ("default_shipping_preset", "hs_code", "country_of_origin", "customs_description")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "color", "tenant"]
    list_filter = ["tenant"]
    search_fields = ["name"]
    fields = ["tenant", "name", "color"]
    raw_id_fields = ["tenant"]

    def save_model(self, request, obj, form, change):
        rule_services.tag_save(tenant=obj.tenant, tag=obj, name=obj.name, color=obj.color)

    def delete_model(self, request, obj):
        rule_services.tag_delete(tag=obj)


@admin.register(ShippingPreset)
class ShippingPresetAdmin(admin.ModelAdmin):
    list_display = ["name", "carrier_account", "service", "package", "tenant"]
    list_filter = ["tenant"]
    search_fields = ["name", "service"]
    fields = ["tenant", "name", "carrier_account", "service", "package", "confirmation", "insurance"]
    raw_id_fields = ["tenant", "carrier_account", "package"]

    def save_model(self, request, obj, form, change):
        values = {k: form.cleaned_data[k] for k in rule_services.PRESET_FIELDS}
        rule_services.preset_save(tenant=obj.tenant, preset=obj, **values)

    def delete_model(self, request, obj):
        rule_services.preset_delete(preset=obj)


class RuleAdminForm(forms.ModelForm):
    class Meta:
        model = Rule
        fields = ["tenant", "store", "name", "position", "enabled", "match", "conditions", "actions", "override_manual"]

    def clean(self):
        cleaned = super().clean()
        tenant = cleaned.get("tenant")
        if tenant is not None and not self.errors:
            try:
                rule_services.rule_check(
                    tenant=tenant, conditions=cleaned.get("conditions"), actions=cleaned.get("actions")
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
        return cleaned


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    form = RuleAdminForm
    list_display = ["name", "tenant", "store", "position", "enabled", "match"]
    list_filter = ["tenant", "enabled"]
    search_fields = ["name"]
    raw_id_fields = ["tenant", "store"]

    def save_model(self, request, obj, form, change):
        values = {k: form.cleaned_data[k] for k in rule_services.RULE_FIELDS}
        rule_services.rule_save(tenant=obj.tenant, rule=obj, **values)

    def delete_model(self, request, obj):
        rule_services.rule_delete(rule=obj)
