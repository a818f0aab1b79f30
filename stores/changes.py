"""What the stores app announces after its writes, for the apps above it to do their part.

The stores app sits low (README, "Layout": core; stores; …): it imports none of the apps that act on a store's
changes. So each of its writes (stores.services) announces what it did, and those apps subscribe in their
AppConfig.ready (the pattern of orders.importing.idle):

    subscribe(listener)       listener(change: StoreChange) -> anything; each listener once
    announce(change)          a write's announcement: every listener, in the order they subscribed, in the
                              write's own transaction (a listener's error undoes the write); returns what
                              they returned (None left out: what the change started, for the caller to tell)

Today's listeners: hooks (real time: subscribe a store's webhooks, or revoke them), orders (a changed mapping
brings in the orders skipped for a status mapped now), shipments (a deleted store's shipments go first). The
kinds, and the other lists of this pattern, in docs/layers.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The kinds of change, what wrote them, and the fields they come with.
CREATED = "created"  # store_create: a new store, with its mapping and settings (fields: None, all new)
CHANGED = "changed"  # store_update, store_switch_road: settings, road or credentials edited (fields, previous)
DISCONNECTED = "disconnected"  # store_disconnect: switched off, read only until connected again
RECONNECTED = "reconnected"  # store_reconnect
DEACTIVATED = "deactivated"  # store_deactivate: imports stopped
PASSWORD = "password"  # store_set_password
API_TOKEN = "api_token"  # store_set_api_token (a pending reconnect ended)
OAUTH_TOKENS = "oauth_tokens"  # store_set_oauth_tokens: a handshake's or a refresh's tokens
NEEDS_RECONNECT = "needs_reconnect"  # store_mark_needs_reconnect: the store refused our credentials for good
MAPPING_CHANGED = "mapping_changed"  # status_mapping_set: some of the five status lists edited (user; fields: none)
BEFORE_DELETE = "before_delete"  # store_delete, before the cascade: remove what it cannot
DELETING = "deleting"  # the row is being deleted (store_delete, the admin, its tenant's cascade): pre_delete


@dataclass(frozen=True)
class StoreChange:
    kind: str
    store: Any  # stores.models.Store, as written
    fields: frozenset[str] | None = None  # the store's fields written; None: any may have changed
    previous: Any = None  # the store as it was before the write (CHANGED): its old address and credentials
    user: Any = None  # who made the change, when a person did

    def touches(self, names) -> bool:
        """Whether the write may have changed any of these fields of the store."""
        return self.fields is None or not self.fields.isdisjoint(names)


_listeners: list[Callable[[StoreChange], Any]] = []


def subscribe(listener: Callable[[StoreChange], Any]) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def announce(change: StoreChange) -> list:
    return [result for listener in list(_listeners) if (result := listener(change)) is not None]
