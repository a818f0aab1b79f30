"""`RestConnector`: a `StoreConnector` over AmeriCommerce's REST API (`/api/v1`). Work in progress."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from ..protocol import SkipTest
from ..types import ConnectionResult, ExportOrder, ExportPage, ShipNotice, ShipNotifyResult, StoreDescription
from .auth import StaticToken, TokenSource


class RestConnector:
    supports_fetch_order = True

    def __init__(self, base_url: str, tokens: TokenSource | str, *, pace_key: str | None = None,
                 **transport_options: Any) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = StaticToken(tokens) if isinstance(tokens, str) else tokens
        self.pace_key = pace_key
        self._transport_options = transport_options
        self._requests = 0

    @property
    def requests_made(self) -> int:
        return self._requests

    def export_pages(self, start: dt.datetime, end: dt.datetime, *, first_page: int = 1, skip: SkipTest | None = None,
                     prefetch: bool = True) -> Iterator[ExportPage]:
        raise NotImplementedError

    def export_page(self, start: dt.datetime, end: dt.datetime, page: int = 1, *,
                    skip: SkipTest | None = None) -> ExportPage:
        raise NotImplementedError

    def fetch_order(self, order_id: str) -> ExportOrder | None:
        raise NotImplementedError

    def ship_notify(self, notice: ShipNotice) -> ShipNotifyResult:
        raise NotImplementedError

    def test_connection(self, *, now: dt.datetime | None = None) -> ConnectionResult:
        raise NotImplementedError

    def describe(self) -> StoreDescription:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> RestConnector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
