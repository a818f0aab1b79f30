from decimal import Decimal

from django import forms, template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html
from django.utils.translation import gettext as _

from ..labels import carrier_label, label_for, skip_reason_label, stored_text, weight_unit_label

register = template.Library()


@register.filter
def count_badge(n):
    """A list count as a badge shows it: "10,000+" past what the lists count (orders.selectors.LIST_COUNT_CAP)."""
    from django.contrib.humanize.templatetags.humanize import intcomma

    from orders.selectors import LIST_COUNT_CAP

    return f"{intcomma(LIST_COUNT_CAP)}+" if n > LIST_COUNT_CAP else intcomma(n)


BADGE_TONES = {
    "awaiting_payment": "amber",
    "awaiting_shipment": "blue",
    "on_hold": "grey",
    "shipped": "green",
    "cancelled": "red",
    "queued": "grey",
    "running": "blue",
    "succeeded": "green",
    "failed": "red",
    "skipped": "grey",
    "pending": "amber",
    "sending": "blue",
    "sent": "green",
    "delivered": "green",
    "voided": "red",
    "partial": "amber",
}


@register.filter
def can(membership, permission):
    return bool(membership) and membership.can(permission)


@register.simple_tag
def badge(code, label=None):
    """A coloured pill. Without a label, the code's translated label (order status, run state…)."""
    code = str(code)
    return format_html(
        '<span class="badge badge-{}">{}</span>', BADGE_TONES.get(code, "grey"), label or label_for(code)
    )


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
    if field.name in ("password", "api_token"):
        saved = "has_password" if field.name == "password" else "has_api_token"
        return _("Set (never shown)") if getattr(field.form.instance, saved, False) else _("Not set")
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


@register.simple_tag
def weight(value, unit, to_unit):
    """A weight in the store's default unit; the weight as the store sent it shows on hover (title)."""
    from orders.weights import weight_convert

    if value is None:
        return "—"
    unit = str(unit or "")
    original = f"{_number(value)} {weight_unit_label(unit)}".strip()
    if not unit or unit == to_unit:
        return original
    converted = weight_convert(value, unit, to_unit)
    if converted == value:
        return original
    shown = f"{_number(converted)} {weight_unit_label(str(to_unit))}"
    return format_html(
        '<span class="converted" title="{}">{}</span>',
        _("As sent by the store: %(weight)s") % {"weight": original},
        shown,
    )


def _number(value) -> str:
    """A weight with the decimals it needs (at most 3), in the reader's number format."""
    exponent = Decimal(value).normalize().as_tuple().exponent
    return floatformat(value, min(3, max(0, -exponent)) if isinstance(exponent, int) else 3)
