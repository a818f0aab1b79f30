"""Strict reading of environment variables.

django-environ's `env.bool` reads every word it does not know as False, so a typo such as
`SESSION_COOKIE_SECURE=ture` would silently turn a protection off; its `env.float` drops the characters
it does not expect (`0.5h` reads as 0.5, `x` fails with a message that names no variable). Every
boolean and number in `config/settings.py` (and `config/settings_test.py`) is read with the helpers
below instead: a value they cannot read stops start-up with an error that names the variable.
Booleans are true/false, 1/0, yes/no or on/off, in any case.
"""

import os
from collections.abc import Callable

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
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use true/false, 1/0, yes/no or on/off (any case).")


def env_int(name: str, default: int) -> int:
    """The whole number in environment variable `name`, or `default` when it is not set at all."""
    return _number(name, default, int, "a whole number")


def env_float(name: str, default: float) -> float:
    """The number in environment variable `name`, or `default` when it is not set at all."""
    return _number(name, default, float, "a number")


def _number(name: str, default, cast: Callable[[str], int | float], what: str):
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return cast(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not {what}.") from None


def env_addresses(name: str) -> list[tuple[str, str]]:
    """The e-mail addresses in environment variable `name`, comma-separated, each `Name <a@b.example>` or
    `a@b.example`, as Django's ADMINS wants them: [(name, address), …]; empty when it is not set. A part that
    holds no address stops start-up with an error naming the variable."""
    from email.utils import parseaddr

    raw = os.environ.get(name, "")
    found = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        display, address = parseaddr(part)
        local, _, domain = address.partition("@")
        if not local or "." not in domain or any(c.isspace() for c in address):
            raise ImproperlyConfigured(
                f"{name}: {part!r} is not an e-mail address; write `Name <name@example.com>` or "
                "`name@example.com`, comma-separated."
            )
        found.append((display or address, address))
    return found
