"""Ship-from locations (and each store's default one) and package presets: the workspace's shipping setup,
for owners and admins like the carrier accounts. Listed, added, edited and deleted (after a confirmation
page) through carriers.services."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carriers.forms import PackagePresetForm, ShipFromForm
from carriers.selectors import (
    package_preset_get,
    package_preset_list,
    ship_from_get,
    ship_from_list,
    store_defaults,
)
from carriers.services import (
    package_preset_create,
    package_preset_delete,
    package_preset_update,
    ship_from_create,
    ship_from_delete,
    ship_from_update,
    store_default_ship_from_set,
)
from stores.selectors import store_list

from ..tenancy import portal_view
from .shipping_methods import _apply  # a service's refusal on the form, in words


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


# --- ship-from locations -----------------------------------------------------------------------------


@portal_view("manage_stores")
@require_http_methods(["GET", "POST"])
def ship_from_index(request):
    tenant = request.tenant
    locations = list(ship_from_list(tenant=tenant))
    stores = list(store_list(tenant=tenant))
    is_defaults = request.method == "POST" and request.POST.get("section") == "defaults"
    form = ShipFromForm(request.POST if request.method == "POST" and not is_defaults else None, prefix="new")
    if is_defaults:
        by_pk = {loc.pk: loc for loc in locations}
        for store in stores:
            raw = request.POST.get(f"store-{store.pk}", "")
            chosen = by_pk.get(int(raw)) if raw.isdigit() else None
            store_default_ship_from_set(store=store, ship_from=chosen)
        messages.success(request, _("Saved: each store's labels ship from the location chosen for it."))
        return redirect("portal:ship_from_index")
    if form.is_bound and form.is_valid():
        if _apply(form, lambda: ship_from_create(tenant=tenant, **form.cleaned_data)):
            messages.success(request, _("Ship-from location “%(name)s” added.") % {"name": form.cleaned_data["name"]})
            return redirect("portal:ship_from_index")
    defaults = store_defaults(tenant=tenant)
    return render(
        request,
        "portal/shipping/ship_from_list.html",
        {
            "locations": locations,
            "stores": [(s, defaults.get(s.pk)) for s in stores],
            "form": form,
            "nav": "carriers",
        },
        status=_status(form),
    )


def _edit_page(request, row, form_class, update, template: str, back: str):
    """A row's edit page: its form, saved through `update(row, data)`, then back to its list."""
    form = form_class(request.POST or None, instance=row, prefix="edit")
    if request.method == "POST" and form.is_valid() and _apply(form, lambda: update(row, form.cleaned_data)):
        messages.success(request, _("Saved."))
        return redirect(back)
    return render(request, template, {"form": form, "row": row, "nav": "carriers"}, status=_status(form))


def _delete_page(request, row, delete, *, done: str, what: str, consequence: str, back: str, form_id: str):
    """GET asks for confirmation (what happens to what used the row); POST deletes through `delete(row)`."""
    if request.method == "POST":
        delete(row)
        messages.success(request, done % {"name": row.name})
        return redirect(back)
    context = {"what": what, "name": row.name, "consequence": consequence, "back": back, "form_id": form_id}
    return render(request, "portal/shipping/delete.html", {**context, "nav": "carriers"})


@portal_view("manage_stores")
@require_http_methods(["GET", "POST"])
def ship_from_edit(request, pk):
    return _edit_page(
        request,
        ship_from_get(tenant=request.tenant, pk=pk),
        ShipFromForm,
        lambda row, data: ship_from_update(ship_from=row, **data),
        "portal/shipping/ship_from_edit.html",
        "portal:ship_from_index",
    )


@portal_view("manage_stores")
@require_http_methods(["GET", "POST"])
def ship_from_delete_view(request, pk):
    return _delete_page(
        request,
        ship_from_get(tenant=request.tenant, pk=pk),
        lambda row: ship_from_delete(ship_from=row),
        done=_("Ship-from location “%(name)s” deleted."),
        what=_("Delete this ship-from location?"),
        consequence=_(
            "Carrier accounts and stores that ship from it will have no ship-from location until you "
            "choose another; labels already bought keep their address."
        ),
        back="portal:ship_from_index",
        form_id="ship-from-delete",
    )


# --- package presets ---------------------------------------------------------------------------------


@portal_view("manage_stores")
@require_http_methods(["GET", "POST"])
def package_preset_index(request):
    form = PackagePresetForm(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        if _apply(form, lambda: package_preset_create(tenant=request.tenant, **form.cleaned_data)):
            messages.success(request, _("Package “%(name)s” added.") % {"name": form.cleaned_data["name"]})
            return redirect("portal:package_preset_index")
    return render(
        request,
        "portal/shipping/package_list.html",
        {"presets": list(package_preset_list(tenant=request.tenant)), "form": form, "nav": "carriers"},
        status=_status(form),
    )


@portal_view("manage_stores")
@require_http_methods(["GET", "POST"])
def package_preset_edit(request, pk):
    return _edit_page(
        request,
        package_preset_get(tenant=request.tenant, pk=pk),
        PackagePresetForm,
        lambda row, data: package_preset_update(preset=row, **data),
        "portal/shipping/package_edit.html",
        "portal:package_preset_index",
    )


@portal_view("manage_stores")
@require_http_methods(["GET", "POST"])
def package_preset_delete_view(request, pk):
    return _delete_page(
        request,
        package_preset_get(tenant=request.tenant, pk=pk),
        lambda row: package_preset_delete(preset=row),
        done=_("Package “%(name)s” deleted."),
        what=_("Delete this package preset?"),
        consequence=_(
            "Products that ship in it by default will have no default package until you choose another; "
            "labels already bought are not changed."
        ),
        back="portal:package_preset_index",
        form_id="package-delete",
    )
