"""A store's shipping-method table: which carrier and service the ship form starts with for each requested
shipping method. Learned from the merchant's shipments; listed, added, edited and deleted (with a
confirmation) here, through shipments.services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from shipments.method_mapping import (
    shipping_method_mapping_delete,
    shipping_method_mapping_set,
    shipping_method_mapping_update,
)
from shipments.selectors import shipping_method_mapping_get, shipping_method_mapping_list

from ..shipping_method_forms import ShippingMethodMappingAddForm, ShippingMethodMappingForm
from ..tenancy import forbidden, get_store_for_user, portal_view


def _apply(form, write) -> bool:
    """Run the service; its refusal lands on the form, in words."""
    try:
        write()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
        return False
    return True


@portal_view()
@require_http_methods(["GET", "POST"])
def shipping_methods(request, pk):
    store = get_store_for_user(request, pk)
    can_edit = request.membership.can("manage_stores")
    form = ShippingMethodMappingAddForm(request.POST or None)
    if request.method == "POST":
        if not can_edit:
            return forbidden(request, "manage_stores")
        if form.is_valid() and _apply(
            form,
            lambda: shipping_method_mapping_set(
                store=store,
                requested_method=form.cleaned_data["requested_method"],
                carrier=form.cleaned_data["carrier"],
                service=form.cleaned_data["service"],
                actor=request.user.get_username(),
            ),
        ):
            messages.success(
                request,
                _("Saved: orders asking for “%(method)s” start with this carrier and service.")
                % {"method": form.cleaned_data["requested_method"].strip()},
            )
            return redirect("portal:shipping_methods", store.pk)
    return render(
        request,
        "portal/stores/shipping_methods.html",
        {
            "store": store,
            "mappings": list(shipping_method_mapping_list(tenant=request.tenant, store_id=store.pk)),
            "form": form,
            "can_edit": can_edit,
            "nav": "stores",
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@portal_view("manage_stores")
@require_http_methods(["GET", "POST"])
def shipping_method_edit(request, pk, mapping_pk):
    store = get_store_for_user(request, pk)
    mapping = shipping_method_mapping_get(tenant=request.tenant, store_id=store.pk, pk=mapping_pk)
    form = ShippingMethodMappingForm(
        request.POST or None, initial={"carrier": mapping.carrier, "service": mapping.service}
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and _apply(
            form,
            lambda: shipping_method_mapping_update(
                mapping=mapping,
                carrier=form.cleaned_data["carrier"],
                service=form.cleaned_data["service"],
                actor=request.user.get_username(),
            ),
        )
    ):
        messages.success(request, _("Saved."))
        return redirect("portal:shipping_methods", store.pk)
    return render(
        request,
        "portal/stores/shipping_method_edit.html",
        {"store": store, "mapping": mapping, "form": form, "nav": "stores"},
        status=400 if form.is_bound and form.errors else 200,
    )


@portal_view("manage_stores")
@require_http_methods(["GET", "POST"])
def shipping_method_delete(request, pk, mapping_pk):
    """GET asks for confirmation; POST deletes."""
    store = get_store_for_user(request, pk)
    mapping = shipping_method_mapping_get(tenant=request.tenant, store_id=store.pk, pk=mapping_pk)
    if request.method == "POST":
        shipping_method_mapping_delete(mapping=mapping)
        messages.success(
            request,
            _(
                "Deleted: the ship form no longer fills in a carrier for “%(method)s” until "
                "the next shipment of such an order."
            )
            % {"method": mapping.requested_method},
        )
        return redirect("portal:shipping_methods", store.pk)
    return render(
        request, "portal/stores/shipping_method_delete.html", {"store": store, "mapping": mapping, "nav": "stores"}
    )
