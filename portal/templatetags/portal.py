from django import template
from django.utils.html import format_html

from ..labels import label_for

register = template.Library()

BADGE_TONES = {
    "awaiting_payment": "amber", "awaiting_shipment": "blue", "on_hold": "grey", "shipped": "green",
    "cancelled": "red", "queued": "grey", "running": "blue", "succeeded": "green", "failed": "red",
    "pending": "amber", "sending": "blue", "sent": "green", "delivered": "green", "voided": "red",
}


@register.filter
def can(membership, permission):
    return bool(membership) and membership.can(permission)


@register.simple_tag
def badge(code, label=None):
    """A coloured pill. Without a label, the code's translated label (order status, run state…)."""
    code = str(code)
    return format_html('<span class="badge badge-{}">{}</span>', BADGE_TONES.get(code, "grey"),
                       label or label_for(code))


@register.filter
def label(code):
    return label_for(str(code))


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)


@register.filter
def humanize_key(value):
    return str(value).replace("_", " ").capitalize()


@register.filter
def web_url(value):
    """The URL if it is http(s), else "": a store-sent image address never becomes `javascript:` or `data:`."""
    text = str(value or "").strip()
    return text if text.lower().startswith(("https://", "http://")) else ""
