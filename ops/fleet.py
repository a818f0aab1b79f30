"""The operators' view of the fleet (docs/operations.md#fleet): across tenants, what is failing or stuck,
each a count and a link to the admin's list filtered to exactly those rows. The same querysets feed the
admin page, the list filters it links to (ops.admin) and /metrics (ops.metrics), so the three agree."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outbox.models import OutboxMessage, OutboxState
from shipments.models import OperatorAlert
from stores.models import Store
from tracking.selectors import tracking_failing
from webhooks.models import DeliveryState, WebhookSubscription

# A webhook endpoint is failing while it has a delivery that gave up within this window; the fleet page and
# /metrics count the operator alerts of the same window.
RECENT = dt.timedelta(hours=24)


def active_stores():
    return Store.objects.filter(is_active=True, tenant__is_active=True)


def stores_failing():
    """Active stores whose last import failed, or flagged as needing an operator."""
    return active_stores().filter(Q(import_state__needs_attention=True) | Q(import_state__last_import_ok=False))


def stale_allowance(interval_minutes: int) -> dt.timedelta:
    """How long a store may go unread before it is stale: three of its intervals and five minutes (the same
    rule as the admin index's "behind")."""
    return dt.timedelta(seconds=interval_minutes * 60 * 3 + 300)


def store_read_ages(now: dt.datetime) -> list[tuple[int, int, dt.timedelta | None]]:
    """(store id, interval minutes, time since it was last read successfully or None if never) of every
    active store: one query over the stores (hundreds to thousands of rows, never the orders)."""
    rows = active_stores().values_list("pk", "import_interval_minutes", "import_state__last_checked_at", "created_at")
    return [(pk, interval, (now - seen) if seen else None, now - created) for pk, interval, seen, created in rows]


def stores_stale(now: dt.datetime | None = None):
    """Active stores not read successfully for longer than their allowance (never read: counted once the
    store itself is older than that)."""
    now = now or timezone.now()
    stale = [
        pk
        for pk, interval, age, existed in store_read_ages(now)
        if (age if age is not None else existed) > stale_allowance(interval)
    ]
    return Store.objects.filter(pk__in=stale)


def outbox_dead():
    """Outbox rows that gave up after their attempts (dead letters)."""
    return OutboxMessage.objects.filter(state=OutboxState.FAILED)


def outbox_old(now: dt.datetime | None = None):
    """Outbox rows due for more than HEALTH_OUTBOX_MAX_DUE_MINUTES and still unsent (the relay is stuck)."""
    now = now or timezone.now()
    before = now - dt.timedelta(minutes=settings.HEALTH_OUTBOX_MAX_DUE_MINUTES)
    return OutboxMessage.objects.filter(
        Q(state=OutboxState.PENDING, next_attempt_at__lt=before) | Q(state=OutboxState.SENDING, lease_until__lt=before)
    )


def webhook_endpoints_failing(now: dt.datetime | None = None):
    """Active webhook subscriptions with a delivery that gave up in the last 24 hours."""
    now = now or timezone.now()
    failed = Q(deliveries__state=DeliveryState.FAILED, deliveries__created_at__gte=now - RECENT)
    return WebhookSubscription.objects.filter(Q(is_active=True) & failed).distinct()


def operator_alerts_recent(now: dt.datetime | None = None):
    now = now or timezone.now()
    return OperatorAlert.objects.filter(created_at__gte=now - RECENT)


def _changelist(name: str, query: str) -> str:
    return reverse(f"admin:{name}_changelist") + "?" + query


# (key, what it counts, queryset for a given now, admin list filtered to it)
FLEET = [
    ("stores_failing", _("Stores failing"), lambda now: stores_failing(), ("stores_store", "fleet=failing")),
    ("stores_stale", _("Stores stale (not read for three intervals)"), stores_stale, ("stores_store", "fleet=stale")),
    (
        "outbox_dead",
        _("Outbox messages dead (gave up)"),
        lambda now: outbox_dead(),
        ("outbox_outboxmessage", "fleet=dead"),
    ),
    ("outbox_old", _("Outbox messages due long ago and unsent"), outbox_old, ("outbox_outboxmessage", "fleet=old")),
    (
        "tracking_failing",
        _("Carrier tracking failing"),
        lambda now: tracking_failing(),
        ("tracking_shipmenttracking", "answers=failing"),
    ),
    (
        "webhook_endpoints_failing",
        _("Webhook endpoints failing (last 24 hours)"),
        webhook_endpoints_failing,
        ("webhooks_webhooksubscription", "fleet=failing"),
    ),
    (
        "operator_alerts",
        _("Operator alerts sent (last 24 hours)"),
        operator_alerts_recent,
        ("shipments_operatoralert", "fleet=recent"),
    ),
]


def fleet_counts(now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    return {key: queryset(now).count() for key, _label, queryset, _link in FLEET}


def fleet_rows(now: dt.datetime | None = None) -> list[dict]:
    counts = fleet_counts(now)
    return [
        {"key": key, "label": label, "count": counts[key], "url": _changelist(*link)} for key, label, _q, link in FLEET
    ]


def fleet_view(request, admin_site):
    """The admin page (staff only: wrapped by the admin site's admin_view)."""
    context = {
        **admin_site.each_context(request),
        "title": _("Fleet"),
        "rows": fleet_rows(),
        "alerts": list(OperatorAlert.objects.select_related("tenant")[:10]),
    }
    return TemplateResponse(request, "admin/fleet.html", context)
