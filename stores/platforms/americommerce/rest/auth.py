"""Where the REST connector's access token comes from.

A `TokenSource` gives the token to send as `X-AC-Auth-Token` and, when the store answers 401, may offer a
fresh one (`refresh()`; None: there is none, the store needs reconnecting).

    StaticToken(token)        an access token generated in the store's admin console (non-expiring)
    oauth_token_source(store) the OAuth app's tokens of a store: the hook set with
                              `set_oauth_token_source(factory)` by the OAuth flow (refresh before expiry,
                              the "needs reconnect" state); without one, the stored access token as is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class TokenSource(Protocol):
    def token(self) -> str: ...

    def refresh(self) -> str | None: ...


class StaticToken:
    def __init__(self, token: str) -> None:
        self._token = token

    def token(self) -> str:
        return self._token

    def refresh(self) -> str | None:
        return None

    def __repr__(self) -> str:
        return "<StaticToken ***>"


_oauth_factory: Callable[[Any], TokenSource] | None = None


def set_oauth_token_source(factory: Callable[[Any], TokenSource] | None) -> None:
    """Install how a store on OAuth gets its tokens (called once by the OAuth flow's app config)."""
    global _oauth_factory
    _oauth_factory = factory


def oauth_token_source(store: Any) -> TokenSource:
    if _oauth_factory is not None:
        return _oauth_factory(store)
    return StaticToken(store.get_oauth_access_token())
