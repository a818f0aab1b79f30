"""The operators' admin site: Django's admin whose index is an overview of what needs an operator."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.utils import timezone

from shipments.selectors import operator_failed_store_updates
from stores.selectors import operator_import_lag, operator_stores_needing_attention
from tracking.selectors import tracking_failing
from webhooks.selectors import operator_failed_webhooks


def operator_overview() -> dict:
    """Stores needing attention, failed store updates, failed webhooks and import lag per store; a fixed
    number of queries however many tenants there are."""
    return {
        "attention": list(operator_stores_needing_attention()),
        "failed_updates": list(operator_failed_store_updates()),
        "failed_webhooks": list(operator_failed_webhooks()),
        "import_lag": operator_import_lag(now=timezone.now()),
        "tracking_failing": tracking_failing().count(),
        "tracking_failing_rows": list(tracking_failing()[:10]),
    }


class OperatorAdminSite(AdminSite):
    index_template = "admin/operator_index.html"

    def has_permission(self, request):
        # Operators open the admin only after their second factor (django-otp; docs/two-factor.md): the
        # portal's two-factor middleware sends them to enrol or to the code first.
        return super().has_permission(request) and request.user.is_verified()

    def get_urls(self):
        from django.urls import path

        from ops.fleet import fleet_view

        fleet = path("fleet/", self.admin_view(lambda request: fleet_view(request, self)), name="fleet")
        return [fleet, *super().get_urls()]

    def index(self, request, extra_context=None):
        return super().index(request, {**(extra_context or {}), "overview": operator_overview()})
