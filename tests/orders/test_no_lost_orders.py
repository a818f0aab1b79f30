"""Nothing is ever lost: whatever the store's behaviour and however its orders change while we page.

For many seeds: a small sandbox store with one of the store behaviours (window precision, sort order,
where a change during paging moves an order), a first import during which the store changes random
orders (several per walk, on random pages, often orders on the page just read) and places new ones,
then only the everyday runs the schedule would make (no `since`, one minute apart, the clock advanced
through the sandbox). Outbound must end holding exactly the store's truth: none missing, none extra,
none stale.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from orders.importer import import_store_now
from orders.models import ImportTrigger
from sandbox.catalog import STATUS_NAMES
from stores import statuses
from tests.orders.conftest import MATRIX, ChangingClient, connect, mapping_with_customs
from tests.orders.truth import mismatches

CASES = 200  # in the default run; `-m slow` runs CASES_SLOW more
CASES_SLOW = 800
EVERYDAY_RUNS = 3


def every_status_mapped() -> dict:
    """A mapping holding every status the sandbox uses, so that "expected" is simply "has a ship-to"."""
    mapping = mapping_with_customs()
    mapping["awaiting_shipment"] += ", Gift Wrap Queue"
    return mapping


class ChangingStoreClient(ChangingClient):
    """The store changes orders while it pages.

    Only the first `walks` page walks see changes (the first import's walk, its tail check, re-walks):
    after each page, with some probability, the clock moves a few seconds and the store changes one to
    three orders, taken from the page just read or anywhere, and sometimes places a new one. Pages are
    not prefetched, so a seed always plays out the same way.
    """

    def __init__(self, server, store, rng: random.Random, walks: int):
        super().__init__(server, store, prefetch=False)
        self.rng, self.walks = rng, walks

    def walk_started(self):
        self.walks -= 1
        return self.walks >= 0  # whether this walk sees changes

    def after_page(self, walk, page) -> None:
        if walk and self.rng.random() < 0.6:
            self.change([o.order_id for o in page.orders] + sorted(page.unchanged))

    def change(self, on_page: list[str]):
        rng, count = self.rng, self.server.store.order_count
        self.server.advance(rng.randint(1, 25))
        pool = on_page if on_page and rng.random() < 0.6 else [str(100001 + i) for i in range(count)]
        picked = sorted(set(rng.sample(pool, min(len(pool), rng.randint(1, 3)))))
        self.server.mutate(order_ids=picked, add=int(rng.random() < 0.2))


def play(seed: int, sandbox_factory, tenant, monkeypatch) -> tuple[dict, list[str]]:
    """One generated case; returns (its behaviour, what Outbound holds wrong)."""
    rng = random.Random(seed)
    behaviour = MATRIX[seed % len(MATRIX)]
    start = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC) + dt.timedelta(seconds=rng.randint(0, 3599))
    server = sandbox_factory(orders=rng.randint(4, 24), seed=seed, page_size=rng.randint(2, 5), now=start,
                             frozen_clock=True, no_delay=True, **behaviour)
    # Outbound's clock is the store's: "now" is wherever the sandbox's clock stands.
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime.fromtimestamp(server.store.clock.now(), dt.UTC))
    store = connect(tenant, server, name=f"Case {seed}", mapping=every_status_mapped())
    store.import_interval_minutes = 1
    store.save(update_fields=["import_interval_minutes"])
    client = ChangingStoreClient(server, store, rng, walks=rng.randint(1, 3))
    run = import_store_now(store=store, since=timezone.now() - dt.timedelta(days=90), client=client)
    assert run.state == "succeeded", run.error
    for _ in range(EVERYDAY_RUNS):
        server.advance(60)
        run = import_store_now(store=store, trigger=ImportTrigger.SCHEDULE)
        assert run.state == "succeeded", run.error
    store.refresh_from_db()
    return behaviour, mismatches(store, server.truth())


def test_the_mapping_used_maps_every_sandbox_status(tenant_a):
    from stores.models import StatusMapping

    lookup = StatusMapping(**every_status_mapped()).lookup()
    assert all(statuses.map_status(lookup, name) for name in STATUS_NAMES)


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(CASES))
def test_nothing_is_lost_whatever_the_store_and_its_changes(seed, sandbox_factory, tenant_a, monkeypatch):
    behaviour, problems = play(seed, sandbox_factory, tenant_a, monkeypatch)
    assert problems == [], behaviour


@pytest.mark.slow
@pytest.mark.exhaustive
@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(CASES, CASES + CASES_SLOW))
def test_nothing_is_lost_more_cases(seed, sandbox_factory, tenant_a, monkeypatch):
    behaviour, problems = play(seed, sandbox_factory, tenant_a, monkeypatch)
    assert problems == [], behaviour
