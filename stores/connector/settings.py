"""The connector's settings, read from Django when it is configured and from defaults otherwise, so the
transport also runs outside Django (bench scripts, the sandbox's tests)."""

from __future__ import annotations


def _django_setting(name: str, default):
    """Read a Django setting (declared in config/settings.py) lazily; the connector also works where
    Django is not installed or configured, and then `default` applies."""
    try:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured
    except ImportError:
        return default
    try:
        return getattr(settings, name)
    except ImproperlyConfigured:  # no settings module: the connector used outside Django
        return default


def store_setting(name: str, default: bool) -> bool:
    return bool(_django_setting(name, default))


def store_number_setting(name: str, default: float) -> float:
    return float(_django_setting(name, default))
