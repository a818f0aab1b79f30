"""No order lost or duplicated when the store fails and changes orders while we page through it."""

import datetime as dt

import pytest
from django.utils import timezone

from orders.importer import import_store_now
from orders.models import Order
from stores.connector.client import StoreClient
from tests.orders.conftest import connect
from tests.orders.truth import expected_orders, mismatches

FAST = {"base_delay": 0.01, "max_delay": 0.05, "max_retry_after": 0.05, "max_attempts": 10}


class MutatingClient:
    """A real client that lets the store change a few orders after each of the first pages it serves."""

    def __init__(self, server, store, mutate_pages=20, change=4, add=2):
        self.inner = StoreClient(server.endpoint_url, store.username, store.get_password(), **FAST)
        self.server, self.left, self.change, self.add = server, mutate_pages, change, add

    @property
    def requests_made(self):
        return self.inner.requests_made

    def export_page(self, start, end, page=1, *, skip=None):
        return self.inner.export_page(start, end, page, skip=skip)

    def export_pages(self, start, end, skip=None):
        for page in self.inner.export_pages(start, end, skip=skip):
            yield page
            if self.left > 0:
                self.left -= 1
                self.server.mutate(change=self.change, add=self.add)

    def close(self):
        self.inner.close()


@pytest.mark.slow
@pytest.mark.django_db
def test_5000_orders_through_failures_and_paging_drift_equal_the_truth(sandbox_factory, tenant_a):
    server = sandbox_factory(orders=5000, seed=11, page_size=100)
    server.set_faults(rate=0.3, kinds=["429", "500", "drop"], actions="export", retry_after=0)
    store = connect(tenant_a, server)
    client = MutatingClient(server, store)
    run = import_store_now(store=store, since=timezone.now() - dt.timedelta(days=120), client=client)
    assert run.state == "succeeded", run.error
    truth = server.truth()
    assert mismatches(store, truth) == []
    assert Order.objects.filter(store=store).count() == len(expected_orders(truth, store.status_mapping))


@pytest.mark.django_db
def test_drift_without_the_tail_check_would_lose_orders(sandbox_factory, tenant_a):
    """The hazard is real: a plain page walk while orders change misses some (reference §5.5)."""
    server = sandbox_factory(orders=600, seed=12, page_size=50)
    store = connect(tenant_a, server)
    client = MutatingClient(server, store, mutate_pages=8, change=3, add=0)
    now = timezone.now()
    walked = {o.order_id for page in client.export_pages(now - dt.timedelta(days=120), now) for o in page.orders}
    assert len(walked) < 600
