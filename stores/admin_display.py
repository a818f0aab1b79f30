"""Small display helpers the apps' admin classes share."""

from django.utils.html import format_html

ERROR_COLUMN_CHARS = 80


def truncated(text: str, limit: int = ERROR_COLUMN_CHARS):
    """A long text cut for a list column (the full text in the tooltip and on the detail page)."""
    text = text or ""
    if len(text) <= limit:
        return text
    return format_html('<span title="{}">{}…</span>', text, text[:limit].rstrip())


def run_action(modeladmin, request, queryset, action, done: str) -> None:
    """Run a service `action` on each selected object; a ValidationError becomes a warning for that object."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError

    ok = 0
    for obj in queryset:
        try:
            action(obj)
            ok += 1
        except ValidationError as exc:
            modeladmin.message_user(request, f"{obj}: {' '.join(exc.messages)}", messages.WARNING)
    if ok:
        modeladmin.message_user(request, f"{ok} {done}.", messages.SUCCESS)
