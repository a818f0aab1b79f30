"""What one run holds while it writes pages: the store's mapping and settings, the digests of the orders
and skipped orders held (read once per run), the products written this run."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from stores.connector.types import ExportOrder
from stores.models import Store, Storefront, StoreSettings
from stores.selectors import store_settings_get

from ..models import Order, SkippedOrder
from ..rules.loading import RuleSet, rule_set_load
from .mapping import IMPORT_FORMAT, ProductValues, order_hash

WEBHOOK_EVENTS_TTL = 5.0  # seconds a run trusts its reading of the tenant's webhook subscriptions


class Held(NamedTuple):
    """An order held, or held as skipped (then `reason` says why)."""

    content_hash: str
    modified: dt.datetime
    reason: str | None


class ProductWritten(NamedTuple):
    """A product upserted during this run: the values from the store, the warehouse location written."""

    values: ProductValues
    location: str


def fingerprint_of(lookup: dict[str, str], store_settings: StoreSettings) -> str:
    """Everything besides an order's own bytes that shapes what the import writes of it."""
    shape = (
        IMPORT_FORMAT,
        sorted(lookup.items()),
        store_settings.store_location_overwrites,
        store_settings.default_weight_unit,
    )
    # The store's currency only when set: a store without one keeps the fingerprint it had (no re-write).
    return repr(shape + ((store_settings.currency,) if store_settings.currency else ()))


def digest_with(fingerprint: str, raw_digest: str) -> str:
    return hashlib.sha1(f"{raw_digest}|{fingerprint}".encode(), usedforsecurity=False).hexdigest()


@dataclass
class ImportContext:
    """What one run needs to write pages: the store, its mapping and settings, caches across pages."""

    store: Store
    lookup: dict[str, str]
    store_settings: StoreSettings
    actor: str
    storefronts: dict[str, int | None] = field(default_factory=dict)
    # {storefront name: its recorded currency}, for orders that arrive without one (the REST road)
    currencies: dict[str, str] = field(default_factory=dict)
    # Everything besides the order's own bytes that shapes what we write: a change here (a status
    # added to a mapping list, say) makes every order look changed, so the next import rewrites it.
    fingerprint: str = ""
    unchanged_modified: dict[str, dt.datetime] = field(default_factory=dict)
    # {order id: Held} of the orders held and the orders skipped
    held: dict[str, Held] = field(default_factory=dict)
    held_loaded: bool = False
    # {sku: ProductWritten} for products upserted during this run.
    products_written: dict[str, ProductWritten] = field(default_factory=dict)
    _webhooks: tuple[float, set[str]] | None = None
    claim_renewed_at: dt.datetime | None = None
    # A reconciliation sweep: orders modified up to this time should already be held; those the sweep
    # imports (new to us, or held with an older LastModified) were missed by earlier runs.
    recover_until: dt.datetime | None = None
    recovered: list[str] = field(default_factory=list)  # their order numbers
    # The automation rules, compiled once per run on the first page of new orders (orders.rules).
    rule_set: RuleSet | None = None

    def rules(self) -> RuleSet:
        if self.rule_set is None:
            self.rule_set = rule_set_load(tenant_id=self.store.tenant_id, store_ids=[self.store.pk])
        return self.rule_set

    @classmethod
    def for_store(cls, store: Store, actor: str = "import") -> ImportContext:
        mapping = store.status_mapping
        store_settings = store_settings_get(store=store)  # read only: its defaults when the store has no row
        ctx = cls(store=store, lookup=mapping.lookup(), store_settings=store_settings, actor=actor)
        fronts = list(Storefront.objects.filter(store=store).values_list("name", "id", "currency"))
        ctx.storefronts = {name: pk for name, pk, _ in fronts}
        ctx.currencies = {name: currency for name, _, currency in fronts if currency}
        ctx.fingerprint = fingerprint_of(ctx.lookup, store_settings)
        return ctx

    def digest(self, raw_digest: str) -> str:
        return digest_with(self.fingerprint, raw_digest)

    def content_hash(self, export: ExportOrder) -> str:
        return self.digest(export.raw_digest or order_hash(export))

    def load_held(self) -> None:
        """Snapshot the store's orders and skipped orders, {order id: Held}, once per run.

        The store claim guarantees no other import writes them meanwhile, and nothing else changes a
        content hash, so the snapshot lets pages be sorted into changed and unchanged without a query
        (and from the prefetch thread, which must not touch the database).
        """
        self.held = {
            oid: Held(digest, modified, None)
            for oid, digest, modified in Order.objects.filter(store=self.store)
            .values_list("external_id", "content_hash", "modified_at")
            .iterator(chunk_size=5000)
        }
        for oid, digest, modified, reason in (
            SkippedOrder.objects.filter(store=self.store)
            .values_list("external_id", "content_hash", "modified_at", "reason")
            .iterator(chunk_size=5000)
        ):
            self.held.setdefault(oid, Held(digest, modified, reason))
        self.held_loaded = True

    def held_rows(self, order_ids: Iterable[str]) -> list[str]:
        """Of these order ids, those that may have an Order row. Only imports create orders and the
        store claim keeps other imports out, so with the snapshot loaded an order it lacks (or holds as
        skipped) has no row: a page of new orders needs no query to learn so."""
        if not self.held_loaded:
            return list(order_ids)
        return [oid for oid in order_ids if oid in self.held and self.held[oid].reason is None]

    def were_skipped(self, order_ids: Iterable[str]) -> list[str]:
        """Of these order ids, those that may have a SkippedOrder row."""
        if not self.held_loaded:
            return list(order_ids)
        return [oid for oid in order_ids if oid in self.held and self.held[oid].reason is not None]

    def note_written(self, orders: Iterable[dict], reason: str | None = None) -> None:
        if self.held_loaded:
            for order in orders:
                self.held[order["external_id"]] = Held(order["content_hash"], order["modified_at"], reason)

    def recognised(self, order_ids: Iterable[str]) -> tuple[int, Counter]:
        """Orders recognised unchanged from their bytes: (how many are held orders, skips by reason)."""
        skipped: Counter = Counter()
        unchanged = 0
        for oid in order_ids:
            held = self.held.get(oid)
            if held is not None and held.reason is not None:
                skipped[held.reason] += 1
            else:
                unchanged += 1
        return unchanged, skipped

    def webhook_events(self) -> set[str]:
        """The tenant's subscribed webhook events, read at most every few seconds during a run."""
        from webhooks.services import webhook_events_wanted

        now = time.monotonic()
        if self._webhooks is None or now - self._webhooks[0] > WEBHOOK_EVENTS_TTL:
            self._webhooks = (now, webhook_events_wanted(self.store.tenant_id))
        return self._webhooks[1]

    def unchanged_ids(self, digests: dict[str, str]) -> set[str]:
        """Of {order id: raw digest} on a page, the ids we already hold exactly so (no query)."""
        same = set()
        for oid, raw in digests.items():
            held = self.held.get(oid)
            if held is not None and held.content_hash == self.digest(raw):
                same.add(oid)
                self.unchanged_modified[oid] = held.modified  # for the tail check: when we last saw it change
        return same
