"""Django's database sessions, refusing a session cookie that is not a key Django makes.

Django's keys are 32 lowercase letters and digits; the stock store accepts any text of 8 characters or more
and looks it up, and a cookie holding a NUL byte then fails in PostgreSQL ("text fields cannot contain NUL")
as a 500 on whichever page reads the session first (the API found it under schemathesis once the
two-factor middleware read the user on every request). Here such a cookie is no session: the visitor is
signed out, as with any unknown key.
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

_KEY_CHARS = frozenset(VALID_KEY_CHARS)


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key):
        return bool(super()._validate_session_key(key)) and len(key) <= 40 and _KEY_CHARS.issuperset(key)
