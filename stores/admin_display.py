"""Small display helpers the apps' admin classes share."""

from django.utils.html import format_html

ERROR_COLUMN_CHARS = 80


def truncated(text: str, limit: int = ERROR_COLUMN_CHARS):
    """A long text cut for a list column (the full text in the tooltip and on the detail page)."""
    text = text or ""
    if len(text) <= limit:
        return text
    return format_html('<span title="{}">{}…</span>', text, text[:limit].rstrip())
