import itertools

import pytest

from sandbox import BEHAVIOURS
from stores.connector.client import StoreClient
from stores.models import StatusMapping
from tests.factories import connect_sandbox

# Every store behaviour the sandbox has (window precision × sort × change during paging), as dicts.
MATRIX = [dict(zip(BEHAVIOURS, values, strict=True)) for values in itertools.product(*BEHAVIOURS.values())]
REPRESENTATIVE = {"window_precision": "exact", "sort": "desc", "change_during_paging": "out"}
FAST = {"base_delay": 0.01, "max_delay": 0.05, "max_retry_after": 0.05, "max_attempts": 10}


ROADS = ("xml", "rest")


def behaviour_params(*, every: bool = False, rest: bool = True) -> list:
    """pytest params over the store behaviours, and the REST road. Unless `every`, only the default behaviour
    and one representative other run by default; the rest are `exhaustive` (run with `pytest -m slow`).

    The behaviours are the XML face's (how a Custom Store v1 implementation compares, sorts and pages); the
    REST face has one behaviour, the vendor's (exact datetimes, the sort the client asks for, a live query per
    page), so with `rest` one more param runs the test on the REST road: {"road": "rest"} (see split_road)."""
    params = []
    for behaviour in MATRIX:
        always = every or behaviour in (MATRIX[0], REPRESENTATIVE)
        marks = () if always else (pytest.mark.slow, pytest.mark.exhaustive)
        params.append(pytest.param(behaviour, id="-".join(behaviour.values()), marks=marks))
    if rest:
        params.append(pytest.param({"road": "rest"}, id="rest"))
    return params


def split_road(behaviour: dict) -> tuple[str, dict]:
    """(road, the sandbox behaviour) of a behaviour_params value."""
    behaviour = dict(behaviour)
    return behaviour.pop("road", "xml"), behaviour


def road_client(server, store, **options):
    """A real connector to the sandbox on the store's road (FAST retries), built like the registry would."""
    from stores.platforms.americommerce.rest import RestConnector

    if store.road == "rest":
        return RestConnector(server.rest_base_url, store.get_api_token(), **{**FAST, **options})
    return StoreClient(server.endpoint_url, store.username, store.get_password(), **{**FAST, **options})


class ChangingClient:
    """A real client to the sandbox, with a hook the store uses to change orders after each page served.

    `prefetch=False` keeps a seeded test deterministic (no page is in flight while the store changes).
    """

    def __init__(self, server, store, *, prefetch: bool = True):
        self.inner = road_client(server, store)
        self.server, self.prefetch = server, prefetch

    @property
    def requests_made(self):
        return self.inner.requests_made

    def export_page(self, start, end, page=1, *, skip=None):
        return self.inner.export_page(start, end, page, skip=skip)

    def export_pages(self, start, end, skip=None):
        walk = self.walk_started()
        for page in self.inner.export_pages(start, end, skip=skip, prefetch=self.prefetch):
            yield page
            self.after_page(walk, page)

    def walk_started(self):
        """Called when a page walk begins; what it returns is passed to after_page."""
        return None

    def after_page(self, walk, page) -> None:
        raise NotImplementedError

    def close(self):
        self.inner.close()


# The sandbox's custom statuses, typed without their commas as status mapping lists require; "Gift Wrap Queue" is
# deliberately left unmapped.
EXTRA_AWAITING = ", Approved Pending Shipping, Awaiting Pickup Local"
EXTRA_SHIPPED = ", Completed Shipped"


def mapping_with_customs():
    default = {f: StatusMapping._meta.get_field(f).default for f in StatusMapping.FIELDS}
    default["awaiting_shipment"] += EXTRA_AWAITING
    default["shipped"] += EXTRA_SHIPPED
    return default


def connect(tenant, server, name="Sandbox store", mapping=None, road="xml"):
    """A store on the sandbox with its custom statuses mapped (unless `mapping` says otherwise), reached by
    `road` (the XML add-on's page, or the REST API with the sandbox's token). On the REST road the store's
    call limit is raised out of the way: pacing under it is tested on its own (tests/orders/test_rest_pacing.py),
    and at 50 calls per 10 s every import here would mostly wait."""
    if road == "rest":
        server.set_call_limit(100_000)
    return connect_sandbox(
        tenant, server, name=name, road=road, mapping=mapping if mapping is not None else mapping_with_customs()
    )


@pytest.fixture(params=ROADS)
def connected(request, sandbox_factory, tenant_a):
    """A tenant-A store connected to a fresh 120-order sandbox (pages of 25), on each road."""
    server = sandbox_factory(orders=120, seed=7, page_size=25)
    return connect(tenant_a, server, road=request.param), server


def page_to_import(sandbox_factory, tenant, monkeypatch):
    """For query counts: a store on a fresh 300-order sandbox, an import context for it that has read
    its storefronts and (for good) its webhook subscriptions, and the first page's importable orders."""
    import datetime as dt

    from django.utils import timezone

    from orders.importing.page import _storefront_ids
    from orders.importing.snapshot import ImportContext
    from stores import statuses
    from stores.connector.registry import client_for_store

    server = sandbox_factory(orders=300, seed=3, page_size=300)
    store = connect(tenant, server)
    with client_for_store(store) as client:
        page = next(client.export_pages(timezone.now() - dt.timedelta(days=90), timezone.now()))
    lookup = store.status_mapping.lookup()
    exports = [e for e in page.orders if e.has_ship_to and statuses.map_status(lookup, e.order_status)]
    ctx = ImportContext.for_store(store)
    _storefront_ids(ctx, {e.source for e in exports})
    # A run reads the tenant's webhook subscriptions once every few seconds, not once per page: keep
    # that reading fresh for the whole test, so that every page costs the same.
    monkeypatch.setattr("orders.importing.snapshot.WEBHOOK_EVENTS_TTL", 3600)
    ctx.webhook_events()
    return store, ctx, exports


def page_queries(ctx, exports, *, before_changes=None) -> dict[str, list[dict]]:
    """The queries of import pages of 10 then 100 new orders, then of the same orders changed (after
    `before_changes()`), by label: "new 10", "new 100", "changed 10", "changed 100"."""
    import dataclasses

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.importing.page import import_page

    small, large = exports[:10], exports[10:110]
    assert len(large) == 100
    ctx.rules()  # a run reads and compiles its automation rules once, on its first page of new orders
    queries = {}
    for label, batch in (("new 10", small), ("new 100", large)):
        with CaptureQueriesContext(connection) as captured:
            import_page(ctx, batch)
        queries[label] = captured.captured_queries
    if before_changes:
        before_changes()
    for label, batch in (("changed 10", small), ("changed 100", large)):
        changed = [dataclasses.replace(e, internal_notes=e.internal_notes + " (edited)", raw_digest="") for e in batch]
        with CaptureQueriesContext(connection) as captured:
            import_page(ctx, changed)
        queries[label] = captured.captured_queries
    return queries
