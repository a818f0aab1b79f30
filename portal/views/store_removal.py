"""Disconnecting, connecting again and deleting a store (owners only), each after a confirmation page.

Disconnect stops everything that reaches the store (imports, real time, carrier tracking) and keeps its
orders read only; delete removes the store with all its data once its name is typed.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from stores.services import store_delete, store_disconnect, store_reconnect

from ..tenancy import get_store_for_user, portal_view


class StoreDeleteForm(forms.Form):
    typed_name = forms.CharField(
        label=gettext_lazy("Type the store's name to confirm"), max_length=200, strip=True, required=True
    )


@portal_view("remove_stores")
def store_disconnect_view(request, pk):
    store = get_store_for_user(request, pk)
    if request.method == "POST":
        if not store.is_disconnected:
            store_disconnect(store=store)
            messages.success(
                request,
                _("%(name)s is disconnected. Its orders are kept, read only; nothing reaches the store any more.")
                % {"name": store.name},
            )
        return redirect(reverse("portal:store_settings", args=[store.pk]) + "#lifecycle")
    return render(request, "portal/stores/disconnect.html", {"store": store, "nav": "stores"})


@portal_view("manage_stores")
@require_POST
def store_reconnect_view(request, pk):
    store = get_store_for_user(request, pk)
    if store.is_disconnected:
        store_reconnect(store=store)
        messages.success(
            request, _("%(name)s is connected again: imports carry on from where they stopped.") % {"name": store.name}
        )
    return redirect(reverse("portal:store_settings", args=[store.pk]) + "#lifecycle")


@portal_view("remove_stores")
def store_delete_view(request, pk):
    store = get_store_for_user(request, pk)
    form = StoreDeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        name = store.name
        try:
            store_delete(store=store, typed_name=form.cleaned_data["typed_name"])
        except ValidationError as exc:
            form.add_error("typed_name", exc.message_dict.get("typed_name", exc.messages))
        else:
            messages.success(request, _("%(name)s and all its data are deleted.") % {"name": name})
            return redirect("portal:store_list")
    return render(request, "portal/stores/delete.html", {"store": store, "form": form, "nav": "stores"})
