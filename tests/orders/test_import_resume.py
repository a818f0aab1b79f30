"""A deep re-import that is cut off is resumed: the window asked for is remembered until it is covered."""

import datetime as dt

import pytest
from django.utils import timezone

from orders.importing.run import lease, overlap
from orders.models import ImportRun, ImportState, ImportTrigger, Order
from orders.services import import_request, import_run_execute, import_store_now, import_tick
from tests import factories
from tests.orders.conftest import ChangingClient
from tests.orders.truth import mismatches

pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside the run: it stops, and nothing after it in the run happens."""


class DiesAfter(ChangingClient):
    def __init__(self, server, store, pages):
        super().__init__(server, store)
        self.pages = pages

    def after_page(self, walk, page):
        self.pages -= 1
        if self.pages == 0:
            raise WorkerKilled


def since():
    return timezone.now() - dt.timedelta(days=90)


def lose_orders(store, count):
    """Orders Outbound lost track of long ago: only a deep re-import brings them back."""
    oldest = list(Order.objects.filter(store=store).order_by("modified_at").values_list("pk", flat=True)[:count])
    Order.objects.filter(pk__in=oldest).delete()


@pytest.mark.parametrize("spans", [1, 6])
def test_a_deep_reimport_killed_midway_is_resumed_by_the_next_scheduled_run(
    connected, settings, spans, django_capture_on_commit_callbacks
):
    store, server = connected
    assert import_store_now(store=store).state == ImportState.SUCCEEDED  # the everyday state: a watermark
    store.refresh_from_db()
    watermark = factories.import_state(store).import_watermark
    lose_orders(store, 5)
    assert mismatches(store, server.truth())
    settings.IMPORT_SPAN_MAX_ORDERS = 120 // spans + 1  # 120 orders: one span, or six
    with django_capture_on_commit_callbacks(execute=False):
        run = import_request(store=store, trigger=ImportTrigger.MANUAL, since=since())
    with pytest.raises(WorkerKilled):
        import_run_execute(run_id=run.pk, client=DiesAfter(server, store, pages=3 if spans == 1 else 4))
    assert ImportRun.objects.get(pk=run.pk).state == ImportState.RUNNING  # cut off, as a killed worker leaves it
    store.refresh_from_db()
    assert (
        factories.import_state(store).import_watermark == watermark
        and factories.import_state(store).import_pending_since is not None
    )

    later = timezone.now() + lease() + dt.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):  # django-q2 runs tasks inline in the tests
        queued = import_tick(later)  # reaps the dead run, queues (and here runs) the scheduled one
    reaped = ImportRun.objects.get(pk=run.pk)
    assert reaped.state == ImportState.FAILED and "covers the same window" in reaped.error
    assert queued == [store.pk]  # the tick hands out stores; the check found a window asked for: a run
    resumed = ImportRun.objects.filter(store=store, trigger=ImportTrigger.SCHEDULE).first()
    assert resumed.trigger == ImportTrigger.SCHEDULE and resumed.state == ImportState.SUCCEEDED, resumed.error
    assert resumed.window_start < watermark - overlap()  # not the everyday window
    if spans == 1:
        assert resumed.window_start == reaped.window_start  # nothing was covered: the whole window again
    else:
        assert reaped.window_start < resumed.window_start  # the spans done are not walked again
    store.refresh_from_db()
    assert factories.import_state(store).import_pending_since is None  # covered: the next runs are everyday ones again
    assert mismatches(store, server.truth()) == []
    watermark = factories.import_state(store).import_watermark  # before the everyday run moves it on
    everyday = import_store_now(store=store, trigger=ImportTrigger.SCHEDULE)
    assert everyday.window_start == watermark - overlap()


class AsksMeanwhile(ChangingClient):
    """While the run pages, someone asks for an import from far back: they get the running run back."""

    def __init__(self, server, store):
        super().__init__(server, store)
        self.store, self.answer = store, None

    def after_page(self, walk, page):
        if self.answer is None:
            self.answer = import_request(store=self.store, trigger=ImportTrigger.MANUAL, since=since())


def test_a_window_asked_for_while_a_run_is_running_is_not_dropped(connected, django_capture_on_commit_callbacks):
    store, server = connected
    assert import_store_now(store=store).state == ImportState.SUCCEEDED
    lose_orders(store, 3)
    client = AsksMeanwhile(server, store)
    with django_capture_on_commit_callbacks(execute=False):
        first = import_store_now(store=store, trigger=ImportTrigger.SCHEDULE, client=client)
    assert client.answer.pk == first.pk  # the store's running run came back...
    assert first.state == ImportState.SUCCEEDED and mismatches(store, server.truth())  # ...reading its own window
    store.refresh_from_db()
    # ...and the deeper window waits for the next run
    assert factories.import_state(store).import_pending_since is not None
    second = import_store_now(store=store, trigger=ImportTrigger.SCHEDULE)
    assert second.window_start <= since() and mismatches(store, server.truth()) == []
    store.refresh_from_db()
    assert factories.import_state(store).import_pending_since is None
