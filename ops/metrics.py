"""/metrics: Prometheus exposition of Outbound's own series (docs/operations.md#metrics), computed when
scraped by a few aggregate queries over small tables or indexed states (stores, the outbox's unsent and dead
rows, the day's import runs, carrier tracking due, webhook failures of the day), never over the orders.

Answered to a request bearing METRICS_TOKEN (`Authorization: Bearer …`) or coming from one of
METRICS_ALLOWED_NETWORKS (the client address as config.client_ip reads it); refused otherwise.
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress

from django.conf import settings
from django.db.models import Count, Min, Q, Sum
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from config.client_ip import client_ip
from orders.models import ImportRun, ImportState
from outbox.models import OutboxMessage, OutboxState
from shipments.models import OperatorAlert
from tracking.models import ShipmentTracking

from . import fleet

# Import lag buckets: a store counts in the first bucket its last successful read is younger than.
LAG_BUCKETS = [("15m", dt.timedelta(minutes=15)), ("1h", dt.timedelta(hours=1)), ("1d", dt.timedelta(days=1))]
DAY = dt.timedelta(hours=24)


def _gauge(name, documentation, value=None, labels=(), samples=()):
    family = GaugeMetricFamily(name, documentation, value=value, labels=labels or None)
    for label_values, sample in samples:
        family.add_metric(label_values, sample)
    return family


class OutboundCollector:
    def __init__(self, now: dt.datetime | None = None):
        self.now = now

    def collect(self):
        now = self.now or timezone.now()
        yield from self._imports(now)
        yield from self._outbox(now)
        yield from self._tracking_and_webhooks(now)
        yield from self._labels()
        counts = fleet.fleet_counts(now)
        yield _gauge(
            "outbound_fleet",
            "The admin fleet page's counts (what is failing or stuck, across tenants).",
            labels=["item"],
            samples=[([key], value) for key, value in counts.items()],
        )
        yield CounterMetricFamily(
            "outbound_operator_alerts",
            "Operator alerts sent (mailed to ADMINS) since the installation began.",
            value=OperatorAlert.objects.count(),
        )

    def _imports(self, now):
        ages = fleet.store_read_ages(now)
        buckets = {label: 0 for label, _limit in LAG_BUCKETS} | {"older": 0, "never": 0}
        for _pk, _interval, age, _existed in ages:
            if age is None:
                buckets["never"] += 1
                continue
            buckets[next((label for label, limit in LAG_BUCKETS if age < limit), "older")] += 1
        yield _gauge(
            "outbound_stores_by_import_lag",
            "Active stores by the age of their last successful read: under 15m, 1h, 1d, older, never.",
            labels=["bucket"],
            samples=[([label], n) for label, n in buckets.items()],
        )
        known = [age.total_seconds() for _pk, _i, age, _e in ages if age is not None]
        yield _gauge(
            "outbound_import_oldest_success_age_seconds",
            "Seconds since the active store read longest ago was last read successfully.",
            value=max(known, default=0),
        )
        yield _gauge(
            "outbound_stores_failing",
            "Active stores whose last import failed or that need an operator.",
            value=fleet.stores_failing().count(),
        )
        day = ImportRun.objects.filter(finished_at__gte=now - DAY).aggregate(
            failed=Count("pk", filter=Q(state=ImportState.FAILED)),
            created=Sum("orders_created"),
            updated=Sum("orders_updated"),
        )
        yield _gauge(
            "outbound_import_runs_failed_24h", "Import runs that failed in the last 24 hours.", value=day["failed"] or 0
        )
        yield _gauge(
            "outbound_orders_imported_24h",
            "Orders created by import runs finished in the last 24 hours (real-time fetches not included).",
            value=day["created"] or 0,
        )
        yield _gauge(
            "outbound_orders_updated_24h",
            "Orders updated by import runs finished in the last 24 hours.",
            value=day["updated"] or 0,
        )

    def _outbox(self, now):
        unsent = (
            OutboxMessage.objects.filter(state__in=[OutboxState.PENDING, OutboxState.SENDING])
            .values("kind")
            .annotate(n=Count("pk"), oldest=Min("created_at"))
            .order_by("kind")
        )
        rows = {row["kind"]: row for row in unsent}
        yield _gauge(
            "outbound_outbox_depth",
            "Outbox messages not yet sent, by kind.",
            labels=["kind"],
            samples=[([kind], row["n"]) for kind, row in rows.items()],
        )
        yield _gauge(
            "outbound_outbox_oldest_pending_age_seconds",
            "Age of the oldest unsent outbox message, by kind.",
            labels=["kind"],
            samples=[([kind], (now - row["oldest"]).total_seconds()) for kind, row in rows.items()],
        )
        dead = (
            OutboxMessage.objects.filter(state=OutboxState.FAILED)
            .values("kind")
            .annotate(n=Count("pk"))
            .order_by("kind")
        )
        yield _gauge(
            "outbound_outbox_dead",
            "Outbox messages that gave up after their attempts (dead letters), by kind.",
            labels=["kind"],
            samples=[([row["kind"]], row["n"]) for row in dead],
        )

    def _tracking_and_webhooks(self, now):
        yield _gauge(
            "outbound_tracking_due",
            "Followed shipments due for a carrier poll (the tracking backlog).",
            value=ShipmentTracking.objects.due(now).count(),
        )
        yield _gauge(
            "outbound_tracking_failing",
            "Followed shipments whose last carrier request failed.",
            value=fleet.tracking_failing().count(),
        )
        from webhooks.models import DeliveryState, WebhookDelivery

        yield _gauge(
            "outbound_webhook_deliveries_failed_24h",
            "Webhook deliveries that gave up in the last 24 hours.",
            value=WebhookDelivery.objects.filter(created_at__gte=now - DAY, state=DeliveryState.FAILED).count(),
        )

    def _labels(self):
        from django.db.models import Count, Sum

        from labels.models import LabelPurchase, PurchaseState

        # Bought once: the labels live now and those voided since (a refund does not unmake a purchase).
        bought = (
            LabelPurchase.objects.filter(state__in=[PurchaseState.BOUGHT, PurchaseState.VOIDED])
            .values("carrier", "currency")
            .annotate(n=Count("id"), spend=Sum("price"))
            .order_by("carrier", "currency")
        )
        rows = list(bought)
        labels = CounterMetricFamily(
            "outbound_labels_bought", "Labels bought (voided ones included), by carrier.", labels=["carrier"]
        )
        per_carrier: dict[str, int] = {}
        for row in rows:
            per_carrier[row["carrier"]] = per_carrier.get(row["carrier"], 0) + row["n"]
        for carrier, n in sorted(per_carrier.items()):
            labels.add_metric([carrier], n)
        yield labels
        spend = CounterMetricFamily(
            "outbound_label_spend",
            "What the carriers charged for the labels bought (voided ones included: a refund is the carrier's).",
            labels=["carrier", "currency"],
        )
        for row in rows:
            spend.add_metric([row["carrier"], row["currency"] or "USD"], float(row["spend"] or 0))
        yield spend
        yield _gauge(
            "outbound_label_purchases_uncertain",
            "Label purchases whose outcome is unknown (a lost answer not matched): a person checks with the carrier.",
            value=LabelPurchase.objects.filter(state=PurchaseState.UNCERTAIN).count(),
        )


def exposition(now: dt.datetime | None = None) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OutboundCollector(now))
    return generate_latest(registry)


def allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip().encode(), token.encode()):
        return True
    if settings.METRICS_ALLOWED_NETWORKS:
        try:
            address = ipaddress.ip_address(client_ip(request))
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(n, strict=False) for n in settings.METRICS_ALLOWED_NETWORKS)
    return False


@never_cache
@require_GET
def metrics(request):
    if not allowed(request):
        return HttpResponse(
            "Metrics need the bearer token (METRICS_TOKEN) or an allowed network (METRICS_ALLOWED_NETWORKS).\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
