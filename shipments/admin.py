"""The operators' view of shipments (and the outbox's filter by a shipment's store). Actions call services;
no logic lives here."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from outbox.admin import OutboxMessageAdmin
from outbox.models import OutboxMessage
from stores.admin_display import run_action, truncated
from stores.models import Store

from .method_mapping import shipping_method_mapping_delete, shipping_method_mapping_set
from .models import EmailSend, Shipment, ShipmentLine, ShippingMethodMapping, shipment_ref
from .services import (
    shipment_correct_tracking_number,
    shipment_mark_delivered,
    shipment_void,
    store_update_retry,
)
from .tracking_numbers import TRACKING_INPUT_MAX, tracking_number_clean


class ShipmentLineInline(admin.TabularInline):
    model = ShipmentLine
    extra = 0
    raw_id_fields = ["order_line"]
    readonly_fields = ["order_line", "quantity"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class CorrectTrackingForm(forms.Form):
    tracking_number = forms.CharField(label=_("Corrected tracking number"), max_length=TRACKING_INPUT_MAX)

    def __init__(self, *args, shipment: Shipment, **kwargs):
        super().__init__(*args, **kwargs)
        self.shipment = shipment

    def clean_tracking_number(self) -> str:
        """The number as it will be stored (the one rule), so the confirmation shows exactly that."""
        number = tracking_number_clean(self.cleaned_data["tracking_number"])
        if number == self.shipment.tracking_number:
            raise ValidationError(gettext("This is already the shipment's tracking number."))
        return number


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    """Shipments are read here, and changed only by the actions, which call the services: a shipment never
    moves to another order or tenant, and its carrier, service and tracking number change only through
    shipment_correct_tracking_number (the store is told, tracking follows)."""

    change_form_template = "admin/shipments/shipment/change_form.html"
    list_display = [
        "id",
        "order",
        "tenant",
        "carrier",
        "tracking_number",
        "state",
        "store_update_state",
        "ship_date",
        "created_at",
    ]
    list_filter = ["state", "store_update_state", "carrier", "tenant"]
    list_select_related = ["order", "tenant"]
    search_fields = ["tracking_number", "order__number", "order__external_id"]
    readonly_fields = [
        "order",
        "tenant",
        "carrier",
        "service",
        "tracking_number",
        "tracking_url",
        "ship_date",
        "carrier_fee",
        "notes_to_buyer",
        "internal_notes",
        "notify_buyer",
        "state",
        "delivered_at",
        "voided_at",
        "store_update_state",
        "created_at",
        "updated_at",
        "created_by_user",
        "created_by_label",
        "outbox_messages",
    ]
    inlines = [ShipmentLineInline]
    show_full_result_count = False
    date_hierarchy = "created_at"
    actions = ["mark_delivered", "void", "retry_store_update", "correct_tracking_number"]

    def has_add_permission(self, request):
        # Shipments are made by shipment_create (portal, API), which checks quantities and writes the outbox.
        return False

    def has_change_permission(self, request, obj=None):
        # Read only: the actions are the changes (each a service that keeps the store and tracking in step).
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # "Void" is how a shipment ends: the order reopens and the store update is cancelled

    def has_correct_permission(self, request) -> bool:
        return request.user.has_perm("shipments.change_shipment")

    def get_urls(self):
        view = self.admin_site.admin_view(self.correct_tracking_view)
        return [
            path("<path:object_id>/correct-tracking/", view, name="shipments_shipment_correct_tracking"),
            *super().get_urls(),
        ]

    @admin.display(description="outbox messages")
    def outbox_messages(self, obj):
        # The shipment's store update and e-mails (found by their reference: the outbox has no foreign key).
        messages = OutboxMessage.objects.filter(ref=shipment_ref(obj.pk)).order_by("created_at", "id")
        return (
            format_html_join(
                mark_safe("<br>"),
                '<a href="{}">{}</a>: {}, {} attempt(s) {}',
                (
                    (
                        reverse("admin:outbox_outboxmessage_change", args=[m.pk]),
                        m.kind,
                        m.state,
                        m.attempts,
                        truncated(m.last_error),
                    )
                    for m in messages
                ),
            )
            or "—"
        )

    @admin.action(description="Mark delivered")
    def mark_delivered(self, request, queryset):
        actor = request.user.get_username()
        run_action(
            self,
            request,
            queryset,
            lambda s: shipment_mark_delivered(shipment=s, actor=actor),
            "shipment(s) marked delivered",
        )

    @admin.action(description="Void")
    def void(self, request, queryset):
        run_action(
            self, request, queryset, lambda s: shipment_void(shipment=s, user=request.user), "shipment(s) voided"
        )

    @admin.action(description="Retry store update now")
    def retry_store_update(self, request, queryset):
        run_action(self, request, queryset, lambda s: store_update_retry(shipment=s), "store update(s) retried")

    @admin.action(description=_("Correct tracking number…"), permissions=["correct"])
    def correct_tracking_number(self, request, queryset):
        """One shipment at a time: its own page asks for the number and for a confirmation."""
        if queryset.count() != 1:
            self.message_user(request, gettext("Select one shipment to correct its tracking number."), messages.ERROR)
            return None
        return redirect("admin:shipments_shipment_correct_tracking", queryset.get().pk)

    def correct_tracking_view(self, request, object_id):
        """Type the number, see what will happen, confirm; the service does the rest."""
        if not self.has_correct_permission(request):
            raise PermissionDenied
        shipment = get_object_or_404(Shipment.objects.select_related("order__store", "tenant"), pk=object_id)
        form = CorrectTrackingForm(request.POST or None, shipment=shipment)
        confirming = False
        if request.method == "POST" and form.is_valid():
            if "confirm" not in request.POST:
                confirming = True
            else:
                try:
                    shipment_correct_tracking_number(
                        shipment=shipment,
                        tracking_number=form.cleaned_data["tracking_number"],
                        actor=request.user.get_username(),
                    )
                except ValidationError as exc:
                    for message in exc.messages:
                        form.add_error(None, message)
                else:
                    self.message_user(
                        request,
                        gettext("Tracking number of shipment %(id)s corrected: the store is sent the new one.")
                        % {"id": shipment.pk},
                        messages.SUCCESS,
                    )
                    return redirect("admin:shipments_shipment_change", shipment.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Correct the tracking number of shipment %(id)s") % {"id": shipment.pk},
            "opts": self.model._meta,
            "original": shipment,
            "shipment": shipment,
            "form": form,
            "confirming": confirming,
        }
        return TemplateResponse(request, "admin/shipments/shipment/correct_tracking.html", context)


class ShipmentStoreFilter(admin.SimpleListFilter):
    """The outbox list filtered by the store of the shipment a message is about (its `ref`)."""

    title = "shipment store"
    parameter_name = "shipment_store"

    def lookups(self, request, model_admin):
        return list(
            Store.objects.filter(orders__shipments__isnull=False).distinct().order_by("name").values_list("pk", "name")
        )

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        refs = (
            Shipment.objects.filter(order__store_id=self.value())
            .annotate(outbox_ref=Concat(Value(shipment_ref("")), Cast("pk", CharField())))
            .values("outbox_ref")
        )
        return queryset.filter(ref__in=refs)


# The outbox is below this app and knows nothing of shipments; the operators' store filter is added here.
OutboxMessageAdmin.list_filter = [*OutboxMessageAdmin.list_filter, ShipmentStoreFilter]


@admin.register(EmailSend)
class EmailSendAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "to", "state", "shipment", "sent_at", "created_at"]
    list_filter = ["state", "kind"]
    list_select_related = ["shipment"]
    search_fields = ["to", "dedupe_key"]
    raw_id_fields = ["tenant", "shipment"]
    readonly_fields = [
        "tenant",
        "shipment",
        "kind",
        "dedupe_key",
        "to",
        "subject",
        "state",
        "error",
        "sent_at",
        "created_at",
    ]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False


@admin.register(ShippingMethodMapping)
class ShippingMethodMappingAdmin(admin.ModelAdmin):
    """Requested shipping method → carrier + service, per store. Saves and deletes go through the services."""

    list_display = ["requested_method", "store", "tenant", "carrier", "service", "source", "times_used", "updated_at"]
    list_filter = ["source", "carrier", "tenant"]
    list_select_related = ["store", "tenant"]
    search_fields = ["requested_method", "service", "store__name"]
    raw_id_fields = ["store"]
    fields = ["store", "requested_method", "carrier", "service", "source", "times_used", "updated_by", "updated_at"]
    readonly_fields = ["source", "times_used", "updated_by", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        # A mapping's store and method are its identity: change the carrier and service, or delete it.
        return self.readonly_fields + (["store", "requested_method"] if obj else [])

    def save_model(self, request, obj, form, change):
        saved = shipping_method_mapping_set(
            store=obj.store,
            requested_method=obj.requested_method,
            carrier=obj.carrier,
            service=obj.service,
            actor=request.user.get_username(),
        )
        obj.pk, obj.tenant_id = saved.pk, saved.tenant_id

    def delete_model(self, request, obj):
        shipping_method_mapping_delete(mapping=obj)

    def delete_queryset(self, request, queryset):
        for mapping in queryset:
            shipping_method_mapping_delete(mapping=mapping)
