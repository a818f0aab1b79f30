"""The one interface the import engine and the store-update handler talk to: `StoreConnector`.

A connector speaks one connection type (a platform and the road to it) and hands out only the
dataclasses of `types.py`; no caller ever sees the wire format (XML today, JSON on a REST road).
Which connector a store gets is decided by `registry.connector_for_store`.

    export_pages(start, end, *, first_page, skip, prefetch) -> Iterator[ExportPage]
        every order modified in [start, end], page by page (`pages` re-read on every page).
    export_page(start, end, page, *, skip) -> ExportPage
        one page (the importer's span probe).
        `skip(digests)` receives {order id: opaque digest of the order as the store sent it} and returns
        the ids the caller already holds; those are listed in ExportPage.unchanged, not converted.
    fetch_order(order_id) -> ExportOrder | None
        one order by the store's id, None when the store has no such order. A road that cannot ask for
        one order raises OperationNotSupported (`supports_fetch_order` is False): the Custom Store v1
        protocol has no such request, only windows of LastModified, and an order's id says nothing about
        when it last changed.
    ship_notify(notice) -> ShipNotifyResult
        tell the store about one shipment (idempotent in effect; StoreError unless the store took it).
    test_connection(*, now) -> ConnectionResult
        one cheap request, classified into a ConnectionOutcome with a message in plain words.
    describe() -> StoreDescription
        the store's order statuses and storefronts, as far as the road can tell (see StoreDescription).
    requests_made, close(), context manager
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Protocol, runtime_checkable

from .errors import StoreError
from .types import ConnectionResult, ExportOrder, ExportPage, ShipNotice, ShipNotifyResult, StoreDescription

SkipTest = Callable[[dict[str, str]], "set[str] | list[str]"]


class OperationNotSupported(StoreError):
    """The connector's road has no way to do this (e.g. fetch one order over Custom Store v1)."""

    default_permanent = True


@runtime_checkable
class StoreConnector(Protocol):
    supports_fetch_order: bool

    @property
    def requests_made(self) -> int: ...

    def export_pages(
        self,
        start: dt.datetime,
        end: dt.datetime,
        *,
        first_page: int = 1,
        skip: SkipTest | None = None,
        prefetch: bool = True,
    ) -> Iterator[ExportPage]: ...

    def export_page(
        self, start: dt.datetime, end: dt.datetime, page: int = 1, *, skip: SkipTest | None = None
    ) -> ExportPage: ...

    def fetch_order(self, order_id: str) -> ExportOrder | None: ...

    def ship_notify(self, notice: ShipNotice) -> ShipNotifyResult: ...

    def test_connection(self, *, now: dt.datetime | None = None) -> ConnectionResult: ...

    def describe(self) -> StoreDescription: ...

    def close(self) -> None: ...

    def __enter__(self) -> StoreConnector: ...

    def __exit__(self, *exc_info: object) -> None: ...
