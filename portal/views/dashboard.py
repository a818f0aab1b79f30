"""The dashboard and the tenant switcher."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from orders.insights import insights as day_insights
from orders.models import import_state_of
from orders.selectors import (
    import_failure_streaks,
    latest_import_runs,
    order_counts_by_store,
    orders_needing_attention,
    unmapped_status_list,
)
from shipments.selectors import failed_store_updates, retrying_store_updates
from stores.selectors import store_list

from ..charts import day_chart, ship_time_chart, spend_chart, waiting_chart
from ..labels import status_choices
from ..tenancy import SESSION_KEY, portal_view


@portal_view()
def dashboard(request):
    tenant = request.tenant
    stores = list(store_list(tenant=tenant).select_related("import_state"))
    counts = order_counts_by_store(tenant=tenant)
    last_runs = latest_import_runs(tenant=tenant)
    rows = []
    for store in stores:
        per_status = counts.get(store.pk, {})
        rows.append(
            {
                "store": store,
                "counts": [(code, label, per_status.get(code, 0)) for code, label in status_choices()],
                "total": sum(per_status.values()),
                "last_run": last_runs.get(store.pk),
            }
        )
    totals = [(code, label, sum(c.get(code, 0) for c in counts.values())) for code, label in status_choices()]
    failing = import_failure_streaks(tenant=tenant)
    failing_ids = {streak["store"].pk for streak in failing}
    attention_stores = [s for s in stores if import_state_of(s).needs_attention and s.pk not in failing_ids]
    attention_orders = list(orders_needing_attention(tenant=tenant).order_by("-updated_at")[:10])
    picture = day_insights(tenant=tenant)
    return render(
        request,
        "portal/dashboard.html",
        {
            "rows": rows,
            "totals": totals,
            "failing": failing,
            "attention_stores": attention_stores,
            "attention_orders": attention_orders,
            "failed_updates": list(failed_store_updates(tenant=tenant).order_by("-created_at")[:10]),
            "retrying_updates": retrying_store_updates(tenant=tenant, limit=10),
            "unmapped": list(unmapped_status_list(tenant=tenant)[:10]),
            "insights": picture,
            "days_chart": day_chart(picture),
            "waiting_chart": waiting_chart(picture),
            "ship_time_chart": ship_time_chart(picture),
            "spend_chart": spend_chart(picture, {s.pk: s.name for s in stores}),
            "nav": "dashboard",
        },
    )


@portal_view()
@require_POST
def tenant_switch(request):
    wanted = request.POST.get("tenant_id")
    for membership in request.memberships:
        if str(membership.tenant_id) == str(wanted):
            request.session[SESSION_KEY] = membership.tenant_id
            break
    else:
        raise Http404("No such workspace.")
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)
