from django import forms, template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from ..labels import carrier_label, label_for, skip_reason_label, stored_text, weight_unit_label

register = template.Library()

BADGE_TONES = {
    "awaiting_payment": "amber", "awaiting_shipment": "blue", "on_hold": "grey", "shipped": "green",
    "cancelled": "red", "queued": "grey", "running": "blue", "succeeded": "green", "failed": "red", "skipped": "grey",
    "pending": "amber", "sending": "blue", "sent": "green", "delivered": "green", "voided": "red",
    "partial": "amber",
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
def weight_unit(code):
    return weight_unit_label(str(code or ""))


@register.filter
def carrier(code):
    return carrier_label(str(code or ""))


@register.filter
def skip_reason(code):
    return skip_reason_label(str(code))


@register.filter
def humanize_key(value):
    return str(value).replace("_", " ").capitalize()


@register.filter
def readonly_value(field):
    """A form field's current value in words, for those who may see a setting but not change it."""
    if field.name == "password":
        return _("Set (never shown)") if getattr(field.form.instance, "has_password", False) else _("Not set")
    value = field.value()
    if isinstance(field.field, forms.BooleanField):
        return _("Yes") if value else _("No")
    if value in (None, ""):
        return "—"
    choices = getattr(field.field, "choices", None)
    if choices:
        return dict(choices).get(value, value)
    return value


@register.filter(name="stored_text")
def stored_text_filter(text):
    """A message a worker stored in English, worded in the reader's language where it can be."""
    return stored_text(str(text or ""))


@register.filter
def web_url(value):
    """The URL if it is http(s), else "": a store-sent image address never becomes `javascript:` or `data:`."""
    text = str(value or "").strip()
    return text if text.lower().startswith(("https://", "http://")) else ""
