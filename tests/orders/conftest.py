import itertools

import pytest

from sandbox import BEHAVIOURS
from stores.connector.client import StoreClient
from stores.models import StatusMapping
from stores.services import store_create

# Every store behaviour the sandbox has (window precision × sort × change during paging), as dicts.
MATRIX = [dict(zip(BEHAVIOURS, values, strict=True)) for values in itertools.product(*BEHAVIOURS.values())]
REPRESENTATIVE = {"window_precision": "exact", "sort": "desc", "change_during_paging": "out"}
FAST = {"base_delay": 0.01, "max_delay": 0.05, "max_retry_after": 0.05, "max_attempts": 10}


def behaviour_params(*, every: bool = False) -> list:
    """pytest params over the store behaviours. Unless `every`, only the default behaviour and one
    representative other run by default; the rest are `exhaustive` (run with `pytest -m slow`)."""
    params = []
    for behaviour in MATRIX:
        always = every or behaviour in (MATRIX[0], REPRESENTATIVE)
        marks = () if always else (pytest.mark.slow, pytest.mark.exhaustive)
        params.append(pytest.param(behaviour, id="-".join(behaviour.values()), marks=marks))
    return params


class ChangingClient:
    """A real client to the sandbox, with a hook the store uses to change orders after each page served.

    `prefetch=False` keeps a seeded test deterministic (no page is in flight while the store changes).
    """

    def __init__(self, server, store, *, prefetch: bool = True):
        self.inner = StoreClient(server.endpoint_url, store.username, store.get_password(), **FAST)
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

# The sandbox's custom statuses, typed without their commas as the brief says; "Gift Wrap Queue" is
# deliberately left unmapped.
EXTRA_AWAITING = ", Approved Pending Shipping, Awaiting Pickup Local"
EXTRA_SHIPPED = ", Completed Shipped"


def mapping_with_customs():
    default = {f: StatusMapping._meta.get_field(f).default for f in StatusMapping.FIELDS}
    default["awaiting_shipment"] += EXTRA_AWAITING
    default["shipped"] += EXTRA_SHIPPED
    return default


def connect(tenant, server, name="Sandbox store", mapping=None):
    from urllib.parse import urlsplit

    parts = urlsplit(server.endpoint_url)
    return store_create(
        tenant=tenant, name=name, url=f"{parts.scheme}://{parts.netloc}", endpoint_path=parts.path,
        username=server.username, password=server.password,
        mapping=mapping if mapping is not None else mapping_with_customs(),
    )


@pytest.fixture
def connected(sandbox_factory, tenant_a):
    """A tenant-A store connected to a fresh 120-order sandbox (pages of 25)."""
    server = sandbox_factory(orders=120, seed=7, page_size=25)
    return connect(tenant_a, server), server
