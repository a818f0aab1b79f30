"""The order page's carrier tracking (templates/portal/orders/_tracking.html): the include asks for what
it shows, so the order view needs no change."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tracking.selectors import tracking_failing, tracking_for_shipments

register = template.Library()

STATE_LABELS = {
    "unknown": (_("No news yet"), "grey"),
    "in_transit": (_("In transit"), "blue"),
    "out_for_delivery": (_("Out for delivery"), "amber"),
    "delivered": (_("Delivered"), "green"),
    "exception": (_("Carrier exception"), "red"),
    "returned": (_("Returned to sender"), "red"),
}


@register.simple_tag(takes_context=True)
def shipment_tracking(context, shipments):
    request = context.get("request")
    tenant = getattr(request, "tenant", None)
    if tenant is None or not shipments:
        return []
    views = tracking_for_shipments(tenant=tenant, shipments=list(shipments))
    # A voided shipment that was never followed has nothing to show.
    return [v for v in views if v.tracking is not None or v.shipment.state != "voided"]


@register.simple_tag
def tracking_badge(state):
    label, tone = STATE_LABELS.get(str(state), STATE_LABELS["unknown"])
    return format_html('<span class="badge badge-{}">{}</span>', tone, label)


@register.simple_tag(takes_context=True)
def failing_tracking(context, limit=5):
    """The dashboard's "carrier tracking failing" block: (count, the latest few) of the tenant's shipments
    whose last carrier request failed."""
    request = context.get("request")
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return 0, []
    rows = tracking_failing(tenant=tenant)
    return rows.count(), list(rows[:limit])
