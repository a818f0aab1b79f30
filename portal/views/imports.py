"""A store's import runs in the portal: a run's progress bar and the orders it skipped."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render

from orders.models import ImportRun, ImportState
from orders.selectors import skipped_order_list

from ..labels import label_for
from ..tenancy import get_import_run_for_user, get_store_for_user, portal_view


@portal_view()
def import_progress(request, pk, run_pk):
    store = get_store_for_user(request, pk)
    run: ImportRun = get_import_run_for_user(request, store, run_pk)
    return JsonResponse(
        {
            "id": run.pk,
            "state": run.state,
            "state_label": str(label_for(run.state)),
            "finished": run.state in (ImportState.SUCCEEDED, ImportState.FAILED, ImportState.SKIPPED),
            "pages_done": run.pages_done,
            "pages_total": run.pages_total,
            "progress_percent": run.progress_percent,
            "counts": {
                "seen": run.orders_seen,
                "created": run.orders_created,
                "updated": run.orders_updated,
                "unchanged": run.orders_unchanged,
                "skipped": run.skipped_total,
            },
            "skipped": run.skipped or {},
            "error": run.error,
        }
    )


SKIPPED_SHOWN = 200


@portal_view()
def store_skipped(request, pk):
    """The store's orders an import left out for having no ship-to address (e-products, local pickups):
    they are not in the order list, so they are listed here with the reason."""
    store = get_store_for_user(request, pk)
    rows = list(skipped_order_list(tenant=request.tenant, store_id=store.pk)[: SKIPPED_SHOWN + 1])
    return render(
        request,
        "portal/stores/skipped.html",
        {
            "store": store,
            "skipped": rows[:SKIPPED_SHOWN],
            "more": len(rows) > SKIPPED_SHOWN,
            "shown": SKIPPED_SHOWN,
            "nav": "stores",
        },
    )
