"""Orders: the list (tabs per status, search, filters, pagination), the order page, shipping.

The list fetches one row more than a page to know whether a next page exists, so the first page costs
the same queries for a thousand orders or a million. The tab counts are one query with the list's filters,
each counted up to orders.selectors.LIST_COUNT_CAP ("10,000+"); the pager's total is read from them, and
page numbers reach the counted orders (issue 26: nothing on the page grows with the tenant's table).
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from labels.selectors import document_formats, purchases_of
from labels.services import labels_sweep
from orders import services as order_services
from orders.actions import order_actions
from orders.models import OrderStatus, import_state_of
from orders.selectors import (
    LIST_COUNT_CAP,
    assignable_people,
    order_item_counts,
    order_tab_counts,
    order_tags,
    shipping_preset_list,
    tag_list,
)
from shipments import services as shipment_services
from shipments.selectors import (
    shipment_list,
    shippable_lines,
    shipped_quantities,
    shipping_method_mapping_for,
    store_updates_by_shipment,
    voided_tracking_by_order,
)

from ..forms import HoldForm, OutboundNotesForm, ShipForm
from ..labels import actor_label, event_text, status_choices
from ..selection import filter_query, list_filters
from ..tenancy import get_order_for_user, get_shipment_for_user, portal_view
from .automation import order_choices_view
from .batch import optional_url

PAGE_SIZE = 50


@portal_view()
def order_list(request):
    tenant = request.tenant
    filters = list_filters(tenant, request.GET)
    form, status, partially_shipped, attention, common, sort = (
        filters.form,
        filters.status,
        filters.partially_shipped,
        filters.attention,
        filters.common,
        filters.sort,
    )
    qs = filters.orders(tenant)
    # The tab counts follow the filters (one query) and give the pager its total without another count. Each is
    # counted up to LIST_COUNT_CAP + 1 entries of an index ("10,000+"), never over the tenant's whole table,
    # and page numbers reach as far: a million orders cost what ten thousand do.
    # A refused filter matches nothing: no order, and counts of nothing (not the whole tenant's).
    codes = [code for code, _label in status_choices()]
    counts = {} if filters.refused else order_tab_counts(tenant=tenant, statuses=codes, cap=LIST_COUNT_CAP, **common)
    tabs = [("", _("All"), counts.get("", 0))] + [
        (code, label, counts.get(code, 0)) for code, label in status_choices()
    ]
    if partially_shipped:
        total = counts.get("partial", 0)
    else:
        total = counts.get(status or "", 0)
    capped = total > LIST_COUNT_CAP
    pages = max(1, -(-min(total, LIST_COUNT_CAP) // PAGE_SIZE))
    # A page past the last shows the last: a 40-digit page number is an offset no database takes (a 500).
    text = request.GET.get("page", "1")
    page = int(text) if text.isascii() and text.isdigit() else 1
    page = min(max(1, page), pages)
    start = (page - 1) * PAGE_SIZE
    rows = list(qs[start : start + PAGE_SIZE + 1])
    # Past the counted orders there is no next page: the pager says to narrow the list or sort it the other way.
    has_next = len(rows) > PAGE_SIZE and page < pages
    rows = rows[:PAGE_SIZE]
    # Each row's item count and voided tracking numbers ("voided — ship again"): one query each for the page.
    ids = [o.pk for o in rows]
    items, voided = (
        order_item_counts(tenant=tenant, order_ids=ids),
        voided_tracking_by_order(tenant=tenant, order_ids=ids),
    )
    tags = order_tags(tenant=tenant, order_ids=ids)
    for o in rows:
        o.tag_list = tags.get(o.pk, [])
        o.item_count = items.get(o.pk, 0)
        o.voided_tracking = voided.get(o.pk, []) if o.status == OrderStatus.AWAITING_SHIPMENT else []
    query = request.GET.copy()
    query.pop("page", None)
    query_no_status = query.copy()
    query_no_status.pop("status", None)
    query_no_status.pop("partially_shipped", None)
    # The batch form posts the list's filters with its selection ("all matching" = these filters).
    filter_q = filter_query(request.GET)
    return render(
        request,
        "portal/orders/list.html",
        {
            "form": form,
            "orders": rows,
            "tabs": tabs,
            "status": status,
            "page": page,
            "has_next": has_next,
            "partially_shipped": partially_shipped,
            "attention": attention,
            "partially_shipped_count": counts.get("partial", 0),
            "total": total,
            "capped": capped,
            "count_cap": LIST_COUNT_CAP,
            "page_size": PAGE_SIZE,
            "pages": pages,
            "sort": sort,
            "has_prev": page > 1,
            "query": query.urlencode(),
            "query_no_status": query_no_status.urlencode(),
            "can_ship": request.membership.can("ship"),
            "filter_fields": [(k, v) for k in filter_q for v in filter_q.getlist(k)],
            # The filters in use, counted on the phone's folded "Search and filters" button.
            "active_filters": sum(1 for k in filter_q if k not in ("status", "partially_shipped", "needs_attention")),
            "packing_slips_url": optional_url("portal:orders_packing_slips"),
            "pick_list_url": optional_url("portal:orders_pick_list"),
            "tags": list(tag_list(tenant=tenant)),
            "presets": list(shipping_preset_list(tenant=tenant)),
            "people": list(assignable_people(tenant=tenant)),
            "nav": "orders",
        },
    )


@portal_view()
def order_detail(request, pk):
    order = get_order_for_user(request, pk)
    labels_sweep(order=order)  # a purchase a killed worker left "calling" shows as uncertain
    return _order_page(request, order, neighbours=_list_neighbours(request, order))


def _order_page(request, order, *, hold_form=None, notes_form=None, status=200, neighbours=None):
    lines = list(order.lines.all())
    for line in lines:
        line.line_total = line.quantity * line.unit_price
    shipments = list(shipment_list(tenant=request.tenant, order_id=order.pk).prefetch_related("lines__order_line"))
    shipped = shipped_quantities(order)
    updates = store_updates_by_shipment(tenant=request.tenant, shipments=shipments)
    # What the order allows (orders.actions): the page's buttons show what the services will accept.
    actions = order_actions(order, lines=lines, shipped=shipped, shipments=shipments)
    for shipment in shipments:
        shipment.store_update = updates.get(shipment.pk)
        shipment.can_void = actions.can_void(shipment.pk)
    return render(
        request,
        "portal/orders/detail.html",
        {
            "order": order,
            "store_status_before_shipment": _store_status_before_shipment(order, shipments),
            "lines": [line for line in lines if not line.is_adjustment],
            "adjustments": [line for line in lines if line.is_adjustment],
            "subtotal": sum((line.line_total for line in lines if not line.is_adjustment), Decimal(0)),
            "weight_unit": shipment_services.store_settings_for(order).default_weight_unit,
            "actions": actions,
            "hold_form": hold_form or HoldForm(),
            "notes_form": notes_form or OutboundNotesForm(initial={"outbound_notes": order.outbound_notes}),
            "events": [(e, event_text(e), actor_label(e.actor)) for e in order.events.all()],
            "choices": order_choices_view(order),
            "order_tag_list": order_tags(tenant=request.tenant, order_ids=[order.pk]).get(order.pk, []),
            "tags": list(tag_list(tenant=request.tenant)),
            "presets": list(shipping_preset_list(tenant=request.tenant)),
            "people": list(assignable_people(tenant=request.tenant)),
            "shipments": shipments,
            "purchases": list(purchases_of(order=order)),
            "label_formats": document_formats(tenant=request.tenant, shipment_ids=[s.pk for s in shipments]),
            "shipped": shipped,
            "can_ship": request.membership.can("ship"),
            "neighbours": neighbours or {},
            "nav": "orders",
        },
        status=status,
    )


def _store_status_before_shipment(order, shipments) -> bool:
    """The store's status is read at import: right after a shipment it is still the one from before, until
    the store has the shipment (its update sent) and a later read of the store succeeded. The store's
    own modified time cannot say so: a store dates its change to the minute, before the shipment's second."""
    checked = import_state_of(order.store).last_checked_at
    for shipment in shipments:
        if not shipment.is_active or shipment.created_at <= order.modified_at:
            continue
        sent = shipment.store_update.sent_at if shipment.store_update is not None else None
        if sent is None or checked is None or checked <= sent:
            return True
    return False


@portal_view("ship")
@require_POST
def order_hold(request, pk):
    order = get_order_for_user(request, pk)
    form = HoldForm(request.POST)
    if not form.is_valid():
        return _order_page(request, order, hold_form=form, status=400)
    return _set_hold(request, order, hold=True, reason=form.cleaned_data["reason"], done=_("The order is on hold."))


@portal_view("ship")
@require_POST
def order_release(request, pk):
    order = get_order_for_user(request, pk)
    return _set_hold(request, order, hold=False, done=_("The hold is released: the order is awaiting shipment again."))


def _set_hold(request, order, *, hold: bool, done: str, reason: str = ""):
    """Hold or release through the service (one transaction: the status move and the reason together)."""
    try:
        order_services.order_set_hold(order=order, hold=hold, reason=reason, actor=request.user.get_username())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("portal:order_detail", order.pk)


@portal_view("ship")
@require_POST
def order_notes(request, pk):
    order = get_order_for_user(request, pk)
    form = OutboundNotesForm(request.POST)
    if not form.is_valid():
        return _order_page(request, order, notes_form=form, status=400)
    if form.cleaned_data["outbound_notes"] != order.outbound_notes:
        order_services.order_set_notes(
            order=order, outbound_notes=form.cleaned_data["outbound_notes"], actor=request.user.get_username()
        )
        messages.success(request, _("Internal notes saved."))
    return redirect("portal:order_detail", order.pk)


# The list's query parameters the ship form carries, so "Ship & next" walks the queue the list showed.
# The list's filters an order page and the ship form carry (their ← → and "Ship & next" stay in that list):
# "Marked for me" is a queue of its own.
QUEUE_PARAMS = (
    "sort",
    "q",
    "store",
    "storefront",
    "date_from",
    "date_to",
    "partially_shipped",
    "needs_attention",
    "tag",
    "assignee",
    "shipping_preset",
)


def _queue_query(request) -> str:
    query = request.GET.copy()
    for key in list(query):
        if key not in QUEUE_PARAMS:
            query.pop(key)
    return query.urlencode()


def _list_filters(request) -> dict | None:
    """The order list's filters and sort as its querystring gives them (carried to the order page and the
    ship form), in order_list's terms; read by the same function as the list and its batch selection.
    None when a filter was refused (the list shows no order)."""
    filters = list_filters(request.tenant, request.GET)
    if filters.refused:
        return None
    return dict(
        filters.common,
        sort=filters.sort if request.GET.get("sort") else None,  # None: the queue's or the tab's own default
        partially_shipped=True if request.GET.get("partially_shipped") == "true" else None,
    )


def _next_in_queue(request, order):
    """The Awaiting Shipment order after `order` in the list's order, with the list's filters (carried in the
    ship form's querystring)."""
    from orders.queue import next_in_queue

    filters = _list_filters(request)
    if filters is None:  # the list's filters were refused: it has no queue
        return None
    return next_in_queue(tenant=request.tenant, after=order, **{**filters, "sort": filters["sort"] or "oldest"})


def _list_neighbours(request, order) -> dict:
    """The previous and next orders of the list the order page was opened from (its querystring), for the
    page's ← → links and the j/k shortcuts. Nothing when the page was not opened from the list."""
    from orders.queue import neighbour_in_list

    if not any(key in request.GET for key in ("status", *QUEUE_PARAMS)):
        return {}
    status = request.GET.get("status") or None
    if status and status not in OrderStatus.values:
        status = None
    filters = _list_filters(request)
    if filters is None:
        return {}
    if status != OrderStatus.AWAITING_SHIPMENT:
        filters.pop("partially_shipped")
    query = request.GET.urlencode()
    found = {}
    for name, previous in (("previous", True), ("next", False)):
        other = neighbour_in_list(tenant=request.tenant, order=order, status=status, previous=previous, **filters)
        if other is not None:
            found[name] = (other, f"{reverse('portal:order_detail', args=[other.pk])}?{query}")
    return found


@portal_view("ship")
def order_ship(request, pk):
    order = get_order_for_user(request, pk)
    lines = list(shippable_lines(order))
    # What the order allows (orders.actions): a refused order's form says why, in the words of every entry point.
    actions = order_actions(order, lines=lines, shipped=shipped_quantities(order))
    remaining = actions.left
    emails_on = shipment_services.store_settings_for(order).send_shipment_confirmation
    queue_query = _queue_query(request)
    mapping = None
    if request.method == "POST" and not actions.can_ship:
        form = ShipForm(lines=lines, remaining=remaining, emails_on=emails_on)
    elif request.method == "POST":
        form = ShipForm(request.POST, lines=lines, remaining=remaining, emails_on=emails_on)
        if form.is_valid():
            data = form.cleaned_data
            try:
                shipment_services.shipment_create(
                    order=order,
                    carrier=data["carrier"],
                    service=data["service"],
                    tracking_number=data["tracking_number"],
                    ship_date=data["ship_date"],
                    carrier_fee=data.get("carrier_fee"),
                    notes_to_buyer=data.get("notes_to_buyer") or "",
                    notify_buyer=data["notify_buyer"],
                    lines=form.line_quantities(),
                    user=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if "ship_next" not in request.POST:
                    messages.success(request, _("Shipment recorded. The store is being updated."))
                    return redirect("portal:order_detail", order.pk)
                following = _next_in_queue(request, order)
                suffix = f"?{queue_query}" if queue_query else ""
                if following is None:
                    messages.success(
                        request,
                        _("Order %(number)s shipped. That was the last order awaiting shipment in this list.")
                        % {"number": order.number},
                    )
                    return redirect(
                        f"{reverse('portal:order_list')}?status={OrderStatus.AWAITING_SHIPMENT}"
                        + (f"&{queue_query}" if queue_query else "")
                    )
                messages.success(
                    request,
                    _("Order %(number)s shipped; next in the queue: %(next)s.")
                    % {"number": order.number, "next": following.number},
                )
                return redirect(reverse("portal:order_ship", args=[following.pk]) + suffix)
    else:
        # The carrier and service start from the store's mapping of the requested method (learned or set).
        mapping = shipping_method_mapping_for(order)
        initial = {"notes_to_buyer": order.notes_to_buyer}
        if mapping is not None:
            initial.update(carrier=mapping.carrier, service=mapping.service)
        form = ShipForm(lines=lines, remaining=remaining, emails_on=emails_on, initial=initial)
    # E-products and lines that do not ship are left off the form: say which, and why.
    left_off = [line for line in order.lines.all() if not line.is_shippable and not line.is_adjustment]
    return render(
        request,
        "portal/orders/ship.html",
        {
            "order": order,
            "form": form,
            "left_off": left_off,
            "mapping": mapping,
            "queue_query": queue_query,
            "refusal": actions.ship_why_not,
            "nav": "orders",
        },
        status=400 if request.method == "POST" and not actions.can_ship else 200,
    )


def _shipment_action(request, pk, action):
    shipment = get_shipment_for_user(request, pk)
    try:
        if action == "retry":
            shipment_services.store_update_retry(shipment=shipment)
            messages.success(request, _("The store update is being sent again."))
        elif action == "deliver":
            shipment_services.shipment_mark_delivered(shipment=shipment, actor=request.user.get_username())
            messages.success(request, _("Marked as delivered."))
        elif action == "void":
            shipment_services.shipment_void(shipment=shipment, user=request.user)
            messages.success(request, _("Shipment voided."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("portal:order_detail", shipment.order_id)


@portal_view("ship")
@require_POST
def shipment_retry(request, pk):
    return _shipment_action(request, pk, "retry")


@portal_view("ship")
@require_POST
def shipment_deliver(request, pk):
    return _shipment_action(request, pk, "deliver")


@portal_view("ship")
@require_POST
def shipment_void(request, pk):
    return _shipment_action(request, pk, "void")


@portal_view("ship")
@require_POST
def order_attention_clear(request, pk):
    from orders.services import order_attention_clear as clear

    order = get_order_for_user(request, pk)
    if clear(orders=[order], actor=request.user.get_username()):
        messages.success(request, _("Marked as handled."))
    return redirect("portal:order_detail", order.pk)
