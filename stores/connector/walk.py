"""Walking an export window page by page, the same on both roads (client.py, rest/connector.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from .errors import StoreDocumentError
from .types import ExportPage

REPEATED_PAGES_LIMIT = 3


def walk_pages(
    fetch: Callable[[int], ExportPage],
    first_page: int,
    *,
    prefetch: bool,
    stuck: Callable[[int, int, int], str],
    background: Callable[[int], ExportPage] | None = None,
    ask_again: tuple[type[Exception], ...] = (),
) -> Iterator[ExportPage]:
    """Yield the pages `fetch(number)` gives from `first_page` on while they say there are more; at most
    two pages are ever held in memory.

    With `prefetch`, the next page is requested (by `background`, else `fetch`) while the caller works on
    this one, so the store's time to answer overlaps with our time to write (one request in flight at a
    time). A background fetch that raised one of `ask_again` is fetched again with `fetch`, in the walk's
    own thread. A store that serves only orders already served, page after page, stops the walk with
    `stuck(repeated pages, page, pages claimed)` as the error.
    """
    page = first_page
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-prefetch") if prefetch else None
    pending: Future[ExportPage] | None = None
    seen: set[str] = set()
    repeated = fresh = 0
    try:
        while True:
            current = None
            if pending is not None:
                try:
                    current = pending.result()
                except ask_again:
                    current = None
                pending = None
            if current is None:
                current = fetch(page)
            ids = [o.order_id for o in current.orders] + list(current.unchanged)
            if ids and seen.issuperset(ids):
                repeated += 1
                if repeated >= REPEATED_PAGES_LIMIT and repeated > fresh:
                    raise StoreDocumentError(stuck(repeated, page, current.pages))
            elif ids:
                fresh += 1
            seen.update(ids)
            if pool is not None and page < current.pages and current.size:
                # Fetched and parsed in the background while the caller writes this page; the fetch (and
                # the caller's `skip`) must therefore be safe to call from another thread (no database access).
                pending = pool.submit(background or fetch, page + 1)
            yield current
            # `pages` is re-read on every page: orders modified while we page drop out of the window and the
            # count shrinks (docs/custom-store-v1.md#paging-hazard). An empty page means the set ran out before
            # the count did.
            if page >= current.pages or not current.size:
                return
            page += 1
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
