"""Strict reading of boolean environment variables.

django-environ's `env.bool` reads every word it does not know as False, so a typo such as
`SESSION_COOKIE_SECURE=ture` would silently turn a protection off. Every boolean setting in
`config/settings.py` (and `config/settings_test.py`) is read with `env_bool` instead: it knows
true/false, 1/0, yes/no and on/off in any case, and anything else stops start-up with an error that
names the variable.
"""

import os

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})


def env_bool(name: str, default: bool) -> bool:
    """The boolean in environment variable `name`, or `default` when it is not set at all."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use true/false, 1/0, yes/no or on/off (any case)."
    )
