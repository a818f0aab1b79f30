"""Batch work on the order list: ship the selected orders in one form, mark them delivered, re-send their
store updates; and the result page that lists each order's outcome.

The list posts its selection (portal.selection); each page here posts the orders it showed by id, with the
form's batch key, so submitting twice finds the same batch and does nothing twice (shipments.batch).
"""

from __future__ import annotations

import uuid
from collections import Counter

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shipments import batch as batches
from shipments.selectors import shipping_method_mappings_for

from ..batch_forms import BatchShipForm
from ..batch_labels import DONE, OUTCOME_LABELS, outcome_detail
from ..selection import resolve_order_selection
from ..tenancy import portal_view

ACTIONS = ("ship", "deliver", "resend")


def _back_to_list(selection):
    query = selection.query.urlencode()
    return redirect(reverse("portal:order_list") + (f"?{query}" if query else ""))


def _selected_orders(request):
    """(selection, its orders) or (selection, None) after telling the user why not."""
    selection = resolve_order_selection(request.tenant, request.POST)
    if selection.empty:
        messages.error(request, _("Select at least one order first."))
        return selection, None
    if selection.refusal:
        messages.error(request, selection.refusal)
        return selection, None
    orders = list(selection.orders[: batches.MAX_BATCH + 1])
    if len(orders) > batches.MAX_BATCH:
        messages.error(
            request,
            _("A batch takes at most %(max)s orders: narrow the list with its filters.") % {"max": batches.MAX_BATCH},
        )
        return selection, None
    if not orders:
        messages.error(request, _("None of the selected orders can be found any more."))
        return selection, None
    return selection, orders


def _pairs(query) -> list[tuple[str, str]]:
    return [(name, value) for name in query for value in query.getlist(name)]


def optional_url(name: str) -> str:
    """A URL of a page that may not be installed yet ("" then)."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


@portal_view("ship")
@require_POST
def orders_batch(request):
    """From the list: open the batch form (ship) or the confirmation (mark delivered, re-send)."""
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        messages.error(request, _("Choose what to do with the selected orders."))
        return _back_to_list(resolve_order_selection(request.tenant, request.POST))
    selection, orders = _selected_orders(request)
    if orders is None:
        return _back_to_list(selection)
    key = uuid.uuid4().hex
    if action == "ship":
        form = BatchShipForm(orders=orders, mappings=_mappings(request, orders), initial={"batch_key": key})
        return _ship_page(request, form, selection)
    return render(
        request,
        "portal/orders/batch_confirm.html",
        {
            "action": action,
            "orders": orders,
            "batch_key": key,
            "selection_query": _pairs(selection.query),
            "nav": "orders",
        },
    )


def _mappings(request, orders):
    return shipping_method_mappings_for(tenant=request.tenant, orders=orders)


def _ship_page(request, form, selection, status=200):
    return render(
        request,
        "portal/orders/batch_ship.html",
        {
            "form": form,
            "rows": form.rows_for_template(),
            "selection_query": _pairs(selection.query),
            "back_query": selection.query.urlencode(),
            "nav": "orders",
        },
        status=status,
    )


@portal_view("ship")
@require_POST
def orders_batch_ship(request):
    selection, orders = _selected_orders(request)
    if orders is None:
        return _back_to_list(selection)
    form = BatchShipForm(request.POST, orders=orders, mappings=_mappings(request, orders))
    if not form.is_valid():
        return _ship_page(request, form, selection, status=400)
    plan = {"rows": [batches.plan_row(row) for row in form.rows()], "notify_buyer": form.cleaned_data["notify_buyer"]}
    return _submit(request, selection, key=form.cleaned_data["batch_key"], kind="ship", plan=plan)


def _submit(request, selection, *, key: str, kind: str, plan: dict):
    try:
        batch = batches.batch_submit(tenant=request.tenant, key=key, kind=kind, plan=plan, user=request.user)
    except ValidationError:
        # The form's key belongs to a batch of another kind: a tampered or mixed-up form.
        messages.error(request, _("This form was already used for another action: select the orders again."))
        return _back_to_list(selection)
    return redirect("portal:batch_result", batch.pk)


@portal_view("ship")
@require_POST
def orders_batch_apply(request):
    """The confirmation of mark delivered / re-send."""
    action, key = request.POST.get("action", ""), request.POST.get("batch_key", "")
    selection, orders = _selected_orders(request)
    if orders is None or action not in ("deliver", "resend") or not key:
        if orders is not None:
            messages.error(request, _("Choose what to do with the selected orders."))
        return _back_to_list(selection)
    return _submit(request, selection, key=key, kind=action, plan={"order_ids": [order.pk for order in orders]})


@portal_view()
def batch_result(request, pk):
    batch = batches.batch_get(tenant=request.tenant, pk=pk)
    items = list(batches.batch_items(batch))
    counts = Counter("done" if item.outcome in DONE else "not_done" for item in items)
    rows = [
        (
            item,
            OUTCOME_LABELS.get(item.outcome, item.outcome),
            outcome_detail(item.outcome, item.detail, item.order_number),
            item.outcome in DONE,
        )
        for item in items
    ]
    return render(
        request,
        "portal/orders/batch_result.html",
        {
            "batch": batch,
            "rows": rows,
            "done": counts["done"],
            "not_done": counts["not_done"],
            "running": batch.is_running,
            "stalled": batch.is_stalled(),
            "nav": "orders",
        },
    )
